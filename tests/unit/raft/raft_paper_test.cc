// One test per rule of the Raft paper's Figure 2 and section 5, named after the rule. Pre-vote and
// check-quorum are off here unless a test says otherwise, so that the textbook behaviour is what is tested.
#include <gtest/gtest.h>

#include <map>
#include <string>
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

Message vote(NodeId from, NodeId to, Term term, Index last_index, Term last_term) {
  Message m;
  m.type = MessageType::kVote;
  m.from = from;
  m.to = to;
  m.term = term;
  m.log_index = last_index;
  m.log_term = last_term;
  return m;
}

Message only(const std::vector<Message>& msgs, MessageType t) {
  std::vector<Message> found = of_type(msgs, t);
  EXPECT_EQ(found.size(), 1u) << "expected exactly one " << to_string(t);
  return found.empty() ? Message{} : found.front();
}

// --- Figure 2, AppendEntries RPC, receiver implementation ------------------------------------------------

// 1. Reply false if term < currentTerm.
TEST(RaftPaper, AppendEntries_RejectsIfTermLessThanCurrent) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1)}, {3, kNoNode, 0});
  n.core->step(append(2, 1, 2, 1, 1, {entry(2, 2, "x")}, 1));
  Message r = only(n.drain(), MessageType::kAppendResponse);
  EXPECT_TRUE(r.reject);
  EXPECT_EQ(r.term, 3u);  // the stale leader learns the current term
  EXPECT_EQ(n.core->log().last_index(), 1u);
  EXPECT_EQ(n.core->commit_index(), 0u);
  EXPECT_EQ(n.core->term(), 3u);
}

// 2. Reply false if the log does not contain an entry at prevLogIndex whose term matches prevLogTerm.
TEST(RaftPaper, AppendEntries_RejectsOnPrevLogMismatch) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1), entry(2, 1)}, {2, kNoNode, 0});
  // The entry at 2 has term 1, not 2: reject, hinting at the first index of term 1.
  n.core->step(append(2, 1, 2, 2, 2, {entry(3, 2)}, 0));
  Message r = only(n.drain(), MessageType::kAppendResponse);
  EXPECT_TRUE(r.reject);
  EXPECT_EQ(r.log_index, 2u);
  EXPECT_EQ(r.hint_term, 1u);
  EXPECT_EQ(r.hint_index, 1u);
  // No entry at 5 at all: reject, hinting at the end of the log.
  n.core->step(append(2, 1, 2, 5, 2, {entry(6, 2)}, 0));
  r = only(n.drain(), MessageType::kAppendResponse);
  EXPECT_TRUE(r.reject);
  EXPECT_EQ(r.hint_term, 0u);
  EXPECT_EQ(r.hint_index, 3u);
  EXPECT_EQ(n.core->log().last_index(), 2u);
}

// 3. If an existing entry conflicts with a new one (same index, different terms), delete the existing entry
//    and all that follow it.
TEST(RaftPaper, AppendEntries_DeletesConflictingEntries) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1), entry(2, 1), entry(3, 1)}, {2, kNoNode, 0});
  n.core->step(append(2, 1, 2, 1, 1, {entry(2, 2, "new")}, 0));
  ASSERT_TRUE(n.core->has_ready());
  Batch b = n.core->ready();
  EXPECT_EQ(b.truncate_from_index, 2u);  // the runtime must discard the durable entries 2 and 3
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(b.entries[0], entry(2, 2, "new"));
  testing::persist(*n.storage, b);
  n.core->advance(b);
  EXPECT_EQ(n.core->log().last_index(), 2u);
  EXPECT_EQ(n.core->log().term(2), 2u);
  EXPECT_EQ(n.storage->last_index(), 2u);
}

