// Pre-vote, check-quorum and leadership transfer: the parts of the core that keep a group available (and
// undisturbed) rather than safe.
#include <gtest/gtest.h>

#include <vector>

#include "broker/raft/raft_core.h"
#include "tests/unit/raft/raft_test_util.h"

namespace rmq::raft {
namespace {

using testing::bytes_of;
using testing::make_config;
using testing::make_node;
using testing::of_type;
using testing::TestCluster;
using testing::TestNode;

// --- pre-vote --------------------------------------------------------------------------------------------

TEST(PreVote, DoesNotChangeTermOrVote) {
  TestCluster c(3, /*pre_vote=*/true, /*check_quorum=*/true);
  c.isolate(1);
  c.core(1).campaign();
  EXPECT_EQ(c.core(1).role(), Role::kPreCandidate);
  EXPECT_EQ(c.core(1).term(), 0u);
  EXPECT_EQ(c.core(1).vote(), kNoNode);
  std::vector<Message> out = c.node(1).drain();
  std::vector<Message> pre_votes = of_type(out, MessageType::kPreVote);
  ASSERT_EQ(pre_votes.size(), 2u);
  EXPECT_EQ(pre_votes[0].term, 1u);  // the term it would campaign in
  // The voter grants without adopting the term or recording a vote.
  c.core(2).step(pre_votes[0]);
  std::vector<Message> answer = of_type(c.node(2).drain(), MessageType::kPreVoteResponse);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_FALSE(answer[0].reject);
  EXPECT_EQ(c.core(2).term(), 0u);
  EXPECT_EQ(c.core(2).vote(), kNoNode);
}

TEST(PreVote, WinningPreVoteStartsRealElection) {
  TestCluster c(3, true, true);
  c.core(1).campaign();
  c.deliver_all();
  EXPECT_EQ(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).term(), 1u);
}

// A node cut off keeps timing out, but never raises its term, so when it returns it does not depose the
// working leader.
TEST(PreVote, CutOffNodeDoesNotDisruptOnReturn) {
  TestCluster c(3, true, true);
  c.elect(1);
  const Term term = c.core(1).term();
  c.isolate(3);
  for (int i = 0; i < 100; ++i) c.tick_all();
  EXPECT_EQ(c.core(3).term(), term);
  EXPECT_NE(c.core(3).role(), Role::kLeader);
  c.heal();
  for (int i = 0; i < 50; ++i) c.tick_all();
  EXPECT_EQ(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).term(), term);
  EXPECT_EQ(c.core(3).leader_id(), 1u);
}

// Without pre-vote the same returning node raises the term and forces an election: the disruption
// pre-vote exists to prevent.
TEST(PreVote, WithoutPreVoteReturningNodeDisrupts) {
  TestCluster c(3, /*pre_vote=*/false, /*check_quorum=*/false);
  c.elect(1);
  const Term term = c.core(1).term();
  c.isolate(3);
  for (int i = 0; i < 100; ++i) c.tick_all();
  EXPECT_GT(c.core(3).term(), term);
  c.heal();
  for (int i = 0; i < 50; ++i) c.tick_all();
  EXPECT_GT(c.core(1).term(), term);
}

// A node that heard from a live leader within the election timeout rejects pre-votes.
TEST(PreVote, RejectedWithinLeaderLease) {
  TestCluster c(3, true, true);
  c.elect(1);
  Message pv;
  pv.type = MessageType::kPreVote;
  pv.from = 3;
  pv.to = 2;
  pv.term = c.core(1).term() + 1;
  pv.log_index = c.core(2).log().last_index();
  pv.log_term = c.core(2).log().last_term();
  c.core(2).step(pv);
  std::vector<Message> answer = of_type(c.node(2).drain(), MessageType::kPreVoteResponse);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_TRUE(answer[0].reject);
  // Once the lease runs out (the leader went quiet for an election timeout), the same request is granted.
  c.isolate(1);
  for (std::uint32_t i = 0; i < c.config(2).election_timeout_ticks; ++i) c.core(2).tick();
  c.node(2).drain();
  if (c.core(2).role() == Role::kFollower) {
    c.core(2).step(pv);
    answer = of_type(c.node(2).drain(), MessageType::kPreVoteResponse);
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_FALSE(answer[0].reject);
  }
}

