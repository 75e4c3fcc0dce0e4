#include "broker/raft/raft_core.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "broker/raft/invariant.h"

namespace rmq::raft {
namespace {

Index first_index_of(const LogStorage& storage) { return std::max<Index>(1, storage.first_index()); }

// The last entry already applied: the runtime's, but never below the deleted prefix (deleted entries were
// applied before their files expired).
Index initial_applied(const LogStorage& storage, const Config& config) {
  return std::max(config.applied_index, first_index_of(storage) - 1);
}

// The commit index to start from: the persisted one, or the applied one if the runtime applied further
// (it only ever applies committed entries, so that is committed too).
Index initial_commit(const LogStorage& storage, const Config& config) {
  return std::max(storage.hard_state().commit_index, initial_applied(storage, config));
}

MessageType response_type(MessageType request) {
  return request == MessageType::kPreVote ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
}

const Config& checked(const Config& config, const LogStorage& storage) {
  if (std::optional<StartError> err = RaftCore::check_start(config, storage)) throw StartRefused(std::move(*err));
  return config;
}

}  // namespace

std::optional<StartError> RaftCore::check_start(const Config& config, const LogStorage& storage) {
  using Kind = StartError::Kind;
  if (std::string err = config.validate(); !err.empty()) return StartError{Kind::kBadConfig, "raft config: " + err};
  const HardState hs = storage.hard_state();
  if (hs.vote != kNoNode && std::find(config.voters.begin(), config.voters.end(), hs.vote) == config.voters.end()) {
    return StartError{Kind::kVoteNotVoter, "raft: persisted vote for " + std::to_string(hs.vote) +
                                               " who is not a voter of this group"};
  }
  const Index first = storage.first_index();
  const Index last = storage.last_index();
  if (first > 1 && first > last) {
    return StartError{Kind::kFirstIndexPastLast, "raft: the durable log holds no entries (first index " +
                                                     std::to_string(first) + ", last index " + std::to_string(last) +
                                                     "): every entry was deleted"};
  }
  if (hs.commit_index > last || config.applied_index > last) {
    const bool from_commit = hs.commit_index > last;
    return StartError{
        Kind::kCommitPastLastIndex,
        "raft: " + std::string(from_commit ? "persisted commit index " : "applied index ") +
            std::to_string(from_commit ? hs.commit_index : config.applied_index) +
            " is past the last durable entry " + std::to_string(last) +
            ": this node lost committed entries (disk replaced or log truncated) and must not rejoin as if it had "
            "nothing to lose"};
  }
  return std::nullopt;
}

RaftCore::RaftCore(Config config, const LogStorage& storage)
    : config_(checked(config, storage)),
      rand_(config_.seed ^ (config_.id * 0x9E3779B97F4A7C15ull)),
      log_(storage, initial_commit(storage, config_), initial_applied(storage, config_)) {
  const HardState hs = storage.hard_state();
  term_ = hs.term;
  vote_ = hs.vote;
  prev_hard_state_ = hs;
  become_follower(term_, kNoNode);
  prev_soft_state_ = soft_state();
}

bool RaftCore::is_voter(NodeId id) const {
  return std::find(config_.voters.begin(), config_.voters.end(), id) != config_.voters.end();
}

HardState RaftCore::hard_state_to_persist() const {
  return {term_, config_.unsafe_vote_before_persist ? kNoNode : vote_, log_.committed()};
}

// --- role changes ---------------------------------------------------------------------------------------

void RaftCore::reset(Term term) {
  if (term_ != term) {
    RMQ_RAFT_CHECK(term > term_, "term must not go back");
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ticks_ = 0;
  heartbeat_elapsed_ticks_ = 0;
  reset_randomized_election_timeout();
  lead_transferee_ = kNoNode;
  transfer_target_index_ = 0;
  transfer_elapsed_ticks_ = 0;
  transfer_idle_ticks_ = 0;
  transfer_to_preferred_ = false;
  needs_deleted_reports_.clear();
  votes_.clear();
  progress_.clear();
  uncommitted_.clear();
  uncommitted_bytes_ = 0;
  broadcast_pending_ = false;
}

void RaftCore::reset_randomized_election_timeout() {
  const std::uint32_t t = config_.election_timeout_ticks;
  randomized_election_timeout_ticks_ = t + static_cast<std::uint32_t>(rand_.uniform(t));
}

void RaftCore::become_follower(Term term, NodeId leader) {
  reset(term);
  leader_ = leader;
  role_ = Role::kFollower;
}

void RaftCore::become_pre_candidate() {
  RMQ_RAFT_CHECK(role_ != Role::kLeader, "a leader does not campaign");
  // Pre-vote changes neither term nor vote: a node that cannot win leaves no trace in the group.
  votes_.clear();
  leader_ = kNoNode;
  role_ = Role::kPreCandidate;
}

void RaftCore::become_candidate() {
  RMQ_RAFT_CHECK(role_ != Role::kLeader, "a leader does not campaign");
  reset(term_ + 1);
  vote_ = config_.id;
  role_ = Role::kCandidate;
}

void RaftCore::become_leader() {
  RMQ_RAFT_CHECK(role_ == Role::kCandidate, "only a candidate becomes leader");
  reset(term_);
  leader_ = config_.id;
  role_ = Role::kLeader;
  const Index last = log_.last_index();
  for (NodeId v : config_.voters) {
    Progress& pr = progress_.emplace(v, Progress(last + 1, config_.max_inflight_msgs, config_.max_inflight_bytes))
                       .first->second;
    if (v == config_.id) {
      pr.become_replicate();
      pr.set_recent_active(true);
    }
  }
  // The no-op entry of this term: once it commits, every earlier entry is committed too (section 5.4.2).
  Entry noop{last + 1, term_, EntryType::kNoop, {}};
  uncommitted_.emplace_back(noop.index, entry_size_bytes(noop));
  uncommitted_bytes_ += entry_size_bytes(noop);
  log_.append({std::move(noop)});
  update_self_progress();
  broadcast_pending_ = true;
}

// --- time -----------------------------------------------------------------------------------------------

void RaftCore::tick() {
  if (role_ == Role::kLeader) {
    tick_leader();
  } else {
    tick_election();
  }
}

void RaftCore::tick_election() {
  ++election_elapsed_ticks_;
  if (election_elapsed_ticks_ >= randomized_election_timeout_ticks_) {
    election_elapsed_ticks_ = 0;
    campaign();
  }
}

void RaftCore::tick_leader() {
  ++heartbeat_elapsed_ticks_;
  ++election_elapsed_ticks_;
  if (preferred_retry_wait_ticks_ > 0) --preferred_retry_wait_ticks_;
  if (lead_transferee_ != kNoNode) {
    // A transferee that keeps catching up gets the time it needs, up to kTransferMaxTimeouts timeouts in all
    // (its lag is fixed once proposals stop); one that makes no progress for a timeout is given up on.
    const std::uint32_t timeout =
        config_.transfer_timeout_ticks != 0 ? config_.transfer_timeout_ticks : config_.election_timeout_ticks;
    ++transfer_elapsed_ticks_;
    ++transfer_idle_ticks_;
    if (transfer_idle_ticks_ >= timeout || transfer_elapsed_ticks_ >= kTransferMaxTimeouts * timeout) {
      abort_transfer();
    }
  }
  if (election_elapsed_ticks_ >= config_.election_timeout_ticks) {
    election_elapsed_ticks_ = 0;
    if (config_.check_quorum && !quorum_active()) {
      // Cut off from the majority: stop accepting proposals that cannot commit, and let the majority's
      // followers (whose lease is no longer refreshed) elect a leader.
      become_follower(term_, kNoNode);
      return;
    }
    for (auto& [peer, pr] : progress_) {
      if (peer != config_.id && pr.check_stalled()) maybe_send_append(peer, true);
    }
  }
  if (heartbeat_elapsed_ticks_ >= config_.heartbeat_interval_ticks) {
    heartbeat_elapsed_ticks_ = 0;
    broadcast_heartbeat();
    if (lead_transferee_ != kNoNode) {
      push_transfer();  // resends a TimeoutNow or an append that may have been lost
    } else {
      maybe_transfer_to_preferred();
    }
  }
}

bool RaftCore::quorum_active() {
  std::size_t active = 0;
  for (auto& [peer, pr] : progress_) {
    if (peer == config_.id || pr.recent_active()) ++active;
    if (peer != config_.id) pr.set_recent_active(false);
  }
  return active >= quorum();
}

// --- elections ------------------------------------------------------------------------------------------

void RaftCore::campaign() {
  if (role_ == Role::kLeader) return;
  start_campaign(config_.pre_vote ? CampaignKind::kPreElection : CampaignKind::kElection);
}

void RaftCore::start_campaign(CampaignKind kind) {
  Term vote_term;
  MessageType type;
  if (kind == CampaignKind::kPreElection) {
    become_pre_candidate();
    vote_term = term_ + 1;
    type = MessageType::kPreVote;
  } else {
    become_candidate();
    vote_term = term_;
    type = MessageType::kVote;
  }
  const VoteTally tally = record_vote(config_.id, true);
  if (tally == VoteTally::kWon) {  // a group of one
    if (kind == CampaignKind::kPreElection) {
      start_campaign(CampaignKind::kElection);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId v : config_.voters) {
    if (v == config_.id) continue;
    Message m;
    m.type = type;
    m.to = v;
    m.term = vote_term;
    m.log_index = log_.last_index();
    m.log_term = log_.last_term();
    m.transfer = kind == CampaignKind::kTransfer;
    send(std::move(m));
  }
}

RaftCore::VoteTally RaftCore::record_vote(NodeId from, bool granted) {
  votes_.emplace(from, granted);  // the first answer counts; duplicates do not
  std::size_t yes = 0, no = 0;
  for (const auto& [id, g] : votes_) (g ? yes : no)++;
  if (yes >= quorum()) return VoteTally::kWon;
  if (no > config_.voters.size() - quorum()) return VoteTally::kLost;
  return VoteTally::kPending;
}

// --- messages -------------------------------------------------------------------------------------------

bool RaftCore::valid_message(const Message& m) const {
  switch (m.type) {
    case MessageType::kAppend: {
      Term prev_term = m.log_term;
      for (std::size_t i = 0; i < m.entries.size(); ++i) {
        const Entry& e = m.entries[i];
        if (e.index != m.log_index + 1 + i) return false;
        if (e.term < prev_term || e.term > m.term) return false;
        if (e.type != EntryType::kNormal && e.type != EntryType::kNoop) return false;
        prev_term = e.term;
      }
      return m.log_term <= m.term;
    }
    case MessageType::kAppendResponse:
    case MessageType::kHeartbeat:
    case MessageType::kHeartbeatResponse:
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
    case MessageType::kTimeoutNow:
      return m.entries.empty();
    case MessageType::kVote:
    case MessageType::kPreVote:
      return m.entries.empty() && m.log_term <= m.term;
  }
  return false;
}

StepResult RaftCore::step(const Message& m) {
  if (m.from == config_.id || !is_voter(m.from)) return StepResult::kUnknownPeer;
  if (m.to != config_.id || !valid_message(m)) return StepResult::kMalformed;

  const bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (m.term > term_) {
    if (vote_request) {
      const bool in_lease = config_.check_quorum && leader_ != kNoNode &&
                            election_elapsed_ticks_ < config_.election_timeout_ticks;
      if (in_lease && !m.transfer) {
        // A live leader was heard from within the election timeout: this candidate is disruptive (cut off,
        // or just restarted). Refuse without adopting its term.
        if (m.type == MessageType::kPreVote) {
          Message r;
          r.type = MessageType::kPreVoteResponse;
          r.to = m.from;
          r.term = term_;
          r.reject = true;
          send(std::move(r));
        }
        return StepResult::kOk;
      }
    }
    if (m.type == MessageType::kPreVote) {
      // Pre-vote does not change terms.
    } else if (m.type == MessageType::kPreVoteResponse && !m.reject) {
      // A granted pre-vote carries the term we would campaign in, not the voter's term.
    } else {
      const bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat;
      become_follower(m.term, from_leader ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    // Figure 2: a request from an older term is refused with our term. For an append or heartbeat that is
    // what makes a stale leader step down (with pre-vote and check-quorum it might never see our term
    // otherwise, since we do not campaign against it); responses from older terms are dropped.
    if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat || vote_request) {
      Message r;
      r.type = vote_request ? response_type(m.type) : MessageType::kAppendResponse;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      r.log_index = m.type == MessageType::kAppend ? m.log_index : 0;
      send(std::move(r));
    }
    return StepResult::kOk;  // everything else from an older term is ignored
  }

  if (vote_request) {
    handle_vote_request(m);
    return StepResult::kOk;
  }
  switch (role_) {
    case Role::kLeader: step_leader(m); break;
    case Role::kCandidate:
    case Role::kPreCandidate: step_candidate(m); break;
    case Role::kFollower: step_follower(m); break;
  }
  return StepResult::kOk;
}

void RaftCore::handle_vote_request(const Message& m) {
  // Figure 2 RequestVote: grant if we have not voted for someone else in this term (a node that already
  // follows a leader in this term has not voted and will not), and the candidate's log is at least as
  // up-to-date as ours. A pre-vote for a later term is granted on the log check alone.
  const bool can_vote = vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) ||
                        (m.type == MessageType::kPreVote && m.term > term_);
  Message r;
  r.type = response_type(m.type);
  r.to = m.from;
  if (can_vote && log_.is_up_to_date(m.log_index, m.log_term)) {
    r.term = m.term;
    if (m.type == MessageType::kVote) {
      election_elapsed_ticks_ = 0;
      vote_ = m.from;  // goes into this batch's hard state, durable before the response is sent
    }
  } else {
    r.term = term_;
    r.reject = true;
  }
  send(std::move(r));
}

void RaftCore::step_leader(const Message& m) {
  switch (m.type) {
    case MessageType::kAppendResponse: handle_append_response(m); break;
    case MessageType::kHeartbeatResponse: handle_heartbeat_response(m); break;
    default: break;  // a leader has no use for the rest in its own term
  }
}

void RaftCore::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(term_, m.from);  // a leader won this term
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      become_follower(term_, m.from);
      handle_heartbeat(m);
      break;
    case MessageType::kPreVoteResponse:
    case MessageType::kVoteResponse: {
      const bool pre = role_ == Role::kPreCandidate;
      if (pre != (m.type == MessageType::kPreVoteResponse)) break;  // an answer to an earlier campaign
      // Grants carry the campaign's term; an old pre-vote grant for another term does not count.
      if (pre && !m.reject && m.term != term_ + 1) break;
      switch (record_vote(m.from, !m.reject)) {
        case VoteTally::kWon:
          if (pre) {
            start_campaign(CampaignKind::kElection);
          } else {
            become_leader();
          }
          break;
        case VoteTally::kLost:
          become_follower(term_, kNoNode);
          break;
        case VoteTally::kPending:
          break;
      }
      break;
    }
    default:
      break;
  }
}

void RaftCore::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ticks_ = 0;
      leader_ = m.from;
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ticks_ = 0;
      leader_ = m.from;
      handle_heartbeat(m);
      break;
    case MessageType::kTimeoutNow:
      // The leader hands over: campaign at once, skipping pre-vote and the voters' leases.
      start_campaign(CampaignKind::kTransfer);
      break;
    default:
      break;
  }
}