// 4. Append any new entries not already in the log.
TEST(RaftPaper, AppendEntries_AppendsNewEntries) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1)}, {1, kNoNode, 0});
  n.core->step(append(2, 1, 1, 1, 1, {entry(2, 1, "a"), entry(3, 1, "b")}, 0));
  Message r = only(n.drain(), MessageType::kAppendResponse);
  EXPECT_FALSE(r.reject);
  EXPECT_EQ(r.log_index, 3u);
  EXPECT_EQ(n.storage->last_index(), 3u);
  // A late copy of an earlier append changes nothing: entries already in the log are not appended again
  // and, having no conflict, the tail after them stays.
  n.core->step(append(2, 1, 1, 0, 0, {entry(1, 1), entry(2, 1, "a")}, 0));
  r = only(n.drain(), MessageType::kAppendResponse);
  EXPECT_FALSE(r.reject);
  EXPECT_EQ(r.log_index, 2u);
  EXPECT_EQ(n.core->log().last_index(), 3u);
  EXPECT_EQ(n.storage->all()[2].data, bytes_of("b"));
}

// 5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry).
TEST(RaftPaper, AppendEntries_CommitIndexIsMinOfLeaderCommitAndLastNew) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1), entry(2, 1), entry(3, 1)}, {1, kNoNode, 0});
  // The leader has committed 3, but this message only proves the log matches up to 1.
  n.core->step(append(2, 1, 1, 1, 1, {}, 3));
  n.drain();
  EXPECT_EQ(n.core->commit_index(), 1u);
  n.core->step(append(2, 1, 1, 1, 1, {entry(2, 1)}, 3));
  n.drain();
  EXPECT_EQ(n.core->commit_index(), 2u);
  n.core->step(append(2, 1, 1, 2, 1, {entry(3, 1)}, 2));
  n.drain();
  EXPECT_EQ(n.core->commit_index(), 2u);  // leaderCommit is the smaller one now
  n.core->step(append(2, 1, 1, 0, 0, {}, 0));
  n.drain();
  EXPECT_EQ(n.core->commit_index(), 2u);  // and it never goes back
}

// Not in Figure 2 but implied by it: a follower never deletes a committed entry. An append whose previous
// index is below the commit index is answered with the commit index (everything up to it matches the
// leader's log), and nothing is truncated. (RaftLog refuses such a truncation outright: raft_log_test.cc.)
TEST(RaftPaper, AppendEntries_NeverTruncatesCommittedEntries) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1), entry(2, 1)}, {2, kNoNode, 2});
  n.core->step(append(2, 1, 2, 1, 1, {entry(2, 2)}, 2));
  Message r = only(n.drain(), MessageType::kAppendResponse);
  EXPECT_FALSE(r.reject);
  EXPECT_EQ(r.log_index, 2u);
  EXPECT_EQ(n.core->log().term(2), 1u);
  EXPECT_EQ(n.storage->last_index(), 2u);
}

// --- Figure 2, RequestVote RPC, receiver implementation --------------------------------------------------

// 1. Reply false if term < currentTerm.
TEST(RaftPaper, RequestVote_RejectsStaleTerm) {
  TestNode n = make_node(make_config(1, kThree), {}, {3, kNoNode, 0});
  n.core->step(vote(2, 1, 2, 0, 0));
  Message r = only(n.drain(), MessageType::kVoteResponse);
  EXPECT_TRUE(r.reject);
  EXPECT_EQ(r.term, 3u);
  EXPECT_EQ(n.core->vote(), kNoNode);
}

// 2. If votedFor is null or candidateId ... grant vote: one vote per term.
TEST(RaftPaper, RequestVote_GrantsOnlyOncePerTerm) {
  TestNode n = make_node(make_config(1, kThree), {}, {1, kNoNode, 0});
  n.core->step(vote(2, 1, 2, 0, 0));
  EXPECT_FALSE(only(n.drain(), MessageType::kVoteResponse).reject);
  n.core->step(vote(3, 1, 2, 0, 0));
  EXPECT_TRUE(only(n.drain(), MessageType::kVoteResponse).reject);
  n.core->step(vote(2, 1, 2, 0, 0));  // the same candidate asking again (a duplicate) is granted again
  EXPECT_FALSE(only(n.drain(), MessageType::kVoteResponse).reject);
  EXPECT_EQ(n.core->vote(), 2u);
}

