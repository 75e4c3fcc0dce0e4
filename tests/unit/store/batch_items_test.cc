// Client batch bodies (storage.md 1.9): TOTALSIZE, MAGICCODE 0, BODYCRC 0, FLAG, BODYLENGTH + BODY,
// PROPERTIESLENGTH (int16) + PROPERTIES, per item.
#include <gtest/gtest.h>

#include <string>

#include "broker/store/batch_items.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using common::Bytes;
using common::ByteSpan;
using namespace std::string_literals;
using testing::hex_bytes;
using testing::text_bytes;

// Two items: (flag 0, body "ab", properties "K" 0x01 "v" 0x02) and (flag 7, body "xyz", no properties).
const Bytes kTwoItems = hex_bytes(
    "0000001C 00000000 00000000 00000000"   // TOTALSIZE 22+2+4 = 28, MAGICCODE 0, BODYCRC 0, FLAG 0
    "00000002 6162"                         // BODYLENGTH 2, "ab"
    "0004 4B 01 76 02"                      // PROPERTIESLENGTH 4, "K" 0x01 "v" 0x02
    "00000019 00000000 00000000 00000007"   // TOTALSIZE 22+3 = 25, FLAG 7
    "00000003 78797A"                       // BODYLENGTH 3, "xyz"
    "0000");                                // PROPERTIESLENGTH 0

std::vector<BatchItem> two_items() {
  return {BatchItem{0, text_bytes("ab"), "K\x01v\x02"s}, BatchItem{7, text_bytes("xyz"), ""}};
}

TEST(BatchItemsTest, EncodesToTheClientLayout) {
  Bytes out;
  encode_batch_items(two_items(), out);
  EXPECT_EQ(out, kTwoItems);
}

TEST(BatchItemsTest, DecodesTheClientLayout) {
  const BatchDecodeResult result = decode_batch_items(ByteSpan(kTwoItems));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.items, two_items());
}

TEST(BatchItemsTest, RoundTrips) {
  std::vector<BatchItem> items;
  for (int i = 0; i < 10; ++i) {
    items.push_back(BatchItem{i, Bytes(static_cast<std::size_t>(i * 37), static_cast<std::uint8_t>(i)),
                              std::string(static_cast<std::size_t>(i), 'p')});
  }
  Bytes out;
  encode_batch_items(items, out);
  const BatchDecodeResult result = decode_batch_items(ByteSpan(out));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.items, items);
}

TEST(BatchItemsTest, EmptyBodyIsZeroItems) {
  const BatchDecodeResult result = decode_batch_items(ByteSpan());
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.items.empty());
}

TEST(BatchItemsTest, BodyLengthPastTheEndNamesItemAndOffset) {
  Bytes bytes = kTwoItems;
  bytes[28 + 19] = 0x50;  // second item's BODYLENGTH 3 -> 80
  const BatchDecodeResult result = decode_batch_items(ByteSpan(bytes));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.items.size(), 1u);
  EXPECT_NE(result.error.find("item 1 at offset 28"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("BODYLENGTH 80"), std::string::npos) << result.error;
}

TEST(BatchItemsTest, NegativePropertiesLengthIsRejected) {
  Bytes bytes = kTwoItems;
  bytes[22] = 0xFF;  // first item's PROPERTIESLENGTH -> 0xFF04, negative
  const BatchDecodeResult result = decode_batch_items(ByteSpan(bytes));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("item 0 at offset 0"), std::string::npos) << result.error;
}

TEST(BatchItemsTest, TrailingPartialItemIsRejected) {
  Bytes bytes = kTwoItems;
  bytes.resize(bytes.size() - 1);
  const BatchDecodeResult result = decode_batch_items(ByteSpan(bytes));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("item 1"), std::string::npos) << result.error;
}

TEST(BatchItemsTest, TotalSizeDisagreeingWithFieldsIsRejected) {
  Bytes bytes = kTwoItems;
  bytes[3] = 0x1B;  // first TOTALSIZE 28 -> 27
  const BatchDecodeResult result = decode_batch_items(ByteSpan(bytes));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("TOTALSIZE 27 != 28"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace rmq::store