void RaftCore::handle_append(const Message& m) {
  Message r;
  r.type = MessageType::kAppendResponse;
  r.to = m.from;
  r.term = term_;
  if (m.log_index < log_.committed()) {
    // Everything up to our commit index matches the leader's log already; tell it where we are.
    r.log_index = log_.committed();
    send(std::move(r));
    return;
  }
  Index truncated_from = 0;
  if (std::optional<Index> last_new =
          log_.maybe_append(m.log_index, m.log_term, m.commit_index, m.entries, &truncated_from)) {
    if (truncated_from != 0) drop_acks_from(truncated_from);
    r.log_index = *last_new;
    send(std::move(r));
    return;
  }
  // Log mismatch at the previous index: reject with a hint so that the leader skips back a term at a time.
  r.reject = true;
  r.log_index = m.log_index;
  if (log_.last_index() < m.log_index) {
    r.hint_term = 0;
    r.hint_index = log_.last_index() + 1;
  } else {
    r.hint_term = log_.term(m.log_index);
    r.hint_index = log_.first_index_with_term_at_least(r.hint_term, log_.committed() + 1, m.log_index);
  }
  send(std::move(r));
}

void RaftCore::handle_heartbeat(const Message& m) {
  log_.commit_to(m.commit_index);  // the leader sends min(our match index, its commit index)
  Message r;
  r.type = MessageType::kHeartbeatResponse;
  r.to = m.from;
  r.term = term_;
  send(std::move(r));
}