// 2. ... and the candidate's log is at least as up-to-date as the receiver's (section 5.4.1).
TEST(RaftPaper, RequestVote_RejectsLessUpToDateLog) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1), entry(2, 2)}, {2, kNoNode, 0});
  n.core->step(vote(2, 1, 3, 5, 1));  // longer, but its last term is older
  EXPECT_TRUE(only(n.drain(), MessageType::kVoteResponse).reject);
  n.core->step(vote(3, 1, 3, 1, 2));  // same last term, shorter
  EXPECT_TRUE(only(n.drain(), MessageType::kVoteResponse).reject);
  n.core->step(vote(2, 1, 4, 2, 2));  // same last term and length
  EXPECT_FALSE(only(n.drain(), MessageType::kVoteResponse).reject);
  EXPECT_EQ(n.core->vote(), 2u);
}

// Figure 2, persistent state: "updated on stable storage before responding to RPCs".
TEST(RaftPaper, RequestVote_VoteIsPersistedBeforeResponse) {
  TestNode n = make_node(make_config(1, kThree));
  n.core->step(vote(2, 1, 1, 0, 0));
  Batch b = n.core->ready();
  ASSERT_TRUE(b.hard_state.has_value());
  EXPECT_EQ(b.hard_state->term, 1u);
  EXPECT_EQ(b.hard_state->vote, 2u);
  EXPECT_TRUE(b.must_sync);
  EXPECT_EQ(of_type(b.messages, MessageType::kVoteResponse).size(), 1u);  // sent only after the batch is durable
  n.core->advance(b);
}

// A restart forgets nothing that was durable: the vote still binds.
TEST(RaftPaper, RequestVote_VoteSurvivesRestart) {
  TestCluster c(3);
  c.core(1).step(vote(2, 1, 1, 0, 0));
  c.node(1).drain();
  c.restart(1);
  EXPECT_EQ(c.core(1).term(), 1u);
  EXPECT_EQ(c.core(1).vote(), 2u);
  c.core(1).step(vote(3, 1, 1, 0, 0));
  EXPECT_TRUE(only(c.node(1).drain(), MessageType::kVoteResponse).reject);
}

// The broken build: with unsafe_vote_before_persist the hard state handed out has no vote, so a restart
// forgets it and the node votes twice in one term.
TEST(RaftPaper, UnsafeVoteBeforePersist_ForgetsVoteOnRestart) {
  TestCluster c(3);
  c.config(1).unsafe_vote_before_persist = true;
  c.config(1).allow_unsafe_for_tests = true;
  c.restart(1);
  c.core(1).step(vote(2, 1, 1, 0, 0));
  c.node(1).drain();
  EXPECT_EQ(c.node(1).storage->hard_state().vote, kNoNode);
  c.restart(1);
  c.core(1).step(vote(3, 1, 1, 0, 0));
  EXPECT_FALSE(only(c.node(1).drain(), MessageType::kVoteResponse).reject);
}

// --- Figure 2, rules for servers -------------------------------------------------------------------------

// All servers: if RPC request or response contains term T > currentTerm, set currentTerm = T and convert
// to follower.
TEST(RaftPaper, Rules_AllServers_HigherTermConvertsToFollower) {
  TestCluster c(3);
  c.elect(1);
  ASSERT_EQ(c.core(1).term(), 1u);
  Message m;
  m.type = MessageType::kAppendResponse;
  m.from = 2;
  m.to = 1;
  m.term = 5;
  c.core(1).step(m);
  EXPECT_EQ(c.core(1).role(), Role::kFollower);
  EXPECT_EQ(c.core(1).term(), 5u);
  EXPECT_EQ(c.core(1).vote(), kNoNode);

  c.core(3).campaign();  // candidate in term 2 (its term was 1)
  ASSERT_EQ(c.core(3).role(), Role::kCandidate);
  m.to = 3;
  m.type = MessageType::kHeartbeatResponse;
  c.core(3).step(m);
  EXPECT_EQ(c.core(3).role(), Role::kFollower);
  EXPECT_EQ(c.core(3).term(), 5u);
}

// All servers: if commitIndex > lastApplied, apply log[lastApplied+1] in order.
TEST(RaftPaper, Rules_AllServers_AppliesCommittedEntriesInOrder) {
  TestCluster c(3);
  c.elect(1);
  for (int i = 0; i < 5; ++i) c.core(1).propose(bytes_of("e" + std::to_string(i)));
  c.deliver_all();
  c.tick_all(1);  // a heartbeat brings the followers' commit index up
  for (NodeId id : c.ids()) {
    const std::vector<Entry>& applied = c.node(id).applied;
    ASSERT_EQ(applied.size(), 6u) << "node " << id;  // the no-op and five proposals
    for (std::size_t i = 0; i < applied.size(); ++i) EXPECT_EQ(applied[i].index, i + 1);
    EXPECT_EQ(applied[0].type, EntryType::kNoop);
    EXPECT_EQ(applied[5].data, bytes_of("e4"));
  }
}

