// Test DLedgerReplicator over one local DLedgerEntryStore: a single-node "group" with no network, for the
// store side of DLedger mode (dledger_message_store.h). By default it commits every append at once (a
// group of one: the leader's own copy is the majority), syncing first, and then fires the commit listener
// and `done`. Tests can also hold commits back, play a follower (entries written as a leader sent them,
// commit index raised later), change role and term, or make appends fail.
#pragma once

#include <chrono>
#include <deque>
#include <thread>
#include <functional>
#include <memory>
#include <mutex>

#include "broker/common/file_system.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_replicator.h"

namespace rmq::store::testing {

class LocalReplicator final : public DLedgerReplicator {
 public:
  LocalReplicator(common::FileSystem& fs, const DLedgerStoreOptions& options, std::string self_id = "n0");

  void append(std::vector<common::Bytes> bodies, PatchFn patch, DoneFn done) override;
  std::vector<DLedgerEntry> read_entries(std::int64_t from_index, std::size_t max_count,
                                         std::size_t max_bytes) const override;
  std::optional<common::Bytes> read_data(std::int64_t pos, std::size_t size_bytes) const override;
  ReplicaStatus status() const override;
  void set_commit_listener(CommitListener listener) override;
  void set_role_listener(RoleListener listener) override;

  // --- test controls ---
  // Becomes leader of `term` (> the current one); with `noop`, appends the term's no-op entry
  // (dledger_noop.h) as a real runtime does, committed or not according to auto_commit.
  void become_leader(std::int64_t term, bool noop = true);
  void become_follower(std::int64_t term, std::string leader_id = "n1");
  // false: appends stay uncommitted until commit_to().
  void set_auto_commit(bool on);
  // Raises the commit index, fires the listener and completes the appends it covers.
  void commit_to(std::int64_t index);
  // Makes the next appends fail with `status`; `after_write`: the entries are written (patched) first.
  void fail_appends(ReplicateStatus status, bool after_write);
  void clear_failure();
  // A follower's write of a leader's entry (bytes as the leader fixed them).
  DLedgerAppendStatus append_as_follower(const DLedgerEntry& entry);
  DLedgerEntryStore& entry_store() { return *store_; }
  std::int64_t term() const;

 private:
  struct Pending {
    std::int64_t last_index;
    std::vector<ReplicatedEntry> results;
    DoneFn done;
  };
  void fire(std::int64_t committed, const std::vector<Pending>& completed);

  mutable std::mutex mutex_;
  std::unique_ptr<DLedgerEntryStore> store_;
  std::string self_id_;
  ReplicaRole role_ = ReplicaRole::kLeader;
  std::int64_t term_ = 1;
  std::string leader_id_;
  bool auto_commit_ = true;
  std::optional<std::pair<ReplicateStatus, bool>> failure_;
  std::deque<Pending> pending_;
  CommitListener commit_listener_;
  RoleListener role_listener_;
};

// Polls cond every 5 ms for up to timeout_ms (the store's dispatcher runs on its own thread).
inline bool eventually(const std::function<bool()>& cond, int timeout_ms = 5000) {
  for (int waited = 0; waited < timeout_ms; waited += 5) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

}  // namespace rmq::store::testing
