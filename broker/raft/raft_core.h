// The Raft state machine of one node: textbook Raft (the extended paper, Figure 2 and section 5) with
// pre-vote, check-quorum, leadership transfer and per-follower flow control, after etcd raft's design.
//
// The core is pure: no threads, sockets, files or clocks. Its inputs are tick() (time, in ticks), step()
// (a message from a peer), propose() (a client entry) and advance() (the runtime made the last Batch durable
// and sent it) or persist_failed(); its outputs are ready(), a Batch saying what to send at once, what to
// persist, what to send once that is durable and what to apply, and, while a batch's write is in progress,
// take_messages_before_persist() and take_committed_entries(). This is what lets tests/sim run whole clusters
// deterministically from one seed. See batch.h for the runtime loop.
//
// Where this deliberately differs from DLedger 0.3.1.2 (storage.md 8.8): pre-vote; votes follow the paper
// (term first, then log up-to-date-ness) and a higher term is adopted at once; appends carry the previous
// index and term and are checked on every message; a leader writes a no-op entry at the start of its term and
// commits only by counting replicas of current-term entries (section 5.4.2); term and vote are handed out for
// persisting before any vote response is sent; a committed entry is never truncated.
//
// Crash behaviour: everything in a RaftCore is volatile. After a crash the runtime constructs a new RaftCore
// over the durable LogStorage (hard state + log + the commit index it persisted); the node comes back as a
// follower in its persisted term, still bound by its persisted vote, and with a commit index no lower than
// the persisted one. A storage that cannot be the durable state of this node (a commit or applied index past
// its last entry: the disk was replaced or lost committed entries) is refused with a StartError, which
// check_start() returns without throwing so that the runtime can print one line and exit.
//
// Not thread-safe: one runtime thread drives one core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "broker/raft/batch.h"
#include "broker/raft/config.h"
#include "broker/raft/invariant.h"
#include "broker/raft/log_storage.h"
#include "broker/raft/progress.h"
#include "broker/raft/raft_log.h"
#include "broker/raft/raft_types.h"
#include "broker/raft/random.h"

namespace rmq::raft {

enum class StepResult : std::uint8_t {
  kOk,           // processed (which includes ignoring a stale message, as Raft says to)
  kUnknownPeer,  // `from` is not a voter of this group, or is this node itself: dropped
  kMalformed,    // addressed to another node, or entries inconsistent with the header: dropped
};

enum class ProposeStatus : std::uint8_t {
  kAccepted,
  kNotLeader,            // ProposeResult::leader_hint says where to go, when known
  kTransferring,         // a leadership transfer is in progress (DLedger's LEADER_TRANSFERRING)
  kTooManyUncommitted,   // Config::max_uncommitted_bytes reached (DLedger's LEADER_PENDING_FULL)
};

// Why a core refuses to start over a storage (RaftCore::check_start). `message` is one line, e.g.
// "raft: commit index 120 is past the last durable entry 80 ...".
struct StartError {
  enum class Kind : std::uint8_t {
    kBadConfig,             // Config::validate() failed
    kVoteNotVoter,          // the persisted vote names a node outside the group
    kCommitPastLastIndex,   // persisted commit index or Config::applied_index past the last durable entry
    kFirstIndexPastLast,    // LogStorage::first_index() > last_index() (every entry deleted)
  };
  Kind kind = Kind::kBadConfig;
  std::string message;
};

// Thrown by the RaftCore constructor for a StartError (an std::invalid_argument, as config errors were).
class StartRefused : public std::invalid_argument {
 public:
  explicit StartRefused(StartError error) : std::invalid_argument(error.message), error_(std::move(error)) {}
  const StartError& error() const { return error_; }

 private:
  StartError error_;
};

struct ProposeResult {
  ProposeStatus status = ProposeStatus::kNotLeader;
  Index index = 0;  // accepted: the index of the (first) new entry
  Term term = 0;    // accepted: its term; the proposal is committed once an entry (index, term) is
  NodeId leader_hint = kNoNode;
};

class RaftCore {
 public:
  // Restarts (or starts, over an empty storage) from the durable state in `storage`, which must outlive the
  // core. Throws StartRefused (an std::invalid_argument) where check_start() returns an error.
  RaftCore(Config config, const LogStorage& storage);

  // Whether a core can start over `storage` with `config`; nullopt if so. Never throws.
  static std::optional<StartError> check_start(const Config& config, const LogStorage& storage);

  RaftCore(const RaftCore&) = delete;
  RaftCore& operator=(const RaftCore&) = delete;

  // --- inputs ---------------------------------------------------------------------------------------------
  // One unit of time passed.
  void tick();
  // A message from a peer. Messages may arrive late, twice or out of order.
  StepResult step(const Message& m);
  // Appends client data as a normal entry if this node is the leader.
  ProposeResult propose(Bytes data);
  // Appends several entries at once (one batch for the log and the appends).
  ProposeResult propose_many(std::vector<Bytes> data);
  // Leader only: hands leadership to `transferee`. Proposals are refused (kTransferring) until the transfer
  // completes, or the transferee makes no progress for Config::transfer_timeout_ticks, or 4 times that passed
  // in all; meanwhile the leader brings the transferee up to its last
  // index (which cannot grow, since proposals are refused) and then sends it TimeoutNow, again on every
  // heartbeat tick in case one is lost. False if not leader or not a peer.
  bool transfer_leadership(NodeId transferee);
  // Starts an election now, as if the election timeout had passed (with pre-vote if configured).
  void campaign();