// Followers: if the election timeout elapses without AppendEntries from the current leader or granting a
// vote to a candidate, convert to candidate.
TEST(RaftPaper, Follower_StartsElectionOnTimeout) {
  TestNode n = make_node(make_config(1, kThree));
  const std::uint32_t timeout = n.core->randomized_election_timeout_ticks();
  EXPECT_GE(timeout, 10u);
  EXPECT_LT(timeout, 20u);
  for (std::uint32_t i = 0; i + 1 < timeout; ++i) n.core->tick();
  EXPECT_EQ(n.core->role(), Role::kFollower);
  n.core->tick();
  EXPECT_EQ(n.core->role(), Role::kCandidate);
}

// Followers: AppendEntries from the current leader and granting a vote both reset the election timer.
TEST(RaftPaper, Follower_ElectionTimerResetByLeaderAndByGrantedVote) {
  TestNode n = make_node(make_config(1, kThree));
  const std::uint32_t timeout = n.core->randomized_election_timeout_ticks();
  for (std::uint32_t i = 0; i + 1 < timeout; ++i) n.core->tick();
  n.core->step(vote(2, 1, 1, 0, 0));
  n.drain();
  for (std::uint32_t i = 0; i + 1 < timeout; ++i) n.core->tick();
  n.core->step(append(2, 1, 1, 0, 0, {}, 0));
  n.drain();
  for (std::uint32_t i = 0; i + 1 < timeout; ++i) n.core->tick();
  EXPECT_EQ(n.core->role(), Role::kFollower);
  EXPECT_EQ(n.core->leader_id(), 2u);
}

// Candidates: on conversion, increment currentTerm, vote for self, send RequestVote to all other servers.
TEST(RaftPaper, Candidate_IncrementsTermVotesForSelfAndRequestsVotes) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1)}, {1, kNoNode, 0});
  n.core->campaign();
  EXPECT_EQ(n.core->role(), Role::kCandidate);
  EXPECT_EQ(n.core->term(), 2u);
  EXPECT_EQ(n.core->vote(), 1u);
  std::vector<Message> votes = of_type(n.drain(), MessageType::kVote);
  ASSERT_EQ(votes.size(), 2u);
  for (const Message& m : votes) {
    EXPECT_EQ(m.term, 2u);
    EXPECT_EQ(m.log_index, 1u);
    EXPECT_EQ(m.log_term, 1u);
  }
}

// Candidates: if votes received from a majority of servers, become leader.
TEST(RaftPaper, Candidate_WinsWithMajority) {
  TestCluster c(5);
  c.cut(1, 3);
  c.cut(1, 4);
  c.cut(1, 5);
  c.core(1).campaign();
  c.deliver_all();
  EXPECT_EQ(c.core(1).role(), Role::kCandidate);  // itself and node 2: 2 of 5
  c.heal();
  c.cut(1, 4);
  c.cut(1, 5);
  c.core(1).campaign();
  c.deliver_all();
  EXPECT_EQ(c.core(1).role(), Role::kLeader);  // itself, 2 and 3: 3 of 5
}

// Candidates: if AppendEntries received from the new leader, convert to follower.
TEST(RaftPaper, Candidate_StepsDownOnLeaderAppend) {
  TestNode n = make_node(make_config(1, kThree));
  n.core->campaign();
  n.drain();
  ASSERT_EQ(n.core->role(), Role::kCandidate);
  const Term t = n.core->term();
  n.core->step(append(2, 1, t, 0, 0, {}, 0));
  EXPECT_EQ(n.core->role(), Role::kFollower);
  EXPECT_EQ(n.core->term(), t);
  EXPECT_EQ(n.core->leader_id(), 2u);
  EXPECT_FALSE(only(n.drain(), MessageType::kAppendResponse).reject);
}

