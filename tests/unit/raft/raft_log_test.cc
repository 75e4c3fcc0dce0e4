// The log: durable entries in storage, the unstable tail, and the hint lookups.
#include <gtest/gtest.h>

#include <vector>

#include "broker/raft/raft_log.h"
#include "tests/unit/raft/raft_test_util.h"

namespace rmq::raft {
namespace {

using testing::entry;

TEST(RaftLog, ReadsAcrossStorageAndUnstableTail) {
  MemoryLogStorage s;
  s.append({entry(1, 1), entry(2, 1)});
  RaftLog log(s, 0, 0);
  log.append({entry(3, 2), entry(4, 2)});
  EXPECT_EQ(log.last_index(), 4u);
  EXPECT_EQ(log.term(2), 1u);
  EXPECT_EQ(log.term(4), 2u);
  EXPECT_EQ(log.term(0), 0u);
  EXPECT_FALSE(log.maybe_term(5).has_value());
  EXPECT_EQ(log.stable_index(), 2u);
  std::vector<Entry> all = log.entries_from(1, 1 << 20);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].index, 4u);
  EXPECT_EQ(log.entries_from(2, 1).size(), 1u);  // at least one entry, even over budget
  log.stable_to(4, 2);
  EXPECT_EQ(log.stable_index(), 4u);
  EXPECT_FALSE(log.has_unstable());
}

TEST(RaftLog, StableToIgnoresRewrittenTail) {
  MemoryLogStorage s;
  RaftLog log(s, 0, 0);
  log.append({entry(1, 1), entry(2, 1)});
  // A new leader replaces entry 2 before the runtime reports the first write durable.
  ASSERT_TRUE(log.maybe_append(1, 1, 0, {entry(2, 2)}).has_value());
  log.stable_to(2, 1);  // the report is about the old entry 2: nothing becomes stable
  EXPECT_EQ(log.stable_index(), 0u);
  log.stable_to(2, 2);
  EXPECT_EQ(log.stable_index(), 2u);
}

TEST(RaftLog, TruncationReachingIntoStorageIsReported) {
  MemoryLogStorage s;
  s.append({entry(1, 1), entry(2, 1), entry(3, 1)});
  RaftLog log(s, 1, 0);
  ASSERT_TRUE(log.maybe_append(1, 1, 0, {entry(2, 2)}).has_value());
  EXPECT_TRUE(log.storage_needs_truncation());
  EXPECT_EQ(log.unstable_offset(), 2u);
  EXPECT_EQ(log.last_index(), 2u);
}

TEST(RaftLog, UpToDateComparesLastTermThenLength) {
  MemoryLogStorage s;
  s.append({entry(1, 1), entry(2, 3)});
  RaftLog log(s, 0, 0);
  EXPECT_TRUE(log.is_up_to_date(1, 4));
  EXPECT_TRUE(log.is_up_to_date(2, 3));
  EXPECT_FALSE(log.is_up_to_date(1, 3));
  EXPECT_FALSE(log.is_up_to_date(9, 2));
}

TEST(RaftLog, TermSearchesForHints) {
  MemoryLogStorage s;
  s.append({entry(1, 1), entry(2, 1), entry(3, 3), entry(4, 3), entry(5, 5)});
  RaftLog log(s, 0, 0);
  EXPECT_EQ(log.first_index_with_term_at_least(3, 1, 5), 3u);
  EXPECT_EQ(log.first_index_with_term_at_least(2, 1, 5), 3u);
  EXPECT_EQ(log.first_index_with_term_at_least(6, 1, 5), 6u);
  EXPECT_EQ(log.first_index_with_term_at_least(1, 2, 5), 2u);
  EXPECT_EQ(log.last_index_with_term_at_most(3, 1, 5), 4u);
  EXPECT_EQ(log.last_index_with_term_at_most(2, 1, 5), 2u);
  EXPECT_EQ(log.last_index_with_term_at_most(0, 1, 5), 0u);
  EXPECT_EQ(log.last_index_with_term_at_most(9, 1, 5), 5u);
}

TEST(RaftLog, CommitNeverPastLastIndexNorBackwards) {
  MemoryLogStorage s;
  s.append({entry(1, 1), entry(2, 1)});
  RaftLog log(s, 1, 0);
  log.commit_to(2);
  log.commit_to(1);
  EXPECT_EQ(log.committed(), 2u);
  EXPECT_THROW(log.commit_to(3), InvariantError);
  EXPECT_THROW(log.maybe_append(0, 0, 0, {entry(1, 2)}), InvariantError);  // would delete committed 1 and 2
}

TEST(RaftLog, NextCommittedEntriesRespectsBudget) {
  MemoryLogStorage s;
  s.append({entry(1, 1, "aaaa"), entry(2, 1, "bbbb"), entry(3, 1, "cccc")});
  RaftLog log(s, 3, 1);
  std::vector<Entry> next = log.next_committed_entries(1 << 20);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].index, 2u);
  EXPECT_EQ(log.next_committed_entries(1).size(), 1u);
}

}  // namespace
}  // namespace rmq::raft
