// CRC32 must equal java.util.zip.CRC32 (storage.md 1.6); the check values are the published CRC-32/IEEE
// check value and its masked form, not values computed by our code.
#include "broker/common/crc32.h"

#include <gtest/gtest.h>

#include <string_view>

namespace rmq::common {
namespace {

ByteSpan span_of(std::string_view s) { return ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

TEST(Crc32Test, CheckValueOf123456789) { EXPECT_EQ(crc32(span_of("123456789")), 0xCBF43926u); }

TEST(Crc32Test, MaskedClearsTheTopBit) { EXPECT_EQ(masked_crc32(span_of("123456789")), 0x4BF43926); }

TEST(Crc32Test, MaskedValueOfHello) {
  // CRC32("Hello") = 0xF7D18982, masked with 0x7FFFFFFF.
  EXPECT_EQ(masked_crc32(span_of("Hello")), 0x77D18982);
}

TEST(Crc32Test, EmptyBodyIsZero) {
  EXPECT_EQ(crc32(ByteSpan()), 0u);
  EXPECT_EQ(masked_crc32(ByteSpan()), 0);
}

}  // namespace
}  // namespace rmq::common
