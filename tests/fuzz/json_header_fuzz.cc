// libFuzzer target: the JSON remoting header (broker/remoting/json_header.h).
// Checks: no crash or read outside the header; a header that decodes re-encodes to one that decodes to the
// same command (decode -> encode -> decode is identical).
#include <cstddef>
#include <cstdint>

#include "broker/remoting/json_header.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const common::Bytes header = fuzz::exact_copy(fuzz::as_span(data, size));
  remoting::RemotingCommand first;
  if (remoting::decode_json_header(header, first)) return 0;
  const std::string encoded = remoting::encode_json_header(first);
  remoting::RemotingCommand second;
  const common::Bytes encoded_bytes(encoded.begin(), encoded.end());
  const auto error = remoting::decode_json_header(encoded_bytes, second);
  if (error) std::fprintf(stderr, "re-decode failed: %s\n", error->c_str());
  FUZZ_CHECK(!error);
  FUZZ_CHECK(second == first);
  return 0;
}