void RaftCore::handle_append_response(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.set_recent_active(true);
  if (m.log_index > log_.last_index()) return;  // cannot answer anything this leader sent
  if (m.reject) {
    Index next_probe = m.hint_index;
    if (m.hint_term != 0) {
      // Skip the follower's whole conflicting term: if we have entries of that term, resume after our last
      // one; otherwise resume at the first index the follower has of it.
      const Index lo = std::max<Index>(pr.match_index(), 1);
      const Index hi = std::min(m.log_index, log_.last_index());
      if (lo <= hi) {
        const Index j = log_.last_index_with_term_at_most(m.hint_term, lo, hi);
        if (j >= lo && log_.term(j) == m.hint_term) next_probe = j + 1;
      }
    }
    if (pr.maybe_decrease_to(m.log_index, next_probe)) {
      if (pr.state() == Progress::State::kReplicate) pr.become_probe();
      maybe_send_append(m.from, true);
    }
    return;
  }
  const bool was_paused = pr.paused();
  if (!pr.maybe_update(m.log_index)) return;
  if (pr.state() == Progress::State::kProbe) pr.become_replicate();
  if (maybe_commit()) {
    broadcast_pending_ = true;
  } else if (was_paused) {
    maybe_send_append(m.from, true);
  }
  send_appends_while_possible(m.from);
  if (m.from == lead_transferee_) {
    transfer_idle_ticks_ = 0;  // it is catching up
    if (pr.match_index() >= transfer_target_index_) send_timeout_now(m.from);
  }
}