// Candidates: if the election timeout elapses, start a new election.
TEST(RaftPaper, Candidate_RestartsElectionOnTimeout) {
  TestNode n = make_node(make_config(1, kThree));
  n.core->campaign();
  n.drain();
  const Term t = n.core->term();
  const std::uint32_t timeout = n.core->randomized_election_timeout_ticks();
  for (std::uint32_t i = 0; i < timeout; ++i) n.core->tick();
  EXPECT_EQ(n.core->role(), Role::kCandidate);
  EXPECT_EQ(n.core->term(), t + 1);
  EXPECT_EQ(of_type(n.drain(), MessageType::kVote).size(), 2u);
}

// Leaders: upon election, send AppendEntries to each server (here carrying the term's no-op entry), and
// repeat during idle periods (heartbeats).
TEST(RaftPaper, Leader_SendsNoopOnElectionAndHeartbeats) {
  TestCluster c(3);
  c.elect(1);
  const Entry& noop = c.node(2).storage->all().back();
  EXPECT_EQ(noop.type, EntryType::kNoop);
  EXPECT_EQ(noop.term, c.core(1).term());
}

TEST(RaftPaper, Leader_SendsHeartbeats) {
  TestCluster c(3);
  c.elect(1);
  c.clear_sent();
  for (std::uint32_t i = 0; i < c.config(1).heartbeat_interval_ticks; ++i) c.core(1).tick();
  std::vector<Message> heartbeats = of_type(c.node(1).drain(), MessageType::kHeartbeat);
  ASSERT_EQ(heartbeats.size(), 2u);
  for (const Message& m : heartbeats) EXPECT_EQ(m.commit_index, c.core(1).commit_index());
}

// Leaders: if a command is received from a client, append the entry to the local log, replicate it and
// respond once it is applied.
TEST(RaftPaper, Leader_AppendsProposalAndCommitsOnMajority) {
  TestCluster c(3);
  c.elect(1);
  c.isolate(3);
  ProposeResult r = c.core(1).propose(bytes_of("x"));
  ASSERT_EQ(r.status, ProposeStatus::kAccepted);
  EXPECT_EQ(r.index, 2u);
  EXPECT_EQ(r.term, c.core(1).term());
  c.deliver_all();
  EXPECT_EQ(c.core(1).commit_index(), 2u);  // itself and node 2
  EXPECT_EQ(c.node(1).applied.back().data, bytes_of("x"));
  EXPECT_EQ(c.core(2).propose(bytes_of("y")).status, ProposeStatus::kNotLeader);
  EXPECT_EQ(c.core(2).propose(bytes_of("y")).leader_hint, 1u);
}

// The leader counts its own copy only once the runtime reports it durable.
TEST(RaftPaper, Leader_CountsItselfOnlyWhenPersisted) {
  TestNode n = make_node(make_config(1, {1}));
  n.core->campaign();
  ASSERT_EQ(n.core->role(), Role::kLeader);
  Batch b = n.core->ready();
  ASSERT_EQ(b.entries.size(), 1u);  // the no-op
  EXPECT_EQ(b.commit_index, 0u);
  EXPECT_EQ(n.core->commit_index(), 0u);
  testing::persist(*n.storage, b);
  n.core->advance(b);
  EXPECT_EQ(n.core->commit_index(), 1u);
}

// Leaders: if AppendEntries fails because of log inconsistency, decrement nextIndex and retry.
TEST(RaftPaper, Leader_DecrementsNextIndexOnReject) {
  TestCluster c(3);
  c.reset_node(1, {entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2), entry(5, 2)}, {2, kNoNode, 0});
  c.reset_node(2, {entry(1, 1), entry(2, 1)}, {2, kNoNode, 0});
  c.reset_node(3, {entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2), entry(5, 2)}, {2, kNoNode, 0});
  c.cut(1, 2);
  c.elect(1);
  ASSERT_EQ(c.core(1).progress(2)->next_index(), 6u);
  c.heal();
  c.tick_all(1);  // the heartbeat response makes the leader probe node 2
  EXPECT_EQ(c.core(1).progress(2)->match_index(), 6u);
  std::vector<Message> rejects;
  for (const Message& m : c.sent()) {
    if (m.type == MessageType::kAppendResponse && m.from == 2 && m.reject) rejects.push_back(m);
  }
  ASSERT_FALSE(rejects.empty());
  EXPECT_EQ(rejects.front().log_index, 5u);
  EXPECT_EQ(c.node(2).storage->all(), c.node(1).storage->all());
}

