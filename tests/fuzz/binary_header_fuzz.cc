// libFuzzer target: the binary (ROCKETMQ) remoting header (broker/remoting/binary_header.h).
// Checks: no crash or read outside the header; decode -> encode -> decode is identical.
#include <cstddef>
#include <cstdint>

#include "broker/remoting/binary_header.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const common::Bytes header = fuzz::exact_copy(fuzz::as_span(data, size));
  remoting::RemotingCommand first;
  first.serialize_type = remoting::SerializeType::kRocketMq;
  if (remoting::decode_binary_header(header, first)) return 0;
  common::Bytes encoded;
  try {
    remoting::encode_binary_header(first, encoded);
  } catch (const std::exception&) {
    return 0;  // a field too long for its length word on the way out is refused, not mangled
  }
  remoting::RemotingCommand second;
  second.serialize_type = remoting::SerializeType::kRocketMq;
  const auto error = remoting::decode_binary_header(encoded, second);
  if (error) std::fprintf(stderr, "re-decode failed: %s\n", error->c_str());
  FUZZ_CHECK(!error);
  FUZZ_CHECK(second == first);
  return 0;
}
