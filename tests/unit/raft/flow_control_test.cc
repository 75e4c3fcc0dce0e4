// Flow control: what a leader may have in flight to one follower is bounded by Config, whatever the
// follower does, so the memory a slow or dead follower costs is proportional to the bounds.
#include <gtest/gtest.h>

#include <vector>

#include "broker/raft/raft_core.h"
#include "tests/unit/raft/raft_test_util.h"

namespace rmq::raft {
namespace {

using testing::bytes_of;
using testing::of_type;
using testing::TestCluster;

std::vector<Message> appends_to(const std::vector<Message>& msgs, NodeId to) {
  std::vector<Message> out;
  for (const Message& m : of_type(msgs, MessageType::kAppend)) {
    if (m.to == to) out.push_back(m);
  }
  return out;
}

// A cluster whose leader 1 has both followers in replicate state.
TestCluster replicating_cluster(std::size_t max_msgs, std::size_t max_bytes, std::size_t max_append) {
  TestCluster c(3);
  for (NodeId id : c.ids()) {
    c.config(id).max_inflight_msgs = max_msgs;
    c.config(id).max_inflight_bytes = max_bytes;
    c.config(id).max_append_bytes = max_append;
    c.restart(id);
  }
  c.elect(1);
  return c;
}

TEST(FlowControl, ProbeSendsOneAppendAtATime) {
  TestCluster c(3);
  c.cut(1, 3);
  c.elect(1);
  // Node 3 never answered, so it is still probed: one append, then nothing until an answer or a heartbeat
  // response.
  ASSERT_EQ(c.core(1).progress(3)->state(), Progress::State::kProbe);
  for (int i = 0; i < 10; ++i) c.core(1).propose(bytes_of("x"));
  std::vector<Message> out = c.node(1).drain();
  EXPECT_LE(appends_to(out, 3).size(), 1u);
  for (int i = 0; i < 10; ++i) c.core(1).propose(bytes_of("y"));
  out = c.node(1).drain();
  EXPECT_EQ(appends_to(out, 3).size(), 0u);
}

TEST(FlowControl, ReplicateBoundedByInflightMessages) {
  TestCluster c = replicating_cluster(4, 1 << 30, 1);  // one entry per message
  ASSERT_EQ(c.core(1).progress(2)->state(), Progress::State::kReplicate);
  c.isolate(2);  // node 2 stops answering, but stays in replicate state
  std::size_t sent = 0;
  for (int i = 0; i < 20; ++i) {
    c.core(1).propose(bytes_of("x"));
    sent += appends_to(c.node(1).drain(), 2).size();
  }
  EXPECT_EQ(sent, 4u);
  EXPECT_TRUE(c.core(1).progress(2)->inflights().full());
  EXPECT_EQ(c.core(1).progress(2)->inflights().count(), 4u);
}

TEST(FlowControl, ReplicateBoundedByInflightBytes) {
  const std::size_t entry_bytes = kEntryHeaderBytes + 1000;
  TestCluster c = replicating_cluster(1000, 3 * entry_bytes, 1);
  c.isolate(2);
  std::size_t sent_bytes = 0;
  for (int i = 0; i < 20; ++i) {
    c.core(1).propose(Bytes(1000, 7));
    for (const Message& m : appends_to(c.node(1).drain(), 2)) {
      for (const Entry& e : m.entries) sent_bytes += entry_size_bytes(e);
    }
  }
  EXPECT_EQ(sent_bytes, 3 * entry_bytes);
  EXPECT_LE(c.core(1).progress(2)->inflights().bytes(), 3 * entry_bytes + c.config(1).max_append_bytes);
}

TEST(FlowControl, AppendMessageSizeBounded) {
  TestCluster c = replicating_cluster(1000, 1 << 30, 4 * (kEntryHeaderBytes + 100));
  c.isolate(2);
  std::vector<Bytes> many(40, Bytes(100, 1));
  c.core(1).propose_many(many);
  std::vector<Message> out = appends_to(c.node(1).drain(), 2);
  ASSERT_EQ(out.size(), 10u);
  for (const Message& m : out) EXPECT_EQ(m.entries.size(), 4u);
}

TEST(FlowControl, AcknowledgementsFreeTheWindow) {
  TestCluster c = replicating_cluster(2, 1 << 30, 1);
  for (int i = 0; i < 20; ++i) c.core(1).propose(bytes_of("x"));
  c.deliver_all();
  EXPECT_EQ(c.core(1).progress(2)->match_index(), c.core(1).log().last_index());
  EXPECT_EQ(c.core(1).progress(2)->inflights().count(), 0u);
  EXPECT_EQ(c.core(2).commit_index(), c.core(1).log().last_index());
}

// A full window with no acknowledgement for an election timeout means messages were lost: the leader goes
// back to probing instead of waiting forever, and the follower catches up once the link works again.
TEST(FlowControl, StalledWindowFallsBackToProbe) {
  TestCluster c = replicating_cluster(2, 1 << 30, 1);
  c.drop_type(MessageType::kAppend);
  for (int i = 0; i < 5; ++i) c.core(1).propose(bytes_of("x"));
  c.deliver_all();
  ASSERT_TRUE(c.core(1).progress(2)->inflights().full());
  c.allow_type(MessageType::kAppend);
  for (std::uint32_t i = 0; i < 2 * c.config(1).election_timeout_ticks; ++i) c.tick_all();
  EXPECT_EQ(c.core(2).log().last_index(), c.core(1).log().last_index());
  EXPECT_EQ(c.core(1).progress(2)->state(), Progress::State::kReplicate);
}

TEST(FlowControl, UncommittedBytesBoundRefusesProposals) {
  TestCluster c(3);
  for (NodeId id : c.ids()) {
    c.config(id).max_uncommitted_bytes = 10 * (kEntryHeaderBytes + 10);
    c.restart(id);
  }
  c.elect(1);
  c.isolate(1);
  int accepted = 0;
  for (int i = 0; i < 30; ++i) accepted += c.core(1).propose(Bytes(10, 1)).status == ProposeStatus::kAccepted;
  EXPECT_LT(accepted, 30);
  EXPECT_EQ(c.core(1).propose(Bytes(10, 1)).status, ProposeStatus::kTooManyUncommitted);
  c.heal();
  c.tick_all();
  EXPECT_EQ(c.core(1).propose(Bytes(10, 1)).status, ProposeStatus::kAccepted);
}

TEST(Inflights, CountsMessagesAndBytes) {
  Inflights in(3, 100);
  EXPECT_FALSE(in.full());
  in.add(5, 40);
  in.add(7, 40);
  EXPECT_FALSE(in.full());
  in.add(9, 40);  // crosses the byte bound: admitted, then full
  EXPECT_TRUE(in.full());
  EXPECT_THROW(in.add(10, 1), InvariantError);
  in.free_le(6);
  EXPECT_EQ(in.count(), 2u);
  EXPECT_EQ(in.bytes(), 80u);
  EXPECT_FALSE(in.full());
  in.free_le(100);
  EXPECT_EQ(in.count(), 0u);
}

}  // namespace
}  // namespace rmq::raft