// The hint lets the leader skip a whole conflicting term per round trip instead of one entry.
TEST(RaftPaper, Leader_SkipsBackByTermWithRejectHint) {
  TestCluster c(3);
  std::vector<Entry> follower = {entry(1, 1)};
  for (Index i = 2; i <= 30; ++i) follower.push_back(entry(i, 2));  // a long tail of an old leader's term
  std::vector<Entry> leader = {entry(1, 1)};
  for (Index i = 2; i <= 10; ++i) leader.push_back(entry(i, 3));
  c.reset_node(1, leader, {3, kNoNode, 1});
  c.reset_node(2, follower, {3, kNoNode, 1});
  c.reset_node(3, leader, {3, kNoNode, 1});
  c.cut(1, 2);
  c.elect(1);
  c.heal();
  c.clear_sent();
  c.tick_all(1);
  std::size_t rejects = 0;
  for (const Message& m : c.sent()) rejects += m.type == MessageType::kAppendResponse && m.from == 2 && m.reject;
  EXPECT_LE(rejects, 2u);
  EXPECT_EQ(c.node(2).storage->all(), c.node(1).storage->all());
}

// Leaders: if there exists N > commitIndex with a majority of matchIndex >= N and log[N].term ==
// currentTerm, set commitIndex = N. Figure 8: an entry of an earlier term on a majority is not committed.
TEST(RaftPaper, Leader_CommitsOnlyCurrentTermByCounting) {
  for (bool unsafe : {false, true}) {
    SCOPED_TRACE(unsafe ? "unsafe_count_previous_term_replicas" : "safe");
    TestCluster c(3);
    for (NodeId id : c.ids()) {
      c.config(id).max_append_bytes = 1;  // one entry per append, so the test can hold back the no-op
      c.config(id).unsafe_count_previous_term_replicas = unsafe;
      c.config(id).allow_unsafe_for_tests = unsafe;
    }
    // S1 has 2@2 from its term-2 leadership; S3 has 2@3 from a term-3 leader that reached nobody else.
    c.reset_node(1, {entry(1, 1), entry(2, 2)}, {3, kNoNode, 1});
    c.reset_node(2, {entry(1, 1)}, {3, kNoNode, 1});
    c.reset_node(3, {entry(1, 1), entry(2, 3)}, {3, kNoNode, 1});
    c.cut(1, 3);
    // The leader hears node 2 acknowledge 2@2 but not the term-4 no-op.
    c.set_filter([](const Message& m) {
      return !(m.type == MessageType::kAppendResponse && m.from == 2 && !m.reject && m.log_index >= 3);
    });
    c.elect(1);
    ASSERT_EQ(c.core(1).term(), 4u);
    ASSERT_EQ(c.core(1).progress(2)->match_index(), 2u);  // 2@2 is on a majority (S1, S2)
    // S3 (2@3) could still win term 5 with the vote of a node holding only 2@2 and replace it everywhere:
    // so 2@2 must not count as committed yet.
    EXPECT_EQ(c.core(1).commit_index(), unsafe ? 2u : 1u);
    c.set_filter(nullptr);
    c.tick_all();
    EXPECT_EQ(c.core(1).commit_index(), 3u);
  }
  // Once an entry of the leader's term is on a majority, it and everything before it commit.
  TestCluster c(3);
  c.reset_node(1, {entry(1, 1), entry(2, 2)}, {3, kNoNode, 1});
  c.reset_node(2, {entry(1, 1)}, {3, kNoNode, 1});
  c.reset_node(3, {entry(1, 1)}, {3, kNoNode, 1});
  c.elect(1);
  EXPECT_EQ(c.core(1).commit_index(), 3u);
}

// --- Section 5 properties (Figure 3) ---------------------------------------------------------------------

// A small random driver for the property tests: random ticks, cuts, proposals and restarts over a cluster
// with immediate persistence. (tests/sim does this at scale, with asynchronous persistence and a lossy
// network.)
class ChaosRun {
 public:
  explicit ChaosRun(std::size_t size, std::uint64_t seed) : cluster_(size, true, true), rand_(seed), seed_(seed) {}

