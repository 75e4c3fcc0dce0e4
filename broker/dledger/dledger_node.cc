#include "broker/dledger/dledger_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <utility>

#include "broker/common/java_properties.h"
#include "broker/dledger/entry_codec.h"
#include "broker/store/dledger_noop.h"
#include "broker/raft/invariant.h"

namespace rmq::dledger {
namespace {

store::ReplicaRole to_replica_role(raft::Role role) {
  switch (role) {
    case raft::Role::kLeader: return store::ReplicaRole::kLeader;
    case raft::Role::kCandidate:
    case raft::Role::kPreCandidate: return store::ReplicaRole::kCandidate;
    case raft::Role::kFollower: break;
  }
  return store::ReplicaRole::kFollower;
}

}  // namespace

DLedgerNode::DLedgerNode(DLedgerNodeOptions options, store::DLedgerEntryStore& store, common::FileSystem& fs)
    : options_(std::move(options)), store_(store), member_state_(fs, store.dir()) {
  const DLedgerConfig& cfg = options_.config;
  peers_ = cfg.peers;
  self_ = node_id_of(peers_, cfg.self_id);
  if (self_ == raft::kNoNode) {
    throw common::ConfigError("dLegerSelfId=" + cfg.self_id + " is not in dLegerPeers=" + common::format_peers(peers_));
  }

  std::optional<store::DLedgerHardState> saved = member_state_.load_hard_state();
  raft::HardState hs;
  if (saved) {
    persisted_hard_state_ = *saved;
    hs.term = static_cast<raft::Term>(std::max<std::int64_t>(saved->current_term, 0));
    if (!saved->voted_for.empty()) {
      hs.vote = node_id_of(peers_, saved->voted_for);
      if (hs.vote == raft::kNoNode) {
        throw common::ConfigError((store.dir() / store::kDLedgerCurrTermFile).string() + ": voteLeader=" +
                                  saved->voted_for + " is not in dLegerPeers=" + common::format_peers(peers_));
      }
    }
  }
  // The checkpoint's committed index as written, not capped at the recovered end: a log that ends below what
  // was committed lost acknowledged entries, and the core refuses to start on it (StartRefused).
  std::int64_t committed = store_.committed_index();
  if (store_.checkpoint_at_open()) committed = std::max(committed, store_.checkpoint_at_open()->committed_index);
  hs.commit_index = static_cast<raft::Index>(committed + 1);
  storage_ = std::make_unique<DLedgerLogStorage>(store_, hs);
  committed_index_ = store_.committed_index();
  applied_commit_ = hs.commit_index;

  raft::Config rc;
  rc.id = self_;
  for (std::size_t i = 0; i < peers_.size(); ++i) rc.voters.push_back(static_cast<raft::NodeId>(i + 1));
  rc.election_timeout_ticks = cfg.election_ticks();
  rc.heartbeat_interval_ticks = cfg.heartbeat_ticks();
  rc.seed = options_.seed != 0 ? options_.seed : (std::uint64_t{std::random_device{}()} << 32 | std::random_device{}());
  rc.pre_vote = cfg.pre_vote;
  rc.check_quorum = cfg.check_quorum;
  if (!cfg.preferred_leader_id.empty()) rc.preferred_leader_id = node_id_of(peers_, cfg.preferred_leader_id);
  rc.max_append_bytes = static_cast<std::size_t>(cfg.max_append_bytes);
  rc.max_inflight_msgs = static_cast<std::size_t>(cfg.max_inflight_appends);
  rc.max_inflight_bytes = static_cast<std::size_t>(cfg.max_inflight_bytes);
  rc.max_uncommitted_bytes = static_cast<std::size_t>(cfg.max_uncommitted_bytes);
  rc.max_apply_bytes = static_cast<std::size_t>(cfg.max_apply_bytes);
  rc.applied_index = hs.commit_index;
  if (std::string problem = rc.validate(); !problem.empty()) {
    throw common::ConfigError("DLedger Raft settings: " + problem);
  }
  core_ = std::make_unique<raft::RaftCore>(rc, *storage_);

  PeerTransportOptions to;
  to.group = cfg.group;
  to.self_id = cfg.self_id;
  to.peers = peers_;
  to.listen_host = options_.listen_host;
  to.data_file_bytes = options_.data_file_bytes;
  to.secret = cfg.peer_secret;
  if (cfg.peer_tls_mode != remoting::TlsMode::kDisabled) {
    to.server_tls = options_.tls.server;
    to.server_tls.mode = cfg.peer_tls_mode;
    to.client_tls = options_.tls.client;
    to.client_tls.enable = true;
  }
  to.max_queued_bytes_per_peer = static_cast<std::size_t>(cfg.max_inflight_bytes + 2 * cfg.max_append_bytes);
  transport_ = std::make_unique<PeerTransport>(to, [this](raft::Message m) {
    bool wake = false;
    {
      std::lock_guard lock(inbox_mu_);
      // The core's flow control bounds what a leader sends; this bounds what a misbehaving peer can queue.
      if (inbox_messages_.size() >= 65536) return;
      inbox_messages_.push_back(std::move(m));
      wake = std::exchange(runtime_waiting_, false);
    }
    if (wake) inbox_cv_.notify_one();
  });

  status_.self_id = cfg.self_id;
  status_.term = static_cast<std::int64_t>(core_->term());
  status_.committed_index = store_.committed_index();
  status_.end_index = store_.end_index();
  status_.begin_index = store_.begin_index();
}

DLedgerNode::~DLedgerNode() { stop(); }

void DLedgerNode::start() {
  {
    std::lock_guard lock(inbox_mu_);
    if (started_) throw std::logic_error("DLedgerNode::start called twice");
    started_ = true;
  }
  transport_->start();
  runtime_ = std::thread([this] { run(); });
  spdlog::info("dledger: {} started in group {} (peers {}, term {}, last index {}, committed {})",
               options_.config.self_id, options_.config.group, common::format_peers(peers_), core_->term(),
               store_.end_index(), store_.committed_index());
}

void DLedgerNode::stop() {
  {
    std::lock_guard lock(inbox_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  inbox_cv_.notify_all();
  if (runtime_.joinable()) runtime_.join();
  transport_->stop();
  std::deque<Proposal> left;
  {
    std::lock_guard lock(inbox_mu_);
    left.swap(inbox_proposals_);
  }
  for (Proposal& p : left) finish(p.done, p.bodies.size(), store::ReplicateStatus::kNotLeader);
  {
    std::lock_guard lock(store_mu_);
    fail_pending(store::ReplicateStatus::kNotLeader);
    is_leader_ = false;
    if (failure().empty()) {
      try {
        store_.save_checkpoint();
      } catch (const std::exception& e) {
        spdlog::error("dledger: {}: checkpoint at stop failed: {}", options_.config.self_id, e.what());
      }
    }
  }
  run_deferred();
}

void DLedgerNode::finish(DoneFn& done, std::size_t count, store::ReplicateStatus status) {
  if (!done) return;
  std::vector<store::ReplicatedEntry> results(count);
  for (auto& r : results) r.status = status;
  done(std::move(results));
}

void DLedgerNode::finish_later(DoneFn& done, std::size_t count, store::ReplicateStatus status) {
  if (!done) return;
  std::vector<store::ReplicatedEntry> results(count);
  for (auto& r : results) r.status = status;
  deferred_.emplace_back(std::move(done), std::move(results));
}

void DLedgerNode::run_deferred() {
  std::vector<std::pair<DoneFn, std::vector<store::ReplicatedEntry>>> calls;
  {
    std::lock_guard lock(store_mu_);
    calls.swap(deferred_);
  }
  for (auto& [done, results] : calls) done(std::move(results));
}

void DLedgerNode::append(std::vector<common::Bytes> bodies, PatchFn patch, DoneFn done) {
  if (bodies.empty()) {
    finish(done, 0, store::ReplicateStatus::kOk);
    return;
  }
  if (!failure().empty()) {
    finish(done, bodies.size(), store::ReplicateStatus::kStoreFailed);
    return;
  }
  if (!is_leader_.load()) {
    finish(done, bodies.size(), store::ReplicateStatus::kNotLeader);
    return;
  }
  if (pending_calls_.fetch_add(1) >= options_.config.max_pending_appends) {
    --pending_calls_;
    finish(done, bodies.size(), store::ReplicateStatus::kBusy);
    return;
  }
  Proposal p{std::move(bodies), std::move(patch), std::move(done),
             Clock::now() + std::chrono::milliseconds(options_.config.append_timeout_ms)};
  bool queued = false;
  bool wake = false;
  {
    std::lock_guard lock(inbox_mu_);
    if (!stopping_) {
      inbox_proposals_.push_back(std::move(p));
      queued = true;
      wake = std::exchange(runtime_waiting_, false);
    }
  }
  if (wake) inbox_cv_.notify_one();
  if (queued) return;
  --pending_calls_;
  finish(p.done, p.bodies.size(), store::ReplicateStatus::kNotLeader);
}

bool DLedgerNode::transfer_leadership(const std::string& peer_id) {
  const raft::NodeId target = node_id_of(peers_, peer_id);
  if (target == raft::kNoNode || target == self_ || !is_leader_.load()) return false;
  std::lock_guard lock(inbox_mu_);
  inbox_transfer_ = target;
  inbox_cv_.notify_one();
  return true;
}

std::string DLedgerNode::failure() const {
  std::lock_guard lock(status_mu_);
  return failure_;
}

store::ReplicaStatus DLedgerNode::status() const {
  std::lock_guard lock(status_mu_);
  store::ReplicaStatus s = status_;
  s.committed_index = committed_index_.load();
  return s;
}

void DLedgerNode::set_commit_listener(CommitListener listener) {
  std::lock_guard lock(status_mu_);
  commit_listener_ = std::move(listener);
}

void DLedgerNode::set_role_listener(RoleListener listener) {
  std::lock_guard lock(status_mu_);
  role_listener_ = std::move(listener);
}

std::vector<store::DLedgerEntry> DLedgerNode::read_entries(std::int64_t from_index, std::size_t max_count,
                                                           std::size_t max_bytes) const {
  std::vector<store::DLedgerEntry> out;
  if (max_count == 0 || from_index < 0) return out;
  std::lock_guard lock(store_mu_);
  const std::int64_t committed = std::min(committed_index_.load(), store_.end_index());
  const std::int64_t last = std::min<std::int64_t>(committed, from_index + static_cast<std::int64_t>(max_count) - 1);
  std::size_t bytes = 0;
  for (std::int64_t i = std::max(from_index, store_.begin_index()); i <= last; ++i) {
    // A recent normal entry comes from memory (what the store holds, written by this node: magic 1, channel
    // and CRCs 0), saving a read and a decode per entry; a no-op or an older entry from the store.
    const raft::Entry* recent = storage_->recent_entry(static_cast<raft::Index>(i) + 1);
    if (recent != nullptr && recent->type == raft::EntryType::kNormal) {
      store::DLedgerEntry& entry = out.emplace_back();
      entry.index = i;
      entry.term = static_cast<std::int64_t>(recent->term);
      entry.pos = entry_data_pos(recent->data);
      entry.body.assign(recent->data.begin() + kEntryPosPrefixBytes, recent->data.end());
      bytes += entry.body.size();
      if (bytes >= max_bytes) break;
      continue;
    }
    auto entry = store_.get(i);
    if (!entry) break;
    bytes += entry->body.size();
    out.push_back(std::move(*entry));
    if (bytes >= max_bytes) break;
  }
  return out;
}

std::optional<common::Bytes> DLedgerNode::read_data(std::int64_t pos, std::size_t size_bytes) const {
  std::lock_guard lock(store_mu_);
  if (store_.end_index() < 0 || pos < store_.first_file_offset() ||
      pos + static_cast<std::int64_t>(size_bytes) > store_.write_pos()) {
    return std::nullopt;
  }
  common::Bytes out(size_bytes);
  try {
    store_.read_data(pos, out);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

// --- the runtime thread -----------------------------------------------------------------------------------

void DLedgerNode::run() {
  const auto tick = std::chrono::milliseconds(options_.config.tick_interval_ms);
  const auto flush_every = std::chrono::milliseconds(options_.config.flush_interval_ms);
  const auto checkpoint_every = std::chrono::milliseconds(options_.config.checkpoint_interval_ms);
  Clock::time_point next_tick = Clock::now() + tick;
  Clock::time_point next_flush = Clock::now() + flush_every;
  Clock::time_point next_checkpoint = Clock::now() + checkpoint_every;
  bool written_since_flush = false;

  while (true) {
    std::deque<raft::Message> messages;
    std::deque<Proposal> proposals;
    std::optional<raft::NodeId> transfer;
    {
      std::unique_lock lock(inbox_mu_);
      const auto has_work = [&] {
        return stopping_ || !inbox_messages_.empty() || !inbox_proposals_.empty() || inbox_transfer_.has_value();
      };
      if (!has_work()) {
        // Only a runtime that sleeps is woken: under load it finds the next work when it comes back here, and
        // the threads that queue it skip the futex call (one hand-off per batch, not per message).
        runtime_waiting_ = true;
        inbox_cv_.wait_until(lock, std::min(next_tick, next_flush), has_work);
        runtime_waiting_ = false;
      }
      if (stopping_) return;
      messages.swap(inbox_messages_);
      proposals.swap(inbox_proposals_);
      transfer.swap(inbox_transfer_);
    }
    bool notify_status = false;
    {
      std::lock_guard lock(store_mu_);
      if (!failure().empty()) {
        next_tick = Clock::now() + tick;
        next_flush = Clock::now() + flush_every;
        for (Proposal& p : proposals) {
          --pending_calls_;
          finish_later(p.done, p.bodies.size(), store::ReplicateStatus::kStoreFailed);
        }
      } else {
        try {
          for (const raft::Message& m : messages) {
            SPDLOG_TRACE("dledger: {} got {}", options_.config.self_id, raft::describe(m));
            core_->step(m);
          }
          for (Proposal& p : proposals) handle_proposal(p);
          if (transfer) core_->transfer_leadership(*transfer);
          const Clock::time_point now = Clock::now();
          if (now >= next_tick) {
            // A runtime that fell far behind (a long fsync) ticks a few times, not hundreds.
            int ticks = 0;
            while (now >= next_tick && ticks < 4) {
              core_->tick();
              next_tick += tick;
              ++ticks;
            }
            if (now >= next_tick) next_tick = now + tick;
          }
          const std::int64_t end_before = store_.end_index();
          while (core_->has_ready()) {
            raft::Batch batch = core_->ready();
            notify_status = notify_status || batch.soft_state_changed;
            handle_batch(std::move(batch));
          }
          if (store_.end_index() != end_before) written_since_flush = true;
          expire_pending(now);
          if (now >= next_flush) {
            if (written_since_flush && !options_.config.sync_flush) store_.sync();
            written_since_flush = false;
            next_flush = now + flush_every;
          }
          if (now >= next_checkpoint) {
            store_.save_checkpoint();
            next_checkpoint = now + checkpoint_every;
          }
        } catch (const std::exception& e) {
          fail_node(e.what());
          notify_status = true;
        }
        publish_status(false);
      }
    }
    // Append results: outside the store lock, so that `done` may read back through the replicator.
    run_deferred();
    if (notify_status) publish_status(true);
    // Commit listener: outside the store lock, so that it may read entries back.
    CommitListener listener;
    {
      std::lock_guard lock(status_mu_);
      listener = commit_listener_;
    }
    const std::int64_t committed = committed_index_.load();
    if (listener && committed != last_told_commit_ && committed >= 0) listener(committed);
    last_told_commit_ = committed;
  }
}

void DLedgerNode::handle_proposal(Proposal& p) {
  const std::size_t count = p.bodies.size();
  if (core_->role() != raft::Role::kLeader) {
    --pending_calls_;
    finish_later(p.done, count, store::ReplicateStatus::kNotLeader);
    return;
  }
  const std::int64_t file_bytes = options_.data_file_bytes;
  const raft::Index last = core_->log().last_index();
  std::int64_t end = end_pos_of(last);
  std::vector<common::Bytes> data;
  std::vector<std::int64_t> positions;
  data.reserve(count);
  positions.reserve(count);
  for (common::Bytes& body : p.bodies) {
    const auto size = static_cast<std::int64_t>(store::kDLedgerHeaderBytes + body.size());
    if (static_cast<std::size_t>(size) > store::kDLedgerMaxEntryBytes ||
        size + static_cast<std::int64_t>(store::kDLedgerBlankMinBytes) > file_bytes) {
      spdlog::warn("dledger: refused an append of a {}-byte entry (limit {} bytes, data file {} bytes)", size,
                   store::kDLedgerMaxEntryBytes, file_bytes);
      --pending_calls_;
      finish_later(p.done, count, store::ReplicateStatus::kStoreFailed);
      return;
    }
    const std::int64_t pos = next_entry_pos(end, size, file_bytes);
    if (p.patch) p.patch(pos, std::span<std::uint8_t>(body));
    data.push_back(encode_entry_data(pos, body));
    positions.push_back(pos);
    end = pos + size;
  }
  raft::ProposeResult r = core_->propose_many(std::move(data));
  switch (r.status) {
    case raft::ProposeStatus::kAccepted: {
      PendingAppend pa;
      pa.first_index = r.index;
      pa.last_index = r.index + count - 1;
      pa.term = r.term;
      pa.positions = std::move(positions);
      pa.done = std::move(p.done);
      pa.deadline = p.deadline;
      pending_.push_back(std::move(pa));
      tail_ = Tail{r.index + count - 1, r.term, end};
      return;
    }
    case raft::ProposeStatus::kTooManyUncommitted:
      --pending_calls_;
      finish_later(p.done, count, store::ReplicateStatus::kBusy);
      return;
    case raft::ProposeStatus::kNotLeader:
    case raft::ProposeStatus::kTransferring:
      break;
  }
  --pending_calls_;
  finish_later(p.done, count, store::ReplicateStatus::kNotLeader);
}

std::int64_t DLedgerNode::end_pos_of(raft::Index index) const {
  if (index == 0) return store_.first_file_offset();
  const raft::RaftLog& log = core_->log();
  if (tail_.index == index && log.maybe_term(index) == tail_.term) return tail_.end_pos;
  if (index < log.unstable_offset()) {
    auto entry = store_.get(static_cast<std::int64_t>(index) - 1);
    if (!entry) throw std::logic_error("durable entry " + std::to_string(index - 1) + " missing from the store");
    return entry->pos + static_cast<std::int64_t>(entry->size_bytes());
  }
  std::vector<raft::Entry> one = log.entries(index, index + 1, 1);
  RMQ_RAFT_CHECK(one.size() == 1, "unstable entry missing");
  const raft::Entry& e = one.front();
  const std::int64_t size = stored_entry_bytes(e);
  if (e.type == raft::EntryType::kNormal) return entry_data_pos(e.data) + size;
  return next_entry_pos(end_pos_of(index - 1), size, options_.data_file_bytes) + size;
}

void DLedgerNode::handle_batch(raft::Batch b) {
  for ([[maybe_unused]] const raft::Message& m : b.messages_before_persist) {
    SPDLOG_TRACE("dledger: {} sends {}", options_.config.self_id, raft::describe(m));
  }
  transport_->send_all(b.messages_before_persist);

  // Step 1: write.
  if (b.truncate_from_index != 0) {
    store_.truncate_after(static_cast<std::int64_t>(b.truncate_from_index) - 2);
    storage_->truncated_from(b.truncate_from_index);
  }
  if (!b.entries.empty()) write_entries(b.entries);
  if (b.hard_state) {
    store::DLedgerHardState hs;
    hs.current_term = static_cast<std::int64_t>(b.hard_state->term);
    if (b.hard_state->vote != raft::kNoNode) hs.voted_for = peers_.at(b.hard_state->vote - 1).id;
    if (!(hs == persisted_hard_state_)) {
      member_state_.save_hard_state(hs);  // file and directory fsync
      persisted_hard_state_ = hs;
    }
    storage_->set_hard_state(*b.hard_state);
  }
  if (b.must_sync && options_.config.sync_flush && !b.entries.empty()) store_.sync();  // group commit

  // Step 2: what may promise that step 1 is durable.
  for ([[maybe_unused]] const raft::Message& m : b.messages) {
    SPDLOG_TRACE("dledger: {} sends {}", options_.config.self_id, raft::describe(m));
  }
  transport_->send_all(b.messages);

  for (const raft::FollowerNeedsDeletedEntries& f : b.followers_needing_deleted_entries) {
    spdlog::error("dledger: follower {} needs entries from DLedger index {} but this leader's log begins at {} "
                  "(older data files were deleted): it cannot catch up by replication; restore its store from a "
                  "peer's copy",
                  peers_.at(f.follower - 1).id, static_cast<std::int64_t>(f.next_index) - 1,
                  static_cast<std::int64_t>(f.first_index) - 1);
  }
  apply_commit(b.commit_index);
  if (b.soft_state_changed) {
    is_leader_ = b.soft_state.role == raft::Role::kLeader;
    publish_status(false);  // status() says the new role before any append hears of it
    if (b.soft_state.role != raft::Role::kLeader) fail_pending(store::ReplicateStatus::kNotLeader);
    spdlog::info("dledger: {} is {} in term {} (leader {})", options_.config.self_id,
                 raft::to_string(b.soft_state.role), b.soft_state.term,
                 b.soft_state.leader_id == raft::kNoNode ? std::string("unknown")
                                                         : peers_.at(b.soft_state.leader_id - 1).id);
  }
  core_->advance(b);
}

// Every entry of a batch in one call of the store, so that a batch costs one write per data file, not one per
// entry; no body is copied on the way (the store encodes each from its raft data straight into its buffer).
void DLedgerNode::write_entries(std::vector<raft::Entry>& entries) {
  run_refs_.clear();
  noop_bodies_.clear();
  noop_bodies_.reserve(entries.size());
  std::int64_t log_end = store_.write_pos();
  for (const raft::Entry& e : entries) {
    store::DLedgerEntryRef ref;
    ref.index = static_cast<std::int64_t>(e.index) - 1;
    ref.term = static_cast<std::int64_t>(e.term);
    if (e.type == raft::EntryType::kNoop) {
      ref.pos = next_entry_pos(log_end, stored_entry_bytes(e), options_.data_file_bytes);
      noop_bodies_.push_back(store::encode_noop_body(ref.term, ref.pos));
      ref.body = noop_bodies_.back();
    } else {
      ref.pos = entry_data_pos(e.data);
      ref.body = common::ByteSpan(e.data).subspan(kEntryPosPrefixBytes);
    }
    log_end = ref.pos + static_cast<std::int64_t>(ref.size_bytes());
    run_refs_.push_back(ref);
  }
  const store::DLedgerRunAppendResult r = store_.append_run_as_follower(run_refs_);
  // The written entries move into the storage's cache of recent entries (their data is not copied); the batch
  // keeps their index and term, all that advance() reads.
  for (std::size_t i = 0; i < r.written; ++i) storage_->appended(std::move(entries[i]));
  if (r.status != store::DLedgerAppendStatus::kOk) {
    const store::DLedgerEntryRef& bad = run_refs_.at(r.written);
    throw std::runtime_error("entry " + std::to_string(bad.index) + " (term " + std::to_string(bad.term) +
                             ", pos " + std::to_string(bad.pos) + ") cannot be written: " +
                             store::to_string(r.status) + " (store ends at index " +
                             std::to_string(store_.end_index()) + ", write position " +
                             std::to_string(store_.write_pos()) + ")");
  }
}

void DLedgerNode::apply_commit(raft::Index commit) {
  if (commit <= applied_commit_) return;
  const std::int64_t dl = std::min(static_cast<std::int64_t>(commit) - 1, store_.end_index());
  if (dl > store_.committed_index()) store_.set_committed_index(dl);
  applied_commit_ = commit;
  committed_index_ = std::max(committed_index_.load(), dl);
  const raft::RaftLog& log = core_->log();
  while (!pending_.empty() && pending_.front().last_index <= commit) {
    PendingAppend pa = std::move(pending_.front());
    pending_.pop_front();
    --pending_calls_;
    const bool ours = log.maybe_term(pa.last_index) == pa.term;
    std::vector<store::ReplicatedEntry> results(pa.positions.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      results[i].status = ours ? store::ReplicateStatus::kOk : store::ReplicateStatus::kNotLeader;
      if (ours) {
        results[i].index = static_cast<std::int64_t>(pa.first_index + i) - 1;
        results[i].pos = pa.positions[i];
      }
    }
    if (pa.done) deferred_.emplace_back(std::move(pa.done), std::move(results));
  }
}

void DLedgerNode::expire_pending(Clock::time_point now) {
  while (!pending_.empty() && pending_.front().deadline <= now) {
    PendingAppend pa = std::move(pending_.front());
    pending_.pop_front();
    --pending_calls_;
    finish_later(pa.done, pa.positions.size(), store::ReplicateStatus::kTimeout);
  }
}

void DLedgerNode::fail_pending(store::ReplicateStatus status) {
  while (!pending_.empty()) {
    PendingAppend pa = std::move(pending_.front());
    pending_.pop_front();
    --pending_calls_;
    finish_later(pa.done, pa.positions.size(), status);
  }
}

void DLedgerNode::fail_node(const std::string& why) {
  spdlog::error("dledger: {} stops taking part in the group (restart it to recover): {}", options_.config.self_id,
                why);
  {
    std::lock_guard lock(status_mu_);
    failure_ = why;
  }
  is_leader_ = false;
  fail_pending(store::ReplicateStatus::kStoreFailed);
}

void DLedgerNode::publish_status(bool notify) {
  RoleListener listener;
  store::ReplicaStatus snapshot;
  {
    std::lock_guard lock(status_mu_);
    if (!notify) {
      // Called with store_mu_ held: refresh the snapshot from the core.
      status_.role = failure_.empty() ? to_replica_role(core_->role()) : store::ReplicaRole::kFollower;
      status_.term = static_cast<std::int64_t>(core_->term());
      const raft::NodeId leader = failure_.empty() ? core_->leader_id() : raft::kNoNode;
      status_.leader_id = leader == raft::kNoNode ? std::string() : peers_.at(leader - 1).id;
      status_.end_index = store_.end_index();
      status_.begin_index = store_.begin_index();
      return;
    }
    listener = role_listener_;
    snapshot = status_;
    snapshot.committed_index = committed_index_.load();
  }
  if (listener) listener(snapshot);
}

}  // namespace rmq::dledger