void RaftCore::handle_heartbeat_response(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.set_recent_active(true);
  pr.on_heartbeat_response();
  if (pr.match_index() < log_.last_index()) maybe_send_append(m.from, true);
}

// --- sending --------------------------------------------------------------------------------------------

void RaftCore::send(Message m) {
  m.from = config_.id;
  if (may_send_before_persist(m)) {
    early_msgs_.push_back(std::move(m));
  } else {
    msgs_.push_back(std::move(m));
  }
}

void RaftCore::drop_acks_from(Index index) {
  // An acknowledgement still waiting for the next batch promises entries that batch will now not write (it
  // writes their replacements): sent anyway, it would let the old leader count a copy that never existed.
  std::erase_if(msgs_, [index](const Message& q) {
    return q.type == MessageType::kAppendResponse && !q.reject && q.log_index >= index;
  });
}

bool RaftCore::may_send_before_persist(const Message& m) const {
  // A leader's appends, heartbeats and TimeoutNow promise nothing about its own disk (its term is durable: it
  // was elected by votes requested only after its term and vote were). Everything else may (batch.h).
  if (role_ != Role::kLeader) return false;
  return m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
         m.type == MessageType::kTimeoutNow;
}

bool RaftCore::maybe_send_append(NodeId to, bool send_if_empty) {
  Progress& pr = progress_.at(to);
  const Index first = log_.first_index();
  if (first > 1 && pr.next_index() <= first) {
    // The follower needs entries we deleted (or the term of the one before our first): nothing to send.
    if (!pr.needs_deleted_entries()) {
      pr.set_needs_deleted_entries(true);
      needs_deleted_reports_.push_back({to, pr.next_index(), first});
    }
    return false;
  }
  pr.set_needs_deleted_entries(false);
  if (pr.paused()) return false;
  const Index prev = pr.next_index() - 1;
  std::vector<Entry> entries = log_.entries_from(pr.next_index(), config_.max_append_bytes);
  if (entries.empty() && !send_if_empty) return false;
  std::size_t bytes = 0;
  for (const Entry& e : entries) bytes += entry_size_bytes(e);
  Message m;
  m.type = MessageType::kAppend;
  m.to = to;
  m.term = term_;
  m.log_index = prev;
  m.log_term = log_.term(prev);
  m.commit_index = log_.committed();
  pr.on_append_sent(entries.empty() ? prev : entries.back().index, entries.size(), bytes);
  m.entries = std::move(entries);
  send(std::move(m));
  return true;
}

