// The Raft core's view of the durable log (raft::LogStorage) over the DLedger entry store, plus the hard state
// the runtime last made durable in `currterm`.
//
// Index mapping: raft index i is DLedger index i - 1 (entry_codec.h says how the bytes map). A store whose
// first data files were deleted (DLedger begin index b > 0) holds raft entries from first_index() = b + 1.
//
// term() is called for every append the leader sends and every one a follower checks, so the terms of the
// most recent entries are cached (kTermCacheEntries); older ones are read from the store. The most recent
// entries themselves (up to kEntryCacheBytes) are kept too: the core reads them back right after they are
// written, to hand committed entries out and to send appends to followers, and serving those from memory
// saves two preads and a decode per entry on every node.
//
// Not thread-safe: the node's runtime thread uses it (under the node's store lock). Crash: nothing here is
// durable by itself; it reflects what the store and currterm hold.
#pragma once

#include <cstddef>
#include <deque>

#include "broker/raft/log_storage.h"
#include "broker/store/dledger_entry_store.h"

namespace rmq::dledger {

class DLedgerLogStorage final : public raft::LogStorage {
 public:
  static constexpr std::size_t kTermCacheEntries = 1 << 16;
  static constexpr std::size_t kEntryCacheBytes = 16 << 20;

  DLedgerLogStorage(store::DLedgerEntryStore& store, raft::HardState hard_state);

  raft::HardState hard_state() const override { return hard_state_; }
  raft::Index first_index() const override;
  raft::Index last_index() const override;
  raft::Term term(raft::Index index) const override;
  void entries(raft::Index lo, raft::Index hi, std::size_t max_bytes, std::vector<raft::Entry>& out) const override;

  // The entry at `index` if it is among the recent entries kept in memory, else nullptr (valid until the next
  // appended() or truncated_from()). Readers of committed entries (the dispatcher, through
  // DLedgerNode::read_entries) take them from here instead of reading the files back.
  const raft::Entry* recent_entry(raft::Index index) const {
    if (recent_.empty() || index < entries_first_ || index >= entries_first_ + recent_.size()) return nullptr;
    return &recent_[index - entries_first_];
  }

  // The runtime calls these after it changed the durable state.
  void set_hard_state(const raft::HardState& hard_state) { hard_state_ = hard_state; }
  void appended(const raft::Entry& entry) { appended(raft::Entry(entry)); }
  // The same, keeping the caller's entry without a copy (the runtime hands over the entries it just wrote).
  void appended(raft::Entry&& entry);
  void truncated_from(raft::Index index);

 private:
  store::DLedgerEntryStore& store_;
  raft::HardState hard_state_;
  // Terms of entries [cache_first_, cache_first_ + cache_.size()).
  std::deque<raft::Term> cache_;
  raft::Index cache_first_ = 0;
  // Entries [entries_first_, entries_first_ + recent_.size()), at most kEntryCacheBytes of data.
  std::deque<raft::Entry> recent_;
  raft::Index entries_first_ = 0;
  std::size_t recent_bytes_ = 0;
};

}  // namespace rmq::dledger
