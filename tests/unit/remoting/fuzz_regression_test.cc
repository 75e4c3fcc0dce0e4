// Inputs the libFuzzer targets (tests/fuzz) found, kept as unit tests so that every build checks them; the
// sanitizer build is the one that sees the undefined behaviour they once caused.
#include <gtest/gtest.h>

#include "broker/remoting/json_header.h"

namespace rmq::remoting {
namespace {

// json_header_fuzz, crash-da39a3ee (the empty input): an empty header whose span has no storage
// (data() == nullptr) was passed to memchr, which must not get a null pointer even for zero bytes (UBSan:
// "null pointer passed as argument 1"). An empty header is simply not a JSON object.
TEST(RemotingFuzzRegression, EmptyJsonHeaderWithoutStorageIsRefusedNotScanned) {
  RemotingCommand command;
  const auto error = decode_json_header(ByteSpan(), command);
  ASSERT_TRUE(error.has_value());
  EXPECT_FALSE(error->empty());
}

}  // namespace
}  // namespace rmq::remoting