// --- check-quorum ----------------------------------------------------------------------------------------

TEST(CheckQuorum, LeaderStepsDownWithoutMajority) {
  TestCluster c(3, true, true);
  c.elect(1);
  c.isolate(1);
  for (std::uint32_t i = 0; i < 2 * c.config(1).election_timeout_ticks; ++i) c.tick_all();
  EXPECT_NE(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).propose(bytes_of("x")).status, ProposeStatus::kNotLeader);
}

TEST(CheckQuorum, LeaderStaysWithMajority) {
  TestCluster c(5, true, true);
  c.elect(1);
  c.cut(1, 4);
  c.cut(1, 5);
  const Term term = c.core(1).term();
  for (int i = 0; i < 100; ++i) c.tick_all();
  EXPECT_EQ(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).term(), term);
}

// After the leader steps down the majority side elects a new one.
TEST(CheckQuorum, MajorityElectsNewLeaderAfterLeaderCutOff) {
  TestCluster c(5, true, true);
  c.elect(1);
  c.isolate(1);
  for (int i = 0; i < 100; ++i) c.tick_all();
  NodeId leader = c.leader();
  EXPECT_NE(leader, kNoNode);
  EXPECT_NE(leader, 1u);
  EXPECT_NE(c.core(1).role(), Role::kLeader);
}

// --- leadership transfer ---------------------------------------------------------------------------------

TEST(Transfer, CaughtUpTransfereeGetsTimeoutNowAndWins) {
  TestCluster c(3, true, true);
  c.elect(1);
  ASSERT_TRUE(c.core(1).transfer_leadership(2));
  c.deliver_all();
  EXPECT_EQ(c.core(2).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).role(), Role::kFollower);
  EXPECT_EQ(c.core(1).leader_id(), 2u);
}

TEST(Transfer, LaggingTransfereeCatchesUpFirst) {
  TestCluster c(3, true, true);
  c.elect(1);
  c.cut(1, 3);
  for (int i = 0; i < 5; ++i) c.core(1).propose(bytes_of("x"));
  c.deliver_all();
  c.heal();
  const Index last = c.core(1).log().last_index();
  ASSERT_LT(c.core(3).log().last_index(), last);
  ASSERT_TRUE(c.core(1).transfer_leadership(3));
  c.deliver_all();
  c.tick_all();
  EXPECT_EQ(c.core(3).role(), Role::kLeader);
  EXPECT_GE(c.core(3).log().last_index(), last);
}

TEST(Transfer, ProposalsRefusedWhileTransferring) {
  TestCluster c(3, true, true);
  c.elect(1);
  c.isolate(2);
  ASSERT_TRUE(c.core(1).transfer_leadership(2));
  EXPECT_EQ(c.core(1).propose(bytes_of("x")).status, ProposeStatus::kTransferring);
  // The transfer is abandoned after an election timeout and proposals are accepted again.
  c.heal();
  c.isolate(2);
  c.cut(1, 2);
  for (std::uint32_t i = 0; i < c.config(1).election_timeout_ticks; ++i) {
    c.core(1).tick();
    c.core(3).tick();
    c.deliver_all();
  }
  ASSERT_EQ(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).lead_transferee(), kNoNode);
  EXPECT_EQ(c.core(1).propose(bytes_of("x")).status, ProposeStatus::kAccepted);
}

TEST(Transfer, RefusedWhenNotLeaderOrNotPeer) {
  TestCluster c(3, true, true);
  EXPECT_FALSE(c.core(1).transfer_leadership(2));
  c.elect(1);
  EXPECT_FALSE(c.core(1).transfer_leadership(1));
  EXPECT_FALSE(c.core(1).transfer_leadership(9));
}

// The TimeoutNow campaign is honoured inside the voters' leader lease (it comes from the leader itself).
TEST(Transfer, TransferVoteIgnoresLease) {
  TestCluster c(5, true, true);
  c.elect(1);
  c.tick_all();
  ASSERT_TRUE(c.core(1).transfer_leadership(4));
  c.deliver_all();
  EXPECT_EQ(c.core(4).role(), Role::kLeader);
}