  template <typename Check>
  void run(int steps, Check&& check) {
    SCOPED_TRACE("ChaosRun seed " + std::to_string(seed_) + " (fixed in the test: rerun the test to replay)");
    for (int step = 0; step < steps; ++step) {
      const std::uint64_t r = rand_.uniform(100);
      if (r < 3) {
        cluster_.heal();
        const NodeId a = pick(), b = pick();
        if (a != b) cluster_.cut(a, b);
      } else if (r < 5) {
        cluster_.heal();
        cluster_.isolate(pick());
      } else if (r < 8) {
        cluster_.heal();
      } else if (r < 9) {
        cluster_.restart(pick());
      } else if (r < 30) {
        for (NodeId id : cluster_.ids()) {
          if (cluster_.core(id).role() == Role::kLeader) {
            cluster_.core(id).propose(bytes_of("p" + std::to_string(step)));
          }
        }
      }
      for (NodeId id : cluster_.ids()) cluster_.core(id).tick();
      cluster_.deliver_all();
      check(cluster_);
    }
  }

 private:
  NodeId pick() { return cluster_.ids()[rand_.uniform(cluster_.ids().size())]; }
  TestCluster cluster_;
  Rand rand_;
  std::uint64_t seed_;
};

// Election Safety: at most one leader can be elected in a given term.
TEST(RaftPaper, ElectionSafety) {
  std::size_t terms_with_leader = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::map<Term, NodeId> leaders;
    ChaosRun(5, seed).run(600, [&](TestCluster& c) {
      for (NodeId id : c.ids()) {
        if (c.core(id).role() != Role::kLeader) continue;
        auto [it, inserted] = leaders.emplace(c.core(id).term(), id);
        ASSERT_EQ(it->second, id) << "two leaders in term " << it->first;
      }
    });
    terms_with_leader += leaders.size();
  }
  EXPECT_GT(terms_with_leader, 10u);  // the faults did force elections
}

// Leader Append-Only: a leader never overwrites or deletes entries in its log; it only appends.
TEST(RaftPaper, LeaderAppendOnly) {
  std::map<NodeId, std::pair<Term, std::vector<Entry>>> seen;  // leader -> (term, its log then)
  ChaosRun(3, 7).run(600, [&](TestCluster& c) {
    for (NodeId id : c.ids()) {
      if (c.core(id).role() != Role::kLeader) continue;
      const std::vector<Entry>& log = c.node(id).storage->all();
      auto it = seen.find(id);
      if (it != seen.end() && it->second.first == c.core(id).term()) {
        const std::vector<Entry>& before = it->second.second;
        ASSERT_GE(log.size(), before.size());
        for (std::size_t i = 0; i < before.size(); ++i) ASSERT_EQ(log[i], before[i]);
      }
      seen[id] = {c.core(id).term(), log};
    }
  });
}

// Log Matching: if two logs contain an entry with the same index and term, the logs are identical in all
// entries up through that index.
TEST(RaftPaper, LogMatching) {
  ChaosRun(5, 11).run(600, [&](TestCluster& c) {
    for (NodeId a : c.ids()) {
      for (NodeId b : c.ids()) {
        if (a >= b) continue;
        const std::vector<Entry>& la = c.node(a).storage->all();
        const std::vector<Entry>& lb = c.node(b).storage->all();
        const std::size_t n = std::min(la.size(), lb.size());
        for (std::size_t i = n; i-- > 0;) {
          if (la[i].term == lb[i].term) {
            for (std::size_t j = 0; j <= i; ++j) ASSERT_EQ(la[j], lb[j]) << "nodes " << a << "," << b;
            break;
          }
        }
      }
    }
  });
}

// Leader Completeness: an entry committed in a term is present in the logs of the leaders of all higher
// terms.
TEST(RaftPaper, LeaderCompleteness) {
  std::map<Index, Entry> committed;
  ChaosRun(5, 13).run(600, [&](TestCluster& c) {
    for (NodeId id : c.ids()) {
      const RaftCore& core = c.core(id);
      if (core.role() == Role::kLeader) {
        for (const auto& [index, e] : committed) {
          ASSERT_LE(index, core.log().last_index()) << "leader " << id << " lacks committed " << index;
          ASSERT_EQ(core.log().term(index), e.term) << "leader " << id << " differs at committed " << index;
        }
      }
      for (const Entry& e : c.node(id).applied) committed.emplace(e.index, e);
    }
  });
  EXPECT_GT(committed.size(), 10u);
}

