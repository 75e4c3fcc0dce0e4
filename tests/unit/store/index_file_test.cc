// IndexFile against storage.md 3.2: hash values computed by hand (Java String.hashCode, h = 31*h + c), and the
// file's bytes compared with a layout assembled field by field from the spec table.
#include "broker/store/index_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "broker/common/io_error.h"
#include "tests/unit/store/hex_bytes.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using testing::hex_bytes;

common::Bytes read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return common::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(IndexKeyHash, MatchesJavaHashCodeComputedByHand) {
  // "T#k": 'T'=84, '#'=35, 'k'=107 -> 84*31*31 + 35*31 + 107 = 81916.
  EXPECT_EQ(index_key_hash("T", "k"), 81916);
  // "TopicTest#key-0".hashCode() = 204089216, "...key-1" one more (last char differs by one).
  EXPECT_EQ(index_key_hash("TopicTest", "key-0"), 204089216);
  EXPECT_EQ(index_key_hash("TopicTest", "key-1"), 204089217);
  // Negative hash: "TopicTest#OrderID188".hashCode() = -1231271670 -> abs.
  EXPECT_EQ(index_key_hash("TopicTest", "OrderID188"), 1231271670);
  // UTF-16 code units: U+1F600 is a surrogate pair (0xD83D 0xDE00).
  EXPECT_EQ(index_key_hash("TopicTest", "a\xF0\x9F\x98\x80"), 86888514);
  EXPECT_EQ(index_key_hash("TopicTest", "\xE4\xB8\xAD\xE6\x96\x87"), 3389052);
  // "polygenelubricants".hashCode() == Integer.MIN_VALUE: Math.abs overflows and Java stores 0.
  EXPECT_EQ(positive_key_hash("polygenelubricants"), 0);
  EXPECT_EQ(index_key("TopicTest", "key-0"), "TopicTest#key-0");
}

TEST(IndexFile, BytesMatchTheSpecLayout) {
  rmq::testing::TempDir dir;
  const auto path = dir.path() / "20261126120000000";
  {
    IndexFile file = IndexFile::create(path, 7, 5);
    // Both keys land in slot 2: 204089216 % 7 == 2 and 81916 % 7 == 2, so the second chains to the first.
    ASSERT_TRUE(file.put_key("TopicTest#key-0", 1234, 1700000000000));
    ASSERT_TRUE(file.put_key("T#k", 5678, 1700000002500));
    file.flush();
  }
  const common::Bytes expected = testing::concat({
      hex_bytes("0000018BCFE56800"),  // beginTimestamp 1700000000000
      hex_bytes("0000018BCFE571C4"),  // endTimestamp 1700000002500
      hex_bytes("00000000000004D2"),  // beginPhyOffset 1234
      hex_bytes("000000000000162E"),  // endPhyOffset 5678
      hex_bytes("00000001"),          // hashSlotCount
      hex_bytes("00000003"),          // indexCount: starts at 1, two entries
      hex_bytes("00000000 00000000 00000002 00000000 00000000 00000000 00000000"),  // 7 slots, slot 2 -> entry 2
      hex_bytes("00000000 0000000000000000 00000000 00000000"),  // entry 0 is never used
      hex_bytes("0C2A2780 00000000000004D2 00000000 00000000"),  // key-0: hash, offset, 0 s, no previous
      hex_bytes("00013FFC 000000000000162E 00000002 00000001"),  // T#k: 2.5 s -> 2 s, previous entry 1
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
  });
  ASSERT_EQ(expected.size(), 40u + 7 * 4 + 5 * 20);
  EXPECT_EQ(read_all(path), expected);
}

TEST(IndexFile, ReadsAHandAssembledFile) {
  rmq::testing::TempDir dir;
  const auto path = dir.path() / "20261126120000000";
  // Three entries of "TopicTest#key-0" chained in slot 2 (entry 3 -> 2 -> 1) at 0 s, 10 s and 20 s after begin.
  const common::Bytes bytes = testing::concat({
      hex_bytes("0000018BCFE56800 0000018BCFE5B620 0000000000000064 00000000000000C8 00000001 00000004"),
      hex_bytes("00000000 00000000 00000003 00000000 00000000 00000000 00000000"),
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
      hex_bytes("0C2A2780 0000000000000064 00000000 00000000"),  // offset 100 at +0 s
      hex_bytes("0C2A2780 0000000000000096 0000000A 00000001"),  // offset 150 at +10 s
      hex_bytes("0C2A2780 00000000000000C8 00000014 00000002"),  // offset 200 at +20 s
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
  });
  rmq::testing::write_file(path, bytes);
  IndexFile file = IndexFile::open(path, 7, 5);
  EXPECT_EQ(file.index_count(), 4);
  EXPECT_EQ(file.hash_slot_count(), 1);
  EXPECT_EQ(file.begin_phy_offset(), 100);
  EXPECT_EQ(file.end_phy_offset(), 200);
  const std::int64_t begin = 1700000000000;
  std::vector<std::int64_t> hits;
  file.select_offsets("TopicTest#key-0", 10, begin, begin + 20000, hits);
  EXPECT_EQ(hits, (std::vector<std::int64_t>{200, 150, 100}));  // newest first
  hits.clear();
  file.select_offsets("TopicTest#key-0", 2, begin, begin + 20000, hits);
  EXPECT_EQ(hits, (std::vector<std::int64_t>{200, 150}));  // max_count
  hits.clear();
  file.select_offsets("TopicTest#key-0", 10, begin + 5000, begin + 15000, hits);
  EXPECT_EQ(hits, (std::vector<std::int64_t>{150}));  // time range
  hits.clear();
  file.select_offsets("T#k", 10, begin, begin + 20000, hits);  // same slot, other hash
  EXPECT_TRUE(hits.empty());
  hits.clear();
  file.select_offsets("TopicTest#key-1", 10, begin, begin + 20000, hits);  // empty slot
  EXPECT_TRUE(hits.empty());
  EXPECT_TRUE(file.time_matched(begin - 5000, begin + 50000));  // covers the file
  EXPECT_TRUE(file.time_matched(begin + 5000, begin + 50000));  // begin inside
  EXPECT_TRUE(file.time_matched(begin - 5000, begin + 1000));   // end inside
  EXPECT_FALSE(file.time_matched(begin + 30000, begin + 50000));
  EXPECT_FALSE(file.time_matched(begin - 9000, begin - 1000));
}

