// ConsumeQueue pre-blank fillers (storage.md 3.1, ConsumeQueue.fillPreBlank): a queue that first appears at a
// non-zero offset starts being readable at that offset (Java: minLogicOffset = expectLogicOffset), and a
// filler (0, INT32_MAX, 0) never counts as the queue's max physical offset, so a crash between the fillers
// and the real entry, or a truncation back onto the fillers, does not make the queue ignore new entries.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>

#include "broker/store/commitlog_files.h"
#include "broker/store/consume_queue.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;

constexpr std::int64_t kFileSize = 200;  // 10 entries per file

// Zeroes entry `queue_offset` on disk, as if the process died after the fillers but before the entry.
void erase_entry_on_disk(const fs::path& dir, std::int64_t queue_offset) {
  const std::int64_t byte = queue_offset * 20;
  const fs::path file = dir / commitlog_file_name(byte - byte % kFileSize);
  std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(io) << file;
  io.seekp(byte % kFileSize);
  const char zeros[20] = {};
  io.write(zeros, 20);
  ASSERT_TRUE(io);
}

TEST(ConsumeQueuePreBlankTest, QueueFirstSeenLateStartsAtItsFirstEntry) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "T" / "0", "T", 0, kFileSize);
  ASSERT_TRUE(q.put({5000, 100, 7}, 13));
  EXPECT_EQ(q.min_offset(), 13) << "not the start of the file holding slot 13 (10)";
  EXPECT_EQ(q.max_offset(), 14);
  EXPECT_FALSE(q.entry(12).has_value()) << "a filler is not an entry";
  EXPECT_EQ(q.entries(10, 10).size(), 0u);
  ASSERT_EQ(q.entries(13, 10).size(), 1u);
  EXPECT_EQ(q.entries(13, 10)[0], (ConsumeQueueEntry{5000, 100, 7}));
}

TEST(ConsumeQueuePreBlankTest, FillersAloneDoNotCountAsMaxPhysicalOffsetAfterACrash) {
  TempDir dir;
  const fs::path qdir = dir.path() / "T" / "0";
  {
    ConsumeQueue q(qdir, "T", 0, kFileSize);
    ASSERT_TRUE(q.put({5000, 100, 7}, 13));
  }
  erase_entry_on_disk(qdir, 13);
  ConsumeQueue q(qdir, "T", 0, kFileSize);
  q.load_and_recover();
  EXPECT_EQ(q.max_offset(), 13) << "the fillers 10..12 are kept";
  EXPECT_EQ(q.max_physical_offset(), 0) << "a filler points at nothing";
  EXPECT_TRUE(q.put({5000, 100, 7}, 13)) << "the re-dispatched entry must not be ignored";
  EXPECT_TRUE(q.put({5100, 100, 8}, 14));
  EXPECT_EQ(q.max_offset(), 15);
  EXPECT_EQ(q.entry(14), (ConsumeQueueEntry{5100, 100, 8}));
}

TEST(ConsumeQueuePreBlankTest, TruncationBackOntoFillersResetsMaxPhysicalOffset) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "T" / "0", "T", 0, kFileSize);
  ASSERT_TRUE(q.put({5000, 100, 7}, 13));
  q.truncate_by_commitlog_end(5000);  // the commitlog ends before the entry's record
  EXPECT_EQ(q.max_offset(), 13);
  EXPECT_EQ(q.max_physical_offset(), 0);
  EXPECT_TRUE(q.put({4000, 100, 9}, 13));
  EXPECT_EQ(q.entry(13), (ConsumeQueueEntry{4000, 100, 9}));
}

TEST(ConsumeQueuePreBlankTest, GapAcrossFilesIsFilledEntryByEntry) {
  TempDir dir;
  ConsumeQueue q(dir.path() / "T" / "0", "T", 0, kFileSize);
  ASSERT_TRUE(q.put({100, 50, 1}, 0));
  ASSERT_TRUE(q.put({150, 50, 2}, 25));  // slots 1..24 filled across three files
  EXPECT_EQ(q.max_offset(), 26);
  EXPECT_EQ(q.max_physical_offset(), 200);
  for (std::int64_t slot = 1; slot < 25; ++slot) EXPECT_EQ(q.entry(slot), kPreBlankEntry) << slot;
  EXPECT_EQ(q.entry(25), (ConsumeQueueEntry{150, 50, 2}));
}

}  // namespace
}  // namespace rmq::store