// State Machine Safety: if a server has applied a log entry at a given index, no other server ever applies a
// different log entry for the same index.
TEST(RaftPaper, StateMachineSafety) {
  std::map<Index, Entry> applied;
  ChaosRun(3, 17).run(800, [&](TestCluster& c) {
    for (NodeId id : c.ids()) {
      for (const Entry& e : c.node(id).applied) {
        auto [it, inserted] = applied.emplace(e.index, e);
        ASSERT_EQ(it->second, e) << "node " << id << " applied a different entry at " << e.index;
      }
    }
  });
  EXPECT_GT(applied.size(), 10u);
}

// Restart: the commit index starts at the persisted one and never goes below it.
TEST(RaftPaper, Restart_CommitNeverBelowPersisted) {
  TestNode n = make_node(make_config(1, kThree), {entry(1, 1), entry(2, 1), entry(3, 1)}, {1, 2, 2});
  EXPECT_EQ(n.core->commit_index(), 2u);
  EXPECT_EQ(n.core->term(), 1u);
  EXPECT_EQ(n.core->vote(), 2u);
  Batch b = n.core->ready();
  ASSERT_EQ(b.committed_entries.size(), 2u);  // applied was 0: both committed entries are handed out
  n.core->advance(b);
  n.core->step(append(2, 1, 1, 0, 0, {}, 0));  // a leader commit of 0 does not lower it
  EXPECT_EQ(n.core->commit_index(), 2u);
  // A persisted commit index past the durable log means the storage lost data: refuse to start, with a typed
  // error the runtime can check first (without an exception) and turn into one line.
  MemoryLogStorage bad;
  bad.append({entry(1, 1)});
  bad.set_hard_state({1, kNoNode, 5});
  EXPECT_THROW(RaftCore(make_config(1, kThree), bad), StartRefused);
  const std::optional<StartError> err = RaftCore::check_start(make_config(1, kThree), bad);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, StartError::Kind::kCommitPastLastIndex);
  EXPECT_NE(err->message.find("commit index 5 is past the last durable entry 1"), std::string::npos) << err->message;
  EXPECT_EQ(err->message.find('\n'), std::string::npos);
  try {
    RaftCore core(make_config(1, kThree), bad);
    ADD_FAILURE() << "started over a log that lost committed entries";
  } catch (const StartRefused& e) {
    EXPECT_EQ(e.error().kind, StartError::Kind::kCommitPastLastIndex);
  }
  // So does an applied index past it (the state machine is ahead of the log).
  Config ahead = make_config(1, kThree);
  ahead.applied_index = 3;
  MemoryLogStorage short_log;
  short_log.append({entry(1, 1)});
  ASSERT_TRUE(RaftCore::check_start(ahead, short_log).has_value());
  EXPECT_EQ(RaftCore::check_start(ahead, short_log)->kind, StartError::Kind::kCommitPastLastIndex);
  // A bad config is a StartError too, still an std::invalid_argument when thrown.
  Config no_id = make_config(1, kThree);
  no_id.id = kNoNode;
  EXPECT_EQ(RaftCore::check_start(no_id, short_log)->kind, StartError::Kind::kBadConfig);
  EXPECT_THROW(RaftCore(no_id, short_log), std::invalid_argument);
  EXPECT_FALSE(RaftCore::check_start(make_config(1, kThree), short_log).has_value());
}

TEST(RaftPaper, Restart_AppliedIndexSkipsAppliedEntries) {
  Config config = make_config(1, kThree);
  config.applied_index = 2;
  TestNode n = make_node(config, {entry(1, 1), entry(2, 1), entry(3, 1)}, {1, kNoNode, 3});
  Batch b = n.core->ready();
  ASSERT_EQ(b.committed_entries.size(), 1u);
  EXPECT_EQ(b.committed_entries[0].index, 3u);
  n.core->advance(b);
}

}  // namespace
}  // namespace rmq::raft