TEST(IndexFile, FullAfterMaxIndexNumMinusOneEntries) {
  rmq::testing::TempDir dir;
  IndexFile file = IndexFile::create(dir.path() / "20261126120000000", 7, 5);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(file.full());
    ASSERT_TRUE(file.put_key("TopicTest#key-" + std::to_string(i), 100 * i, 1700000000000 + i));
  }
  EXPECT_TRUE(file.full());
  EXPECT_FALSE(file.put_key("TopicTest#key-9", 900, 1700000000009));
  EXPECT_EQ(file.index_count(), 5);
  EXPECT_EQ(file.end_phy_offset(), 300);
}

TEST(IndexFile, RollCreationCarriesThePreviousEnd) {
  rmq::testing::TempDir dir;
  IndexFile file = IndexFile::create(dir.path() / "20261126120000000", 7, 5, 4096, 1700000000000);
  EXPECT_EQ(file.begin_phy_offset(), 4096);
  EXPECT_EQ(file.end_phy_offset(), 4096);
  EXPECT_EQ(file.begin_timestamp_ms(), 1700000000000);
  EXPECT_EQ(file.index_count(), 1);
  ASSERT_TRUE(file.put_key("T#k", 5000, 1700000007000));
  EXPECT_EQ(file.begin_phy_offset(), 5000);
  EXPECT_EQ(file.begin_timestamp_ms(), 1700000007000);
  std::vector<std::int64_t> hits;
  file.select_offsets("T#k", 5, 1700000007000, 1700000007000, hits);
  EXPECT_EQ(hits, (std::vector<std::int64_t>{5000}));
}

TEST(IndexFile, RejectsSizeAndHeaderMismatches) {
  rmq::testing::TempDir dir;
  const auto path = dir.path() / "20261126120000000";
  rmq::testing::write_file(path, common::Bytes(40 + 7 * 4 + 5 * 20 - 1, 0));
  try {
    IndexFile::open(path, 7, 5);
    FAIL() << "a short file was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("167"), std::string::npos) << error.what();
  }
  common::Bytes bad(40 + 7 * 4 + 5 * 20, 0);
  bad[39] = 6;  // indexCount 6 > maxIndexNum 5
  rmq::testing::write_file(path, bad);
  try {
    IndexFile::open(path, 7, 5);
    FAIL() << "an out-of-range indexCount was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("indexCount"), std::string::npos) << error.what();
  }
  EXPECT_THROW(IndexFile::open(dir.path() / "missing", 7, 5), common::IoError);
  EXPECT_THROW(IndexFile::create(path, 7, 5), common::IoError);  // exists
}

TEST(IndexFile, CorruptChainEndsTheWalk) {
  rmq::testing::TempDir dir;
  const auto path = dir.path() / "20261126120000000";
  // Entry 2 points forward to itself (a loop) and entry 1 points to 9, past indexCount.
  const common::Bytes bytes = testing::concat({
      hex_bytes("0000018BCFE56800 0000018BCFE56800 0000000000000064 0000000000000064 00000001 00000003"),
      hex_bytes("00000000 00000000 00000002 00000000 00000000 00000000 00000000"),
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
      hex_bytes("0C2A2780 0000000000000064 00000000 00000009"),
      hex_bytes("0C2A2780 0000000000000065 00000000 00000002"),
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
      hex_bytes("00000000 0000000000000000 00000000 00000000"),
  });
  rmq::testing::write_file(path, bytes);
  IndexFile file = IndexFile::open(path, 7, 5);
  std::vector<std::int64_t> hits;
  file.select_offsets("TopicTest#key-0", 10, 0, 1800000000000, hits);
  EXPECT_EQ(hits, (std::vector<std::int64_t>{101}));
}

}  // namespace
}  // namespace rmq::store
