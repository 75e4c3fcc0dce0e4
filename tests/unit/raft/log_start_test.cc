// A log that starts above index 1 (DLedger deletes expired files) and a storage the core must refuse.
#include <gtest/gtest.h>

#include <vector>

#include "broker/raft/raft_core.h"
#include "tests/unit/raft/raft_test_util.h"

namespace rmq::raft {
namespace {

using testing::entry;
using testing::make_config;
using testing::of_type;

const std::vector<NodeId> kThree = {1, 2, 3};

// A MemoryLogStorage whose entries below `first` were deleted.
class PrefixDeletedStorage final : public LogStorage {
 public:
  PrefixDeletedStorage(const std::vector<Entry>& log, HardState hs, Index first) : first_(first) {
    mem_.append(log);
    mem_.set_hard_state(hs);
  }
  HardState hard_state() const override { return mem_.hard_state(); }
  Index first_index() const override { return first_; }
  Index last_index() const override { return mem_.last_index(); }
  Term term(Index index) const override {
    EXPECT_TRUE(index == 0 || index >= first_) << "term of deleted entry " << index;
    return mem_.term(index);
  }
  void entries(Index lo, Index hi, std::size_t max_bytes, std::vector<Entry>& out) const override {
    EXPECT_GE(lo, first_) << "read of deleted entries";
    mem_.entries(lo, hi, max_bytes, out);
  }
  void write(const Batch& b) {
    mem_.append(b.entries);
    if (b.hard_state) mem_.set_hard_state(*b.hard_state);
  }

 private:
  MemoryLogStorage mem_;
  Index first_;
};

std::vector<Entry> log_of(Index n, Term t) {
  std::vector<Entry> out;
  for (Index i = 1; i <= n; ++i) out.push_back(entry(i, t, "e"));
  return out;
}

Message msg(MessageType type, NodeId from, NodeId to, Term term) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

std::vector<Message> all_messages(const Batch& b) {
  std::vector<Message> out = b.messages_before_persist;
  out.insert(out.end(), b.messages.begin(), b.messages.end());
  return out;
}

TEST(LogStart, DefaultFirstIndexIsOne) {
  MemoryLogStorage s;
  EXPECT_EQ(s.first_index(), 1u);
}

// Restarting over a log whose first entries are gone: the deleted entries count as committed and applied,
// nothing below the first index is read or handed out.
TEST(LogStart, RestartOverDeletedPrefix) {
  PrefixDeletedStorage s(log_of(10, 1), {1, kNoNode, 3}, 6);
  ASSERT_FALSE(RaftCore::check_start(make_config(1, kThree), s).has_value());
  RaftCore core(make_config(1, kThree), s);
  EXPECT_EQ(core.commit_index(), 5u);
  EXPECT_EQ(core.log().first_index(), 6u);
  Batch b = core.ready();
  EXPECT_TRUE(b.committed_entries.empty());
  core.advance(b);
  // A leader's append whose previous entry is the last deleted one matches: that entry was committed.
  Message a = msg(MessageType::kAppend, 2, 1, 1);
  a.log_index = 5;
  a.log_term = 1;
  a.commit_index = 7;
  a.entries = {entry(6, 1, "e")};
  core.step(a);
  Batch r = core.ready();
  const std::vector<Message> acks = of_type(r.messages, MessageType::kAppendResponse);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_FALSE(acks[0].reject);
  EXPECT_EQ(acks[0].log_index, 6u);
  // Committed up to min(leader commit, last new entry) = 6: the first entry that still exists.
  ASSERT_EQ(r.committed_entries.size(), 1u);
  EXPECT_EQ(r.committed_entries[0].index, 6u);
  core.advance(r);
}

TEST(LogStart, EveryEntryDeletedIsRefused) {
  PrefixDeletedStorage s(log_of(4, 1), {1, kNoNode, 4}, 5);
  const std::optional<StartError> err = RaftCore::check_start(make_config(1, kThree), s);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, StartError::Kind::kFirstIndexPastLast);
  EXPECT_THROW(RaftCore(make_config(1, kThree), s), StartRefused);
}

// A follower whose log ends below the leader's first index cannot be caught up: the leader says so once, in
// the batch and in its progress, and keeps it alive with heartbeats instead of probing in a loop. A follower
// that is only a little behind is replicated to as usual.
TEST(LogStart, FollowerNeedingDeletedEntriesIsReported) {
  PrefixDeletedStorage s(log_of(10, 1), {1, kNoNode, 10}, 6);
  RaftCore leader(make_config(1, kThree), s);
  leader.campaign();
  Batch b = leader.ready();
  s.write(b);
  leader.advance(b);
  Message grant = msg(MessageType::kVoteResponse, 2, 1, 2);
  leader.step(grant);
  ASSERT_EQ(leader.role(), Role::kLeader);
  b = leader.ready();
  s.write(b);
  leader.advance(b);
  // Follower 2 has nothing (its disk was replaced): it rejects with "my log ends at 0".
  Message reject = msg(MessageType::kAppendResponse, 2, 1, 2);
  reject.reject = true;
  reject.log_index = 10;
  reject.hint_index = 1;
  leader.step(reject);
  // Follower 3 holds 1..7: it rejects with "my log ends at 7".
  Message reject3 = msg(MessageType::kAppendResponse, 3, 1, 2);
  reject3.reject = true;
  reject3.log_index = 10;
  reject3.hint_index = 8;
  leader.step(reject3);
  b = leader.ready();
  ASSERT_EQ(b.followers_needing_deleted_entries.size(), 1u);
  EXPECT_EQ(b.followers_needing_deleted_entries[0], (FollowerNeedsDeletedEntries{2, 1, 6}));
  ASSERT_NE(leader.progress(2), nullptr);
  EXPECT_TRUE(leader.progress(2)->needs_deleted_entries());
  EXPECT_EQ(leader.followers_needing_deleted_entries(), std::vector<NodeId>{2});
  std::vector<Message> out = all_messages(b);
  for (const Message& m : of_type(out, MessageType::kAppend)) {
    EXPECT_NE(m.to, 2u) << "append to a follower that needs deleted entries: " << describe(m);
  }
  std::vector<Message> to3 = of_type(out, MessageType::kAppend);
  ASSERT_EQ(to3.size(), 1u);
  EXPECT_EQ(to3[0].to, 3u);
  EXPECT_EQ(to3[0].log_index, 7u);  // prev 7 is still held: replicated as usual
  s.write(b);
  leader.advance(b);
  // Heartbeats go on; a heartbeat answer does not make the leader probe again, nor report again.
  for (int i = 0; i < 3; ++i) {
    leader.tick();
    leader.step(msg(MessageType::kHeartbeatResponse, 2, 1, 2));
    b = leader.ready();
    EXPECT_TRUE(b.followers_needing_deleted_entries.empty());
    out = all_messages(b);
    bool heartbeat_to_2 = false;
    for (const Message& m : out) {
      EXPECT_FALSE(m.type == MessageType::kAppend && m.to == 2u) << describe(m);
      heartbeat_to_2 |= m.type == MessageType::kHeartbeat && m.to == 2u;
    }
    EXPECT_TRUE(heartbeat_to_2);
    s.write(b);
    leader.advance(b);
  }
  EXPECT_TRUE(leader.progress(2)->needs_deleted_entries());
}

}  // namespace
}  // namespace rmq::raft