  // --- output ---------------------------------------------------------------------------------------------
  bool has_ready() const;
  // Takes the next batch; call advance(batch) once it is handled before the next ready() (see batch.h).
  Batch ready();
  void advance(const Batch& batch);
  // The runtime could not make the batch's writes durable (a failed fsync) and did not send batch.messages;
  // it made its storage durably end where it last synced. Instead of advance(): the next batch writes the same
  // entries and the hard state again. Messages the batch held are dropped (peers retry).
  void persist_failed(const Batch& batch);

  // While a batch is outstanding (and also between batches): a leader's heartbeats and appends produced since
  // the last ready(), which may go out before any write is durable. The next ready() would include them in
  // Batch::messages_before_persist otherwise.
  bool has_messages_before_persist() const {
    return !early_msgs_.empty() || (broadcast_pending_ && role_ == Role::kLeader);
  }
  std::vector<Message> take_messages_before_persist();
  // Committed entries that are durable here and not yet handed out (in ready() or here), up to
  // Config::max_apply_bytes: lets the runtime apply what became committed while a batch's write is slow.
  std::vector<Entry> take_committed_entries();

  // --- introspection --------------------------------------------------------------------------------------
  NodeId id() const { return config_.id; }
  const Config& config() const { return config_; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader_id() const { return leader_; }
  const RaftLog& log() const { return log_; }
  Index commit_index() const { return log_.committed(); }
  NodeId lead_transferee() const { return lead_transferee_; }
  // Leader: followers that need entries below the log's first index (see Progress::needs_deleted_entries).
  std::vector<NodeId> followers_needing_deleted_entries() const;
  std::uint32_t randomized_election_timeout_ticks() const { return randomized_election_timeout_ticks_; }
  std::uint32_t election_elapsed_ticks() const { return election_elapsed_ticks_; }
  // Leader only (nullptr otherwise): what it knows about `peer`.
  const Progress* progress(NodeId peer) const;
  bool batch_outstanding() const { return batch_outstanding_; }

 private:
  enum class CampaignKind : std::uint8_t { kPreElection, kElection, kTransfer };
  enum class VoteTally : std::uint8_t { kPending, kWon, kLost };

  bool is_voter(NodeId id) const;
  std::size_t quorum() const { return config_.voters.size() / 2 + 1; }
  HardState hard_state_to_persist() const;
  SoftState soft_state() const { return {role_, leader_, term_}; }

  void reset(Term term);
  void become_follower(Term term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset_randomized_election_timeout();

  void tick_election();
  void tick_leader();
  void start_campaign(CampaignKind kind);
  VoteTally record_vote(NodeId from, bool granted);

  bool valid_message(const Message& m) const;
  void step_leader(const Message& m);
  void step_candidate(const Message& m);
  void step_follower(const Message& m);
  void handle_vote_request(const Message& m);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_append_response(const Message& m);
  void handle_heartbeat_response(const Message& m);

  void send(Message m);
  // Drops queued append acknowledgements of entries at or after `index` (they were just truncated).
  void drop_acks_from(Index index);
  // Whether `m` (from this node, in its current role) may go out before the current writes are durable.
  bool may_send_before_persist(const Message& m) const;
  bool maybe_send_append(NodeId to, bool send_if_empty);
  void send_appends_while_possible(NodeId to);
  void flush_broadcast();
  void broadcast_heartbeat();
  void send_timeout_now(NodeId to);
  void abort_transfer();
  // The transfer in progress: send TimeoutNow if the transferee holds everything, else bring it up to date.
  void push_transfer();
  bool maybe_commit();
  void update_self_progress();
  void maybe_transfer_to_preferred();
  bool quorum_active();

  Config config_;
  Rand rand_;
  RaftLog log_;

  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;

  std::uint32_t election_elapsed_ticks_ = 0;
  std::uint32_t heartbeat_elapsed_ticks_ = 0;
  std::uint32_t randomized_election_timeout_ticks_ = 0;

  std::map<NodeId, bool> votes_;          // (pre-)candidate: who answered, and how
  std::map<NodeId, Progress> progress_;   // leader: every voter, itself included
  NodeId lead_transferee_ = kNoNode;
  Index transfer_target_index_ = 0;           // the leader's last index when the transfer started
  Index transfer_start_match_ = 0;            // the transferee's match index then
  std::uint32_t transfer_elapsed_ticks_ = 0;
  std::uint32_t transfer_idle_ticks_ = 0;         // since the transferee last acknowledged progress
  static constexpr std::uint32_t kTransferMaxTimeouts = 4;
  std::uint32_t preferred_retry_wait_ticks_ = 0;  // after a failed transfer to the preferred leader
  bool transfer_to_preferred_ = false;
  std::vector<FollowerNeedsDeletedEntries> needs_deleted_reports_;
  // Leader: the sizes of its own entries not yet committed, for max_uncommitted_bytes.
  std::deque<std::pair<Index, std::size_t>> uncommitted_;
  std::size_t uncommitted_bytes_ = 0;
  // Leader: new entries or a new commit index that followers have not been sent yet. Appends go out when the
  // batch is taken, so that many proposals between two batches share one message per follower.
  bool broadcast_pending_ = false;

  std::vector<Message> msgs_;        // only after the writes handed out so far are durable
  std::vector<Message> early_msgs_;  // may go out at once (Batch::messages_before_persist)
  HardState prev_hard_state_;
  SoftState prev_soft_state_;
  bool batch_outstanding_ = false;
};

}  // namespace rmq::raft
