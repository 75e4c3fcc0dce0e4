// libFuzzer target: the Java-properties parser (broker/common/java_properties.h) that reads broker.conf,
// namesrv.conf and DLedger's currterm/checkpoint. Checks: bad text is refused with ConfigError only; text
// that parses renders (to_string) to text that parses to the same keys, in the same order, with the same
// values.
#include <cstddef>
#include <cstdint>

#include "broker/common/java_properties.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  common::JavaProperties first;
  try {
    first = common::JavaProperties::parse(text, "fuzz.conf");
  } catch (const common::ConfigError&) {
    return 0;
  }
  for (const auto& key : first.keys_in_order()) (void)first.line_of(key);
  const std::string rendered = first.to_string();
  common::JavaProperties second;
  try {
    second = common::JavaProperties::parse(rendered, "rendered.conf");
  } catch (const common::ConfigError& e) {
    std::fprintf(stderr, "rendered text does not parse: %s\n", e.what());
    FUZZ_CHECK(false);
  }
  FUZZ_CHECK(second.keys_in_order() == first.keys_in_order());
  for (const auto& key : first.keys_in_order()) FUZZ_CHECK(second.get(key) == first.get(key));
  return 0;
}
