// The 20-byte consume queue entry (storage.md 3.1): commitlog offset int64, size int32, tags code int64.
#include <gtest/gtest.h>

#include "broker/store/consume_queue_entry.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using common::Bytes;
using common::ByteSpan;
using testing::hex_bytes;

// Offset 1073741824 (the second 1 GiB file), size 115, tags code of "TagA" (2598919 = 0x27A807).
const Bytes kEntry = hex_bytes("0000000040000000 00000073 000000000027A807");

TEST(ConsumeQueueEntryTest, EncodesToTwentyBytes) {
  Bytes out;
  encode_consume_queue_entry(ConsumeQueueEntry{1073741824, 115, 2598919}, out);
  EXPECT_EQ(out, kEntry);
}

TEST(ConsumeQueueEntryTest, Decodes) {
  EXPECT_EQ(decode_consume_queue_entry(ByteSpan(kEntry)), (ConsumeQueueEntry{1073741824, 115, 2598919}));
}

TEST(ConsumeQueueEntryTest, NegativeTagsCodeIsSignExtended) {
  const Bytes bytes = hex_bytes("0000000000000000 00000073 FFFFFFFF98236D84");  // -1742508668
  EXPECT_EQ(decode_consume_queue_entry(ByteSpan(bytes))->tags_code, -1742508668LL);
}

TEST(ConsumeQueueEntryTest, ShortSpanIsNothing) {
  EXPECT_FALSE(decode_consume_queue_entry(ByteSpan(kEntry).first(19)).has_value());
}

TEST(ConsumeQueueEntryTest, PreBlankEntryBytes) {
  Bytes out;
  encode_consume_queue_entry(kPreBlankEntry, out);
  EXPECT_EQ(out, hex_bytes("0000000000000000 7FFFFFFF 0000000000000000"));
  EXPECT_TRUE(kPreBlankEntry.is_data());
}

TEST(ConsumeQueueEntryTest, ZeroEntryEndsTheData) {
  EXPECT_FALSE((ConsumeQueueEntry{0, 0, 0}).is_data());
  EXPECT_FALSE((ConsumeQueueEntry{-1, 20, 0}).is_data());
}

}  // namespace
}  // namespace rmq::store
