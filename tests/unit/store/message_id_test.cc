// offsetMsgId (storage.md 1.10): store host address + int32 port + int64 PHYSICALOFFSET in upper-case hex.
#include <gtest/gtest.h>

#include "broker/store/message_record.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

TEST(MessageIdTest, Ipv4IsThirtyTwoHexChars) {
  const std::string id = message_id(HostAddress{{192, 168, 1, 10}, 10911}, 0x12345678ABLL);
  // C0A8010A (192.168.1.10) + 00002A9F (10911) + 00000012345678AB
  EXPECT_EQ(id, "C0A8010A00002A9F00000012345678AB");
  EXPECT_EQ(id.size(), 32u);
}

TEST(MessageIdTest, Ipv6IsFiftySixHexChars) {
  const HostAddress host{testing::hex_bytes("FD000000000000000000000000000010"), 10911};
  const std::string id = message_id(host, 4096);
  EXPECT_EQ(id, "FD000000000000000000000000000010" "00002A9F" "0000000000001000");
  EXPECT_EQ(id.size(), 56u);
}

TEST(MessageIdTest, RejectsAddressOfWrongSize) {
  EXPECT_THROW(message_id(HostAddress{{1, 2, 3}, 1}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace rmq::store
