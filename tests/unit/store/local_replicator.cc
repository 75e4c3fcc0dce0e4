#include "tests/unit/store/local_replicator.h"

#include "broker/store/dledger_noop.h"

namespace rmq::store::testing {

LocalReplicator::LocalReplicator(common::FileSystem& fs, const DLedgerStoreOptions& options, std::string self_id)
    : store_(DLedgerEntryStore::open(fs, options)), self_id_(std::move(self_id)), leader_id_(self_id_) {
  term_ = std::max<std::int64_t>(1, store_->end_term());
}

void LocalReplicator::append(std::vector<common::Bytes> bodies, PatchFn patch, DoneFn done) {
  std::vector<ReplicatedEntry> results;
  std::int64_t committed = -1;
  bool commit_now = false;
  {
    std::lock_guard lock(mutex_);
    if (role_ != ReplicaRole::kLeader || (failure_ && !failure_->second)) {
      const ReplicateStatus status = role_ != ReplicaRole::kLeader ? ReplicateStatus::kNotLeader : failure_->first;
      results.assign(bodies.size(), ReplicatedEntry{status, -1, -1});
    } else {
      for (auto& body : bodies) {
        const DLedgerEntry e = store_->append_as_leader(term_, body, [&](std::int64_t pos, std::span<std::uint8_t> b) {
          if (patch) patch(pos, b);
        });
        results.push_back({ReplicateStatus::kOk, e.index, e.pos});
      }
      store_->sync();
      if (failure_) {
        for (auto& r : results) r.status = failure_->first;
      } else if (auto_commit_) {
        store_->set_committed_index(store_->end_index());
        committed = store_->committed_index();
        commit_now = true;
      } else {
        pending_.push_back({results.back().index, results, std::move(done)});
        return;
      }
    }
  }
  if (commit_now) {
    CommitListener listener;
    {
      std::lock_guard lock(mutex_);
      listener = commit_listener_;
    }
    if (listener) listener(committed);
  }
  done(std::move(results));
}

std::vector<DLedgerEntry> LocalReplicator::read_entries(std::int64_t from_index, std::size_t max_count,
                                                        std::size_t max_bytes) const {
  std::lock_guard lock(mutex_);
  std::vector<DLedgerEntry> out;
  const std::int64_t last = store_->committed_index();
  std::size_t bytes = 0;
  for (std::int64_t i = std::max(from_index, store_->begin_index()); i <= last && out.size() < max_count; ++i) {
    if (!out.empty() && bytes >= max_bytes) break;
    auto e = store_->get(i);
    if (!e) break;
    bytes += e->body.size();
    out.push_back(std::move(*e));
  }
  return out;
}

std::optional<common::Bytes> LocalReplicator::read_data(std::int64_t pos, std::size_t size_bytes) const {
  std::lock_guard lock(mutex_);
  if (pos < store_->first_file_offset() || pos + static_cast<std::int64_t>(size_bytes) > store_->write_pos()) {
    return std::nullopt;
  }
  common::Bytes out(size_bytes);
  try {
    store_->read_data(pos, out);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

ReplicaStatus LocalReplicator::status() const {
  std::lock_guard lock(mutex_);
  ReplicaStatus s;
  s.role = role_;
  s.term = term_;
  s.leader_id = leader_id_;
  s.self_id = self_id_;
  s.committed_index = store_->committed_index();
  s.end_index = store_->end_index();
  s.begin_index = store_->begin_index();
  return s;
}

void LocalReplicator::set_commit_listener(CommitListener listener) {
  std::lock_guard lock(mutex_);
  commit_listener_ = std::move(listener);
}

void LocalReplicator::set_role_listener(RoleListener listener) {
  std::lock_guard lock(mutex_);
  role_listener_ = std::move(listener);
}

void LocalReplicator::become_leader(std::int64_t term, bool noop) {
  {
    std::lock_guard lock(mutex_);
    role_ = ReplicaRole::kLeader;
    term_ = term;
    leader_id_ = self_id_;
  }
  if (noop) {
    append({encode_noop_body_unpositioned(term)},
           [](std::int64_t pos, std::span<std::uint8_t> body) { write_commitlog_physical_offset(pos, body); },
           [](std::vector<ReplicatedEntry>) {});
  }
}

void LocalReplicator::become_follower(std::int64_t term, std::string leader_id) {
  std::vector<Pending> failed;
  {
    std::lock_guard lock(mutex_);
    role_ = ReplicaRole::kFollower;
    term_ = term;
    leader_id_ = std::move(leader_id);
    failed.assign(pending_.begin(), pending_.end());
    pending_.clear();
  }
  for (auto& p : failed) {
    for (auto& r : p.results) r.status = ReplicateStatus::kNotLeader;
    p.done(p.results);
  }
}

void LocalReplicator::set_auto_commit(bool on) {
  std::lock_guard lock(mutex_);
  auto_commit_ = on;
}

void LocalReplicator::commit_to(std::int64_t index) {
  std::vector<Pending> completed;
  std::int64_t committed = -1;
  {
    std::lock_guard lock(mutex_);
    store_->set_committed_index(std::min(index, store_->end_index()));
    committed = store_->committed_index();
    while (!pending_.empty() && pending_.front().last_index <= committed) {
      completed.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
  }
  fire(committed, completed);
}

void LocalReplicator::fire(std::int64_t committed, const std::vector<Pending>& completed) {
  CommitListener listener;
  {
    std::lock_guard lock(mutex_);
    listener = commit_listener_;
  }
  if (listener) listener(committed);
  for (const auto& p : completed) p.done(p.results);
}

void LocalReplicator::fail_appends(ReplicateStatus status, bool after_write) {
  std::lock_guard lock(mutex_);
  failure_ = std::make_pair(status, after_write);
}

void LocalReplicator::clear_failure() {
  std::lock_guard lock(mutex_);
  failure_.reset();
}

DLedgerAppendStatus LocalReplicator::append_as_follower(const DLedgerEntry& entry) {
  std::lock_guard lock(mutex_);
  const DLedgerAppendStatus s = store_->append_as_follower(entry);
  if (s == DLedgerAppendStatus::kOk) store_->sync();
  return s;
}

std::int64_t LocalReplicator::term() const {
  std::lock_guard lock(mutex_);
  return term_;
}

}  // namespace rmq::store::testing
