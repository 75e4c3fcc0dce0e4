// A DLedgerReplicator whose status the test sets and whose role events the test fires, for the broker's
// DLedger-mode role handling (dledger_role_handler.h) without a Raft runtime. It stores nothing: append
// answers kNotLeader, reads find nothing. Thread-safe.
#pragma once

#include <mutex>

#include "broker/store/dledger_replicator.h"

namespace rmq::test_support {

class FakeDLedgerReplicator final : public rmq::store::DLedgerReplicator {
 public:
  void append(std::vector<rmq::common::Bytes> bodies, PatchFn, DoneFn done) override {
    std::vector<rmq::store::ReplicatedEntry> results(bodies.size());
    done(std::move(results));
  }
  std::vector<rmq::store::DLedgerEntry> read_entries(std::int64_t, std::size_t, std::size_t) const override {
    return {};
  }
  std::optional<rmq::common::Bytes> read_data(std::int64_t, std::size_t) const override { return std::nullopt; }
  rmq::store::ReplicaStatus status() const override {
    std::lock_guard lock(mutex_);
    return status_;
  }
  void set_commit_listener(CommitListener listener) override {
    std::lock_guard lock(mutex_);
    commit_listener_ = std::move(listener);
  }
  void set_role_listener(RoleListener listener) override {
    std::lock_guard lock(mutex_);
    role_listener_ = std::move(listener);
  }

  // ---- test hooks ----
  void set_status(const rmq::store::ReplicaStatus& status) {
    std::lock_guard lock(mutex_);
    status_ = status;
  }
  // Sets the status and calls the role listener with it (on the caller's thread, as a runtime thread would).
  void fire(const rmq::store::ReplicaStatus& status) {
    RoleListener listener;
    {
      std::lock_guard lock(mutex_);
      status_ = status;
      listener = role_listener_;
    }
    if (listener) listener(status);
  }
  bool has_role_listener() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(role_listener_);
  }

 private:
  mutable std::mutex mutex_;
  rmq::store::ReplicaStatus status_;
  CommitListener commit_listener_;
  RoleListener role_listener_;
};

}  // namespace rmq::test_support