void RaftCore::send_appends_while_possible(NodeId to) {
  while (maybe_send_append(to, false)) {
  }
}

void RaftCore::flush_broadcast() {
  if (!broadcast_pending_) return;
  broadcast_pending_ = false;
  if (role_ != Role::kLeader) return;
  for (NodeId v : config_.voters) {
    if (v == config_.id) continue;
    if (maybe_send_append(v, true)) send_appends_while_possible(v);
  }
}

void RaftCore::broadcast_heartbeat() {
  for (const auto& [peer, pr] : progress_) {
    if (peer == config_.id) continue;
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = peer;
    m.term = term_;
    // Never more than the follower is known to hold: its log past its match index may still diverge.
    m.commit_index = std::min(pr.match_index(), log_.committed());
    send(std::move(m));
  }
}

void RaftCore::send_timeout_now(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  m.term = term_;
  send(std::move(m));
}

bool RaftCore::maybe_commit() {
  std::vector<Index> matches;
  matches.reserve(progress_.size());
  for (const auto& [peer, pr] : progress_) matches.push_back(pr.match_index());
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const Index majority_index = matches[quorum() - 1];  // the highest index a majority holds
  if (majority_index <= log_.committed()) return false;
  // Section 5.4.2: only an entry of the leader's own term is committed by counting replicas (Figure 8).
  if (!config_.unsafe_count_previous_term_replicas && log_.term(majority_index) != term_) return false;
  log_.commit_to(majority_index);
  while (!uncommitted_.empty() && uncommitted_.front().first <= majority_index) {
    uncommitted_bytes_ -= uncommitted_.front().second;
    uncommitted_.pop_front();
  }
  return true;
}

