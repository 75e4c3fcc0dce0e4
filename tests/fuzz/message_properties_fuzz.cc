// libFuzzer target: the message properties string (broker/store/message_properties.h), which comes from
// clients (SEND_MESSAGE field i, batch items) and from disk. Checks: no crash; parse -> format -> parse is
// identical; property_value looks up every name without a crash.
#include <cstddef>
#include <cstdint>
#include <set>

#include "broker/store/message_properties.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  const store::PropertyList first = store::parse_properties(text);
  std::string formatted;
  try {
    formatted = store::format_properties(first);
  } catch (const std::invalid_argument&) {
    return 0;  // a pair that could not be read back is refused by the writer
  }
  FUZZ_CHECK(store::parse_properties(formatted) == first);
  for (const auto& [name, value] : first) (void)store::property_value(text, name);
  return 0;
}
