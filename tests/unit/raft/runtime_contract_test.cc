// The contract between the core and its runtime (batch.h): what may go out before the batch's write is
// durable and what may not, applying apart from advance, a failed write, and the leader that counts its own
// copy only once it is durable.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "broker/raft/raft_core.h"
#include "tests/unit/raft/raft_test_util.h"

namespace rmq::raft {
namespace {

using testing::bytes_of;
using testing::entry;
using testing::make_config;
using testing::make_node;
using testing::of_type;
using testing::TestCluster;
using testing::TestNode;

const std::vector<NodeId> kThree = {1, 2, 3};

Message append(NodeId from, NodeId to, Term term, Index prev_index, Term prev_term, std::vector<Entry> entries,
               Index commit) {
  Message m;
  m.type = MessageType::kAppend;
  m.from = from;
  m.to = to;
  m.term = term;
  m.log_index = prev_index;
  m.log_term = prev_term;
  m.entries = std::move(entries);
  m.commit_index = commit;
  return m;
}

Message append_ack(NodeId from, NodeId to, Term term, Index index) {
  Message m;
  m.type = MessageType::kAppendResponse;
  m.from = from;
  m.to = to;
  m.term = term;
  m.log_index = index;
  return m;
}

bool has_type(const std::vector<Message>& msgs, MessageType t) { return !of_type(msgs, t).empty(); }

// A leader (node 1 of three, term 1) whose no-op is committed and whose followers are in replicate state.
TestCluster steady_leader() {
  TestCluster c(3);
  c.elect(1);
  c.deliver_all();
  return c;
}

TEST(RuntimeContract, LeaderAppendsGoBeforePersistAcksAfter) {
  TestCluster c = steady_leader();
  ASSERT_EQ(c.core(1).propose(bytes_of("a")).status, ProposeStatus::kAccepted);
  Batch b = c.core(1).ready();
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_TRUE(b.must_sync);
  // The appends to both followers go out at once, carrying the entry the leader has not written yet.
  const std::vector<Message> appends = of_type(b.messages_before_persist, MessageType::kAppend);
  ASSERT_EQ(appends.size(), 2u);
  EXPECT_EQ(appends[0].entries.size(), 1u);
  EXPECT_TRUE(b.messages.empty());

  // A follower's acknowledgement waits for its own write.
  RaftCore& f = c.core(2);
  ASSERT_EQ(f.step(appends[0].to == 2 ? appends[0] : appends[1]), StepResult::kOk);
  Batch fb = f.ready();
  EXPECT_TRUE(fb.messages_before_persist.empty());
  ASSERT_EQ(of_type(fb.messages, MessageType::kAppendResponse).size(), 1u);
  EXPECT_EQ(fb.entries.size(), 1u);

  // With one follower's acknowledgement but its own copy not durable, the leader must not commit: the entry
  // has one durable copy out of three.
  const Index index = b.entries.back().index;
  const Index commit_before = c.core(1).commit_index();
  c.core(1).step(append_ack(2, 1, 1, index));
  EXPECT_EQ(c.core(1).commit_index(), commit_before);
  testing::persist(*c.node(1).storage, b);
  c.core(1).advance(b);
  EXPECT_EQ(c.core(1).commit_index(), index);  // now two durable copies
}

TEST(RuntimeContract, VotesWaitForPersist) {
  TestNode n = make_node(make_config(1, kThree));
  n.core->campaign();  // no pre-vote in make_config: a real election
  Batch b = n.core->ready();
  ASSERT_TRUE(b.hard_state.has_value());
  EXPECT_EQ(b.hard_state->vote, 1u);
  EXPECT_TRUE(b.must_sync);
  EXPECT_EQ(of_type(b.messages, MessageType::kVote).size(), 2u);
  EXPECT_FALSE(has_type(b.messages_before_persist, MessageType::kVote));
  n.core->advance(b);

  TestNode v = make_node(make_config(2, kThree));
  Message req;
  req.type = MessageType::kVote;
  req.from = 3;
  req.to = 2;
  req.term = 1;
  v.core->step(req);
  Batch vb = v.core->ready();
  EXPECT_TRUE(vb.messages_before_persist.empty());
  ASSERT_EQ(of_type(vb.messages, MessageType::kVoteResponse).size(), 1u);
  EXPECT_TRUE(vb.must_sync);
}

// Heartbeats (and appends of new proposals) do not wait for a slow write of the leader.
TEST(RuntimeContract, HeartbeatsFlowWhileABatchIsOutstanding) {
  TestCluster c = steady_leader();
  c.core(1).propose(bytes_of("a"));
  Batch b = c.core(1).ready();  // its write is slow: no advance yet
  EXPECT_FALSE(c.core(1).has_ready());
  for (std::uint32_t i = 0; i < c.config(1).heartbeat_interval_ticks; ++i) c.core(1).tick();
  ASSERT_TRUE(c.core(1).has_messages_before_persist());
  std::vector<Message> early = c.core(1).take_messages_before_persist();
  EXPECT_EQ(of_type(early, MessageType::kHeartbeat).size(), 2u);
  // A proposal meanwhile is sent to the followers at once as well.
  c.core(1).propose(bytes_of("b"));
  early = c.core(1).take_messages_before_persist();
  EXPECT_EQ(of_type(early, MessageType::kAppend).size(), 2u);
  EXPECT_FALSE(c.core(1).has_messages_before_persist());
  c.core(1).advance(b);
  Batch next = c.core(1).ready();  // writes "b"; the appends already went
  ASSERT_EQ(next.entries.size(), 1u);
  EXPECT_EQ(next.entries[0].data, bytes_of("b"));
  EXPECT_FALSE(has_type(next.messages_before_persist, MessageType::kAppend));
}

// Committed entries are handed out only once they are durable here, so applying never waits for a write.
TEST(RuntimeContract, CommittedEntriesAreHandedOutOnlyWhenDurable) {
  TestNode f = make_node(make_config(2, kThree));
  // One append carries entries 1..2 and a commit index covering them.
  f.core->step(append(1, 2, 1, 0, 0, {entry(1, 1, "a"), entry(2, 1, "b")}, 2));
  EXPECT_EQ(f.core->commit_index(), 2u);
  Batch b = f.core->ready();
  EXPECT_EQ(b.entries.size(), 2u);
  EXPECT_TRUE(b.committed_entries.empty());  // not durable yet
  EXPECT_TRUE(f.core->take_committed_entries().empty());
  testing::persist(*f.storage, b);
  f.core->advance(b);
  ASSERT_TRUE(f.core->has_ready());
  Batch next = f.core->ready();
  ASSERT_EQ(next.committed_entries.size(), 2u);
  EXPECT_EQ(next.committed_entries[1].data, bytes_of("b"));
  f.core->advance(next);
}

// Apply apart from advance: entries that become committed while a batch's write is in progress are handed out
// at once if they are durable, and never twice.
TEST(RuntimeContract, TakeCommittedEntriesWhileABatchIsOutstanding) {
  TestNode f = make_node(make_config(2, kThree));
  f.core->step(append(1, 2, 1, 0, 0, {entry(1, 1, "a"), entry(2, 1, "b")}, 0));
  Batch b1 = f.core->ready();
  testing::persist(*f.storage, b1);
  f.core->advance(b1);
  f.core->step(append(1, 2, 1, 2, 1, {entry(3, 1, "c")}, 0));
  Batch b2 = f.core->ready();  // writes 3, slowly
  ASSERT_EQ(b2.entries.size(), 1u);
  Message hb;
  hb.type = MessageType::kHeartbeat;
  hb.from = 1;
  hb.to = 2;
  hb.term = 1;
  hb.commit_index = 3;
  f.core->step(hb);
  EXPECT_EQ(f.core->commit_index(), 3u);
  std::vector<Entry> now = f.core->take_committed_entries();
  ASSERT_EQ(now.size(), 2u);  // 1 and 2 are durable; 3 is still being written
  EXPECT_EQ(now[1].index, 2u);
  EXPECT_TRUE(f.core->take_committed_entries().empty());
  testing::persist(*f.storage, b2);
  f.core->advance(b2);
  Batch b3 = f.core->ready();
  ASSERT_EQ(b3.committed_entries.size(), 1u);
  EXPECT_EQ(b3.committed_entries[0].index, 3u);
  f.core->advance(b3);
}

// A failed fsync: the runtime sends nothing of the batch's `messages`, and the next batch writes the same
// entries and hard state again.
TEST(RuntimeContract, PersistFailedWritesTheSameAgain) {
  TestNode f = make_node(make_config(2, kThree));
  f.core->step(append(1, 2, 1, 0, 0, {entry(1, 1, "a"), entry(2, 1, "b")}, 0));
  Batch b = f.core->ready();
  ASSERT_EQ(b.entries.size(), 2u);
  ASSERT_TRUE(b.hard_state.has_value());
  ASSERT_EQ(of_type(b.messages, MessageType::kAppendResponse).size(), 1u);
  f.core->persist_failed(b);  // nothing reached the disk
  ASSERT_TRUE(f.core->has_ready());
  Batch again = f.core->ready();
  EXPECT_EQ(again.entries, b.entries);
  EXPECT_EQ(again.truncate_from_index, 0u);
  ASSERT_TRUE(again.hard_state.has_value());
  EXPECT_EQ(again.hard_state->term, 1u);
  EXPECT_TRUE(again.must_sync);
  EXPECT_TRUE(again.messages.empty());  // the lost acknowledgement is not repeated: the leader retries
  testing::persist(*f.storage, again);
  f.core->advance(again);
  EXPECT_EQ(f.core->log().stable_index(), 2u);

  // The store kept the entries after the failure (unsynced): the next batch tells it to replace them.
  TestNode g = make_node(make_config(3, kThree));
  g.core->step(append(1, 3, 1, 0, 0, {entry(1, 1, "a")}, 0));
  Batch gb = g.core->ready();
  testing::persist(*g.storage, gb);
  g.core->persist_failed(gb);
  Batch gagain = g.core->ready();
  ASSERT_EQ(gagain.entries.size(), 1u);
  EXPECT_EQ(gagain.truncate_from_index, 1u);
  g.core->advance(gagain);
}

// An acknowledgement queued for the next batch is dropped when the entries it acknowledges are replaced
// before that batch is taken: the batch writes the replacements, so the old leader must not count this copy.
TEST(RuntimeContract, QueuedAckOfTruncatedEntriesIsDropped) {
  TestNode f = make_node(make_config(2, kThree), {entry(1, 1)}, {1, kNoNode, 1});
  f.core->step(append(1, 2, 1, 1, 1, {entry(2, 1, "x"), entry(3, 1, "y")}, 1));  // ack 3 in term 1 queued
  f.core->step(append(3, 2, 2, 1, 1, {entry(2, 2, "z")}, 1));                    // new leader replaces 2..3
  Batch b = f.core->ready();
  for (const Message& m : of_type(b.messages, MessageType::kAppendResponse)) {
    EXPECT_FALSE(!m.reject && m.log_index >= 2 && m.to == 1) << describe(m);
  }
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(b.entries[0].term, 2u);
  const std::vector<Message> acks = of_type(b.messages, MessageType::kAppendResponse);
  EXPECT_TRUE(std::any_of(acks.begin(), acks.end(), [](const Message& m) { return m.to == 3 && !m.reject; }));
}

// The broken build the simulator must catch (Sim.Bites_UnsafeLeaderCountsUnwritten): the leader commits with
// one follower's copy and its own unwritten one.
TEST(RuntimeContract, UnsafeLeaderCountsUnwrittenCommitsTooEarly) {
  TestCluster c(3);
  for (NodeId id : c.ids()) {
    c.config(id).unsafe_leader_counts_unwritten = true;
    c.config(id).allow_unsafe_for_tests = true;
    c.restart(id);
  }
  c.elect(1);
  c.deliver_all();
  const ProposeResult r = c.core(1).propose(bytes_of("a"));
  Batch b = c.core(1).ready();
  c.core(1).step(append_ack(2, 1, 1, r.index));
  EXPECT_EQ(c.core(1).commit_index(), r.index);  // committed before its own write: the bug
  c.core(1).advance(b);

  Config no_switch = make_config(1, kThree);
  no_switch.unsafe_leader_counts_unwritten = true;
  EXPECT_NE(no_switch.validate(), "");
}

TEST(RuntimeContract, UncommittedBytesBoundedByDefault) {
  EXPECT_EQ(Config{}.max_uncommitted_bytes, 64u << 20);
  // A leader whose followers are gone refuses proposals once 64 MiB are uncommitted.
  TestNode n = make_node(make_config(1, kThree));
  n.core->campaign();
  Message grant;
  grant.type = MessageType::kVoteResponse;
  grant.from = 2;
  grant.to = 1;
  grant.term = 1;
  n.core->step(grant);
  ASSERT_EQ(n.core->role(), Role::kLeader);
  const Bytes mib(1 << 20, 'x');
  int accepted = 0;
  ProposeStatus last = ProposeStatus::kAccepted;
  for (int i = 0; i < 80 && last == ProposeStatus::kAccepted; ++i) {
    last = n.core->propose(mib).status;
    if (last == ProposeStatus::kAccepted) ++accepted;
  }
  EXPECT_EQ(last, ProposeStatus::kTooManyUncommitted);
  EXPECT_GE(accepted, 62);
  EXPECT_LE(accepted, 64);
}

}  // namespace
}  // namespace rmq::raft
