// libFuzzer target: the DLedger member-state files `currterm` and `checkpoint` (Java properties text,
// broker/store/dledger_member_state_file.h). The first byte picks the file. Checks: no crash; a file that
// decodes re-encodes (or is refused by the writer
// with std::invalid_argument) to text that decodes to the same state.
#include <cstddef>
#include <cstdint>

#include "broker/store/dledger_member_state_file.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(fuzz::as_text(data + 1, size - 1));
  if (data[0] & 1) {
    const auto state = store::decode_checkpoint(text);
    if (!state) return 0;
    const auto again = store::decode_checkpoint(store::encode_checkpoint(*state));
    FUZZ_CHECK(again.has_value() && *again == *state);
  } else {
    const auto state = store::decode_currterm(text);
    if (!state) return 0;
    std::string encoded;
    try {
      encoded = store::encode_currterm(*state);
    } catch (const std::invalid_argument&) {
      return 0;  // a voteLeader with characters the writer refuses to write unescaped (its documented rule)
    }
    const auto again = store::decode_currterm(encoded);
    FUZZ_CHECK(again.has_value() && *again == *state);
  }
  return 0;
}