void RaftCore::update_self_progress() {
  // The leader counts its own copy only once the runtime reported it durable (its appends went out before).
  progress_.at(config_.id)
      .set_match_for_self(config_.unsafe_leader_counts_unwritten ? log_.last_index() : log_.stable_index());
}

void RaftCore::maybe_transfer_to_preferred() {
  const NodeId preferred = config_.preferred_leader_id;
  if (preferred == kNoNode || preferred == config_.id || lead_transferee_ != kNoNode) return;
  if (preferred_retry_wait_ticks_ > 0) return;
  const Progress& pr = progress_.at(preferred);
  // Keeping up, not exactly caught up: under steady load a follower's match index trails the leader's last
  // index by the appends in flight. The transfer stops new proposals, so it catches up within a round trip.
  if (pr.recent_active() && pr.state() == Progress::State::kReplicate && pr.match_index() >= log_.committed() &&
      log_.committed() > 0) {
    transfer_leadership(preferred);
    transfer_to_preferred_ = true;
  }
}

void RaftCore::abort_transfer() {
  if (transfer_to_preferred_ && lead_transferee_ != kNoNode) {
    // A preferred node that caught up part of the way tries again at once (its lag shrinks with every attempt,
    // since proposals stop during each); one that made no progress at all is left alone for a while.
    const bool progressed = progress_.at(lead_transferee_).match_index() > transfer_start_match_;
    preferred_retry_wait_ticks_ = progressed                                 ? 0
                                  : config_.preferred_leader_retry_ticks != 0 ? config_.preferred_leader_retry_ticks
                                                                             : 5 * config_.election_timeout_ticks;
  }
  lead_transferee_ = kNoNode;
  transfer_target_index_ = 0;
  transfer_elapsed_ticks_ = 0;
  transfer_idle_ticks_ = 0;
  transfer_to_preferred_ = false;
}

void RaftCore::push_transfer() {
  if (lead_transferee_ == kNoNode) return;
  if (progress_.at(lead_transferee_).match_index() >= transfer_target_index_) {
    send_timeout_now(lead_transferee_);
  } else {
    maybe_send_append(lead_transferee_, true);
  }
}

// --- client and admin inputs ----------------------------------------------------------------------------

ProposeResult RaftCore::propose(Bytes data) {
  std::vector<Bytes> one;
  one.push_back(std::move(data));
  return propose_many(std::move(one));
}

ProposeResult RaftCore::propose_many(std::vector<Bytes> data) {
  ProposeResult result;
  result.leader_hint = leader_;
  if (role_ != Role::kLeader) return result;
  if (lead_transferee_ != kNoNode) {
    result.status = ProposeStatus::kTransferring;
    return result;
  }
  if (data.empty()) {
    result.status = ProposeStatus::kAccepted;
    result.index = log_.last_index() + 1;
    result.term = term_;
    return result;
  }
  std::size_t bytes = 0;
  for (const Bytes& d : data) bytes += kEntryHeaderBytes + d.size();
  if (config_.max_uncommitted_bytes != 0 && uncommitted_bytes_ > 0 &&
      uncommitted_bytes_ + bytes > config_.max_uncommitted_bytes) {
    result.status = ProposeStatus::kTooManyUncommitted;
    return result;
  }
  const Index first = log_.last_index() + 1;
  std::vector<Entry> entries;
  entries.reserve(data.size());
  for (Bytes& d : data) {
    Entry e{first + entries.size(), term_, EntryType::kNormal, std::move(d)};
    uncommitted_.emplace_back(e.index, entry_size_bytes(e));
    entries.push_back(std::move(e));
  }
  uncommitted_bytes_ += bytes;
  log_.append(std::move(entries));
  broadcast_pending_ = true;
  if (config_.unsafe_leader_counts_unwritten) {
    update_self_progress();
    maybe_commit();
  }
  result.status = ProposeStatus::kAccepted;
  result.index = first;
  result.term = term_;
  return result;
}