// preferredLeaderId: the leader hands over to the preferred node once it is active and caught up.
TEST(Transfer, PreferredLeaderTakesOver) {
  TestCluster c(3, true, true);
  for (NodeId id : c.ids()) {
    c.config(id).preferred_leader_id = 3;
    c.restart(id);
  }
  c.elect(1);
  for (int i = 0; i < 5; ++i) c.tick_all();
  EXPECT_EQ(c.core(3).role(), Role::kLeader);
  for (int i = 0; i < 50; ++i) c.tick_all();
  EXPECT_EQ(c.core(3).role(), Role::kLeader);  // and it stays
}

// A lost TimeoutNow is sent again on the next heartbeat tick, so the transfer still completes.
TEST(Transfer, LostTimeoutNowIsResent) {
  TestCluster c(3, true, true);
  c.elect(1);
  c.drop_type(MessageType::kTimeoutNow);
  ASSERT_TRUE(c.core(1).transfer_leadership(2));
  c.deliver_all();
  ASSERT_EQ(c.core(1).role(), Role::kLeader);  // the only TimeoutNow was lost
  c.allow_type(MessageType::kTimeoutNow);
  for (std::uint32_t i = 0; i < c.config(1).heartbeat_interval_ticks; ++i) {
    c.core(1).tick();
    c.deliver_all();
  }
  EXPECT_EQ(c.core(2).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).role(), Role::kFollower);
}

// Under steady load the preferred node's match index trails the leader's last index by the appends in flight
// at every heartbeat; the transfer starts anyway (it keeps up with the commit index) and completes.
TEST(Transfer, PreferredLeaderTakesOverUnderSteadyLoad) {
  TestCluster c(3, true, true);
  for (NodeId id : c.ids()) {
    c.config(id).preferred_leader_id = 3;
    c.restart(id);
  }
  c.elect(1);
  int ticks = 0;
  for (; ticks < 40 && c.core(3).role() != Role::kLeader; ++ticks) {
    const NodeId l = c.leader();
    c.core(l).propose(bytes_of("load"));  // not yet delivered when the leader's heartbeat fires
    for (NodeId id : c.ids()) c.core(id).tick();
    c.deliver_all();
  }
  EXPECT_EQ(c.core(3).role(), Role::kLeader) << "no transfer after " << ticks << " ticks of load";
  EXPECT_LT(ticks, 10);
}

// A transfer that cannot complete ends after transfer_timeout_ticks; an automatic one to the preferred node is
// retried only after preferred_leader_retry_ticks, so the group is not kept refusing proposals.
TEST(Transfer, TimeoutAndPreferredRetryBackoff) {
  TestCluster c(3, true, true);
  for (NodeId id : c.ids()) {
    c.config(id).preferred_leader_id = 3;
    c.config(id).transfer_timeout_ticks = 4;
    c.config(id).preferred_leader_retry_ticks = 30;
    c.restart(id);
  }
  c.elect(1);
  c.drop_type(MessageType::kTimeoutNow);  // node 3 never hears it
  int refusing = 0, transfers_started = 0;
  NodeId before = kNoNode;
  for (int t = 0; t < 60; ++t) {
    c.core(1).tick();
    c.core(2).tick();
    c.core(3).tick();
    c.deliver_all();
    ASSERT_EQ(c.core(1).role(), Role::kLeader);
    if (c.core(1).lead_transferee() == 3 && before != 3) ++transfers_started;
    before = c.core(1).lead_transferee();
    if (c.core(1).propose(bytes_of("x")).status == ProposeStatus::kTransferring) ++refusing;
    c.deliver_all();
  }
  EXPECT_EQ(transfers_started, 2);  // at the start, and once more after the back-off
  EXPECT_LE(refusing, 2 * 4 + 2);
  EXPECT_GE(refusing, 4);
}

