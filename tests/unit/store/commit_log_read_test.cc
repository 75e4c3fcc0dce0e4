// CommitLog::read_record(offset, size) with the size from a consume-queue entry: only a record that starts at
// the offset and whose TOTALSIZE is exactly the size is returned; a damaged size (too big, too small, past
// the written end, absurd) gives nothing, and nothing is copied for it.
#include <gtest/gtest.h>

#include <limits>

#include "broker/store/commit_log.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using rmq::testing::TempDir;

MessageRecord message(std::size_t body_size) {
  MessageRecord m;
  m.topic = "T";
  m.queue_id = 1;
  m.born_timestamp_ms = 1;
  m.born_host = HostAddress{{1, 2, 3, 4}, 5};
  m.body.assign(body_size, 'b');
  return m;
}

TEST(CommitLogReadTest, ReadBySizeNeedsTheExactTotalSize) {
  TempDir dir;
  CommitLog log(dir.path() / "commitlog", 1 << 16, HostAddress{{10, 0, 0, 7}, 10911});
  log.load();
  std::vector<MessageRecord> records = {message(100), message(50)};
  const auto placed = log.append(records, 1000);
  ASSERT_EQ(placed.size(), 2u);
  const auto first = placed[0];
  const auto whole = log.read_record(first.physical_offset, first.size_bytes);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(static_cast<std::int32_t>(whole->size()), first.size_bytes);
  EXPECT_EQ(common::load_i32_be(whole->data()), first.size_bytes);

  EXPECT_FALSE(log.read_record(first.physical_offset, first.size_bytes + placed[1].size_bytes).has_value())
      << "two records are not one";
  EXPECT_FALSE(log.read_record(first.physical_offset, first.size_bytes - 1).has_value());
  EXPECT_FALSE(log.read_record(first.physical_offset, 1 << 15).has_value()) << "past the written end";
  EXPECT_FALSE(log.read_record(first.physical_offset, std::numeric_limits<std::int32_t>::max()).has_value());
  EXPECT_FALSE(log.read_record(first.physical_offset + 4, first.size_bytes).has_value()) << "not a record start";
  EXPECT_FALSE(log.read_record(-20, first.size_bytes).has_value());
  EXPECT_TRUE(log.read_record(placed[1].physical_offset, placed[1].size_bytes).has_value());
}

}  // namespace
}  // namespace rmq::store
