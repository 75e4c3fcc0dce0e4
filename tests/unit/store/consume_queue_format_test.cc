// ConsumeQueue (storage.md 3.1): 20-byte big-endian entries (offset int64, size int32, tags code int64),
// entry n at byte n*20, pre-blank (0, INT32_MAX, 0) fill, covered writes ignored, recovery up to the first
// entry that is not data, truncation past the commitlog end.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/store/consume_queue.h"
#include "tests/unit/store/hex_bytes.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;
using testing::hex_bytes;

common::Bytes file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return common::Bytes(std::istreambuf_iterator<char>(in), {});
}

common::Bytes slice(const common::Bytes& b, std::size_t at, std::size_t n) {
  return common::Bytes(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

TEST(ConsumeQueueFormatTest, EntriesAreTwentyBigEndianBytesAtTheirQueueOffset) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "T" / "0", "T", 0, 200);
  q.load_and_recover();
  EXPECT_TRUE(q.put({0x1000, 0x61, -2}, 0));
  EXPECT_TRUE(q.put({0x2000, 0x62, 0x0102030405}, 1));
  const common::Bytes b = file_bytes(dir.path() / "T" / "0" / "00000000000000000000");
  ASSERT_EQ(b.size(), 200u);
  EXPECT_EQ(slice(b, 0, 20), hex_bytes("00000000 00001000  00000061  FFFFFFFF FFFFFFFE"));
  EXPECT_EQ(slice(b, 20, 20), hex_bytes("00000000 00002000  00000062  00000001 02030405"));
  EXPECT_EQ(slice(b, 40, 20), common::Bytes(20, 0));
  EXPECT_EQ(q.min_offset(), 0);
  EXPECT_EQ(q.max_offset(), 2);
  EXPECT_EQ(q.max_physical_offset(), 0x2062);
  EXPECT_FALSE(q.put({0x1000, 0x61, 0}, 2)) << "covered by max physical offset";
  EXPECT_FALSE(q.put({0x3000, 0x10, 0}, 1)) << "slot already written";
  EXPECT_EQ(q.max_offset(), 2);
}

TEST(ConsumeQueueFormatTest, RollsToAFileNamedByItsByteOffset) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "q", "T", 0, 200);  // 10 entries per file
  q.load_and_recover();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(q.put({i * 100, 100, 0}, i));
  const common::Bytes second = file_bytes(dir.path() / "q" / "00000000000000000200");
  EXPECT_EQ(slice(second, 20, 20), hex_bytes("00000000 0000044C 00000064 00000000 00000000"));  // entry 11
  EXPECT_EQ(q.entry(11)->commitlog_offset, 1100);
  EXPECT_EQ(q.entries(8, 10).size(), 4u);
}

TEST(ConsumeQueueFormatTest, QueueStartingLateIsPreBlankFilled) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "q", "T", 0, 200);
  q.load_and_recover();
  ASSERT_TRUE(q.put({500, 90, 7}, 3));
  const common::Bytes b = file_bytes(dir.path() / "q" / "00000000000000000000");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(slice(b, static_cast<std::size_t>(i) * 20, 20), hex_bytes("00000000 00000000 7FFFFFFF 00000000 00000000"));
  }
  EXPECT_EQ(slice(b, 60, 20), hex_bytes("00000000 000001F4 0000005A 00000000 00000007"));
  EXPECT_EQ(q.max_offset(), 4);
}

TEST(ConsumeQueueFormatTest, RecoveryEndsAtTheFirstEntryThatIsNotData) {
  TempDir dir;
  const fs::path qdir = dir.path() / "q";
  common::Bytes file = hex_bytes(
      "00000000 00000000 00000064 00000000 00000000"    // offset 0, size 100
      "00000000 00000064 00000064 00000000 00000000"    // offset 100, size 100
      "00000000 000000C8 00000000 00000000 00000000"    // size 0: not data
      "00000000 0000012C 00000064 00000000 00000000");  // after the end: ignored
  file.resize(200, 0);
  rmq::testing::write_file(qdir / "00000000000000000000", file);
  ConsumeQueue q(qdir, "T", 0, 200);
  q.load_and_recover();
  EXPECT_EQ(q.max_offset(), 2);
  EXPECT_EQ(q.max_physical_offset(), 200);
  EXPECT_FALSE(q.entry(2).has_value());
  // The tail after the end is zeroed, so the next put lands at slot 2 on a clean file.
  EXPECT_TRUE(q.put({200, 50, 0}, 2));
  const common::Bytes b = file_bytes(qdir / "00000000000000000000");
  EXPECT_EQ(slice(b, 40, 20), hex_bytes("00000000 000000C8 00000032 00000000 00000000"));
  EXPECT_EQ(slice(b, 60, 20), common::Bytes(20, 0));
}

TEST(ConsumeQueueFormatTest, RejectsAFileOfTheWrongSize) {
  TempDir dir;
  rmq::testing::write_file(dir.path() / "q" / "00000000000000000000", common::Bytes(100, 0));
  ConsumeQueue q(dir.path() / "q", "T", 0, 200);
  EXPECT_THROW(q.load_and_recover(), std::runtime_error);
}

TEST(ConsumeQueueFormatTest, TruncateDropsEntriesAtOrPastTheCommitlogEnd) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "q", "T", 0, 200);
  q.load_and_recover();
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(q.put({i * 100, 100, 0}, i));
  q.truncate_by_commitlog_end(450);  // entries at 500.. go
  EXPECT_EQ(q.max_offset(), 5);
  EXPECT_EQ(q.max_physical_offset(), 500);
  EXPECT_FALSE(fs::exists(dir.path() / "q" / "00000000000000000200"));
  EXPECT_TRUE(q.put({500, 100, 0}, 5));
  EXPECT_EQ(q.max_offset(), 6);
}

}  // namespace
}  // namespace rmq::store