// A transferee that is far behind but keeps catching up is not given up on at the timeout: the timeout counts
// ticks without progress (the transfer is bounded by 4 timeouts in all).
TEST(Transfer, SlowButProgressingTransfereeIsWaitedFor) {
  TestCluster c(3, true, true);
  for (NodeId id : c.ids()) {
    c.config(id).max_append_bytes = 1;  // one entry per append
    c.config(id).max_inflight_msgs = 1;
    c.config(id).transfer_timeout_ticks = 20;
    c.restart(id);
  }
  c.isolate(3);  // node 3 misses the election and everything after it (the leader keeps probing it)
  c.elect(1);
  for (int i = 0; i < 30; ++i) c.core(1).propose(bytes_of("x"));
  c.deliver_all();
  c.heal();
  ASSERT_TRUE(c.core(1).transfer_leadership(3));
  // One hop per tick: node 3 gains about one entry every two ticks, so it needs about 60 ticks.
  int ticks = 0;
  for (; ticks < 100 && c.core(3).role() != Role::kLeader; ++ticks) {
    std::vector<Message> hop;
    for (NodeId id : c.ids()) {
      c.core(id).tick();
      for (Message& m : c.node(id).drain()) hop.push_back(std::move(m));
    }
    for (const Message& m : hop) c.core(m.to).step(m);
    if (c.core(1).role() == Role::kLeader) {
      ASSERT_EQ(c.core(1).lead_transferee(), 3u) << "transfer given up after " << ticks << " ticks";
    }
  }
  EXPECT_EQ(c.core(3).role(), Role::kLeader);
  EXPECT_GT(ticks, 20);  // longer than one timeout
}

// --- config ----------------------------------------------------------------------------------------------

TEST(Config, ValidateRejectsBadConfigs) {
  Config c = make_config(1, {1, 2, 3});
  EXPECT_EQ(c.validate(), "");
  Config bad = c;
  bad.id = 4;
  EXPECT_NE(bad.validate(), "");
  bad = c;
  bad.heartbeat_interval_ticks = bad.election_timeout_ticks;
  EXPECT_NE(bad.validate(), "");
  bad = c;
  bad.voters = {1, 2, 2};
  EXPECT_NE(bad.validate(), "");
  bad = c;
  bad.unsafe_count_previous_term_replicas = true;
  EXPECT_NE(bad.validate(), "");
  bad.allow_unsafe_for_tests = true;
  EXPECT_EQ(bad.validate(), "");
  MemoryLogStorage storage;
  bad = c;
  bad.voters.clear();
  EXPECT_THROW(RaftCore(bad, storage), std::invalid_argument);
}

TEST(Config, RandomizedElectionTimeoutInRangeAndSeeded) {
  auto timeouts = [](std::uint64_t seed) {
    Config cfg = make_config(1, {1, 2, 3});
    cfg.seed = seed;
    MemoryLogStorage s;
    RaftCore core(cfg, s);
    std::vector<std::uint32_t> out;
    for (int i = 0; i < 50; ++i) {
      out.push_back(core.randomized_election_timeout_ticks());
      core.campaign();  // each campaign draws a new timeout
      Batch b = core.ready();
      core.advance(b);
    }
    return out;
  };
  const std::vector<std::uint32_t> a = timeouts(1);
  for (std::uint32_t t : a) {
    EXPECT_GE(t, 10u);
    EXPECT_LT(t, 20u);
  }
  EXPECT_EQ(a, timeouts(1));  // same seed, same sequence
  EXPECT_NE(a, timeouts(2));
}

// --- input validation ------------------------------------------------------------------------------------

TEST(Step, DropsMessagesFromStrangersAndMalformedOnes) {
  TestNode n = make_node(make_config(1, {1, 2, 3}));
  Message m;
  m.type = MessageType::kAppend;
  m.from = 9;
  m.to = 1;
  m.term = 1;
  EXPECT_EQ(n.core->step(m), StepResult::kUnknownPeer);
  m.from = 2;
  m.to = 3;
  EXPECT_EQ(n.core->step(m), StepResult::kMalformed);
  m.to = 1;
  m.entries = {testing::entry(5, 1)};  // does not follow prev index 0
  EXPECT_EQ(n.core->step(m), StepResult::kMalformed);
  m.entries = {testing::entry(1, 2)};  // an entry from a later term than the message
  EXPECT_EQ(n.core->step(m), StepResult::kMalformed);
  EXPECT_EQ(n.core->term(), 0u);
  m.entries = {testing::entry(1, 1)};
  EXPECT_EQ(n.core->step(m), StepResult::kOk);
  EXPECT_EQ(n.core->term(), 1u);
}

}  // namespace
}  // namespace rmq::raft
