// The consume queue's tags code is Java String.hashCode over UTF-16 code units (storage.md 1.11). Expected
// values are worked out by hand with h = 31*h + c, wrapping at 32 bits.
#include <gtest/gtest.h>

#include "broker/store/java_string.h"
#include "broker/store/message_record.h"

namespace rmq::store {
namespace {

TEST(TagsHashTest, AsciiTag) {
  // 'T'=84, 'a'=97, 'g'=103, 'A'=65: 84 -> 84*31+97 = 2701 -> 2701*31+103 = 83834 -> 83834*31+65 = 2598919.
  EXPECT_EQ(tags_hash_code("TagA"), 2598919);
}

TEST(TagsHashTest, EmptyTagIsZero) { EXPECT_EQ(tags_hash_code(""), 0); }

TEST(TagsHashTest, BmpCharactersAreOneCodeUnitEach) {
  // "标签" = U+6807 U+7B7E (UTF-8 E6 A0 87 E7 AD BE): 26631*31 + 31614 = 857175.
  EXPECT_EQ(tags_hash_code("\xE6\xA0\x87\xE7\xAD\xBE"), 857175);
}

TEST(TagsHashTest, CharacterOutsideTheBmpIsASurrogatePair) {
  // U+1F600 (UTF-8 F0 9F 98 80) is the pair D83D DE00: 55357*31 + 56832 = 1772899.
  EXPECT_EQ(tags_hash_code("\xF0\x9F\x98\x80"), 1772899);
}

TEST(TagsHashTest, WrapsAndSignExtends) {
  // "Tag" = 83834; *31 + 0xD83D = 2654211; *31 + 0xDE00 = 82337373; *31 + 'A' = 2552458628, which as a
  // Java int is 2552458628 - 2^32 = -1742508668, sign-extended to int64.
  EXPECT_EQ(tags_hash_code("Tag\xF0\x9F\x98\x80" "A"), -1742508668LL);
}

TEST(TagsHashTest, MalformedUtf8CountsAsReplacementCharacter) {
  // A lone continuation byte decodes to U+FFFD (65533), as Java's UTF-8 decoder does.
  EXPECT_EQ(tags_hash_code("\x80"), 65533);
  // A truncated 3-byte sequence (E6 A0) is one malformed subpart: one U+FFFD, then 'A'.
  EXPECT_EQ(tags_hash_code("\xE6\xA0" "A"), 65533 * 31 + 65);
}

TEST(JavaStringTest, Utf16LengthCountsSurrogatePairsAsTwo) {
  EXPECT_EQ(java_utf16_length("TagA"), 4u);
  EXPECT_EQ(java_utf16_length("\xE6\xA0\x87"), 1u);
  EXPECT_EQ(java_utf16_length("\xF0\x9F\x98\x80"), 2u);
}

}  // namespace
}  // namespace rmq::store