bool RaftCore::transfer_leadership(NodeId transferee) {
  if (role_ != Role::kLeader || transferee == config_.id || !is_voter(transferee)) return false;
  if (lead_transferee_ == transferee) return true;
  abort_transfer();  // a transfer to someone else is replaced
  lead_transferee_ = transferee;
  // Proposals are refused from now on, so the last index stays put until the transfer ends.
  transfer_target_index_ = log_.last_index();
  transfer_start_match_ = progress_.at(transferee).match_index();
  push_transfer();
  return true;
}

// --- output ---------------------------------------------------------------------------------------------

bool RaftCore::has_ready() const {
  if (batch_outstanding_) return false;
  return !msgs_.empty() || !early_msgs_.empty() || broadcast_pending_ || log_.has_unstable() ||
         log_.has_next_committed_entries() || hard_state_to_persist() != prev_hard_state_ ||
         soft_state() != prev_soft_state_ || !needs_deleted_reports_.empty();
}

Batch RaftCore::ready() {
  RMQ_RAFT_CHECK(!batch_outstanding_, "ready() called before advance() of the previous batch");
  flush_broadcast();
  Batch b;
  b.messages_before_persist = std::move(early_msgs_);
  early_msgs_.clear();
  if (log_.has_unstable()) {
    b.entries = log_.unstable_entries();
    if (log_.storage_needs_truncation()) b.truncate_from_index = b.entries.front().index;
  }
  const HardState hs = hard_state_to_persist();
  if (hs != prev_hard_state_) b.hard_state = hs;
  b.must_sync = !b.entries.empty() || hs.term != prev_hard_state_.term || hs.vote != prev_hard_state_.vote;
  prev_hard_state_ = hs;
  b.messages = std::move(msgs_);
  msgs_.clear();
  b.committed_entries = take_committed_entries();
  b.commit_index = log_.committed();
  b.soft_state = soft_state();
  b.soft_state_changed = b.soft_state != prev_soft_state_;
  prev_soft_state_ = b.soft_state;
  b.followers_needing_deleted_entries = std::move(needs_deleted_reports_);
  needs_deleted_reports_.clear();
  batch_outstanding_ = true;
  return b;
}

void RaftCore::advance(const Batch& batch) {
  RMQ_RAFT_CHECK(batch_outstanding_, "advance() without an outstanding batch");
  batch_outstanding_ = false;
  if (!batch.entries.empty()) log_.stable_to(batch.entries.back().index, batch.entries.back().term);
  if (role_ == Role::kLeader) {
    update_self_progress();
    if (maybe_commit()) broadcast_pending_ = true;
  }
}

void RaftCore::persist_failed(const Batch& batch) {
  RMQ_RAFT_CHECK(batch_outstanding_, "persist_failed() without an outstanding batch");
  (void)batch;
  batch_outstanding_ = false;
  // The entries are still in the unstable tail, so the next batch writes them again (with truncate_from_index
  // if the storage still holds stale entries there). Term and vote are written again unless they are durable.
  prev_hard_state_ = log_.storage().hard_state();
}

std::vector<Message> RaftCore::take_messages_before_persist() {
  flush_broadcast();
  std::vector<Message> out = std::move(early_msgs_);
  early_msgs_.clear();
  return out;
}

std::vector<Entry> RaftCore::take_committed_entries() {
  std::vector<Entry> out;
  if (!log_.has_next_committed_entries()) return out;
  out = log_.next_committed_entries(config_.max_apply_bytes);
  if (!out.empty()) log_.applied_to(out.back().index);
  return out;
}

std::vector<NodeId> RaftCore::followers_needing_deleted_entries() const {
  std::vector<NodeId> out;
  for (const auto& [peer, pr] : progress_) {
    if (pr.needs_deleted_entries()) out.push_back(peer);
  }
  return out;
}

const Progress* RaftCore::progress(NodeId peer) const {
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

}  // namespace rmq::raft
