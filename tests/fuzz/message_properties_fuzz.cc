// libFuzzer target: the message properties string (broker/store/message_properties.h), which comes from
// clients (SEND_MESSAGE field i, batch items) and from disk. Checks: no crash; parse -> format -> parse is
// identical; property_value finds every parsed name, with the value of its last pair (the rule for a repeated
// name). Each distinct name is looked up once: a lookup walks the whole string, so one per pair made inputs
// with many repeated names quadratic in the harness.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "broker/store/message_properties.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  const store::PropertyList first = store::parse_properties(text);
  std::map<std::string_view, std::string_view> last_value;
  for (const auto& [name, value] : first) last_value[name] = value;
  for (const auto& [name, value] : last_value) FUZZ_CHECK(store::property_value(text, name) == value);
  std::string formatted;
  try {
    formatted = store::format_properties(first);
  } catch (const std::invalid_argument&) {
    return 0;  // a pair that could not be read back is refused by the writer
  }
  FUZZ_CHECK(store::parse_properties(formatted) == first);
  return 0;
}
