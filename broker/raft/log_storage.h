// What the core reads of the durable log, and an in-memory implementation of it.
//
// The runtime owns the durable state (in the broker: the DLedger entry store and `currterm`/`checkpoint`); the
// core only reads it through LogStorage, and only entries the runtime has already made durable are in it.
// Entries the core has appended but the runtime has not yet reported durable live in the core's unstable tail
// (unstable_log.h). The runtime changes the storage only while it handles a Batch (write what the batch says,
// then RaftCore::advance), never behind the core's back.
//
// The log may start above index 1: DLedger deletes expired data files, so the durable log holds the entries
// [first_index(), last_index()] and entries below first_index() are gone. Only entries that were committed and
// handed out for applying may be deleted. The core never asks for a deleted entry or its term: a follower
// that needs one is reported (Batch::followers_needing_deleted_entries) instead of replicated to. Index 0 has
// term 0.
//
// On a crash, a storage keeps exactly what was made durable: after a restart, RaftCore is constructed over it
// and continues from its hard state and its log.
#pragma once

#include <cstddef>
#include <vector>

#include "broker/raft/raft_types.h"

namespace rmq::raft {

class LogStorage {
 public:
  virtual ~LogStorage() = default;
  // The hard state last made durable (all zero for a new node).
  virtual HardState hard_state() const = 0;
  // The index of the first entry the storage still holds (1 unless expired entries were deleted). It only
  // grows, and is at most last_index() (or 1 for an empty log): the last entry is never deleted.
  virtual Index first_index() const { return 1; }
  // The index of the last durable entry (0 when the log is empty).
  virtual Index last_index() const = 0;
  // The term of the entry at `index`: index == 0 or first_index() <= index <= last_index().
  virtual Term term(Index index) const = 0;
  // Appends to `out` the entries in [lo, hi), first_index() <= lo < hi <= last_index() + 1, stopping once their
  // entry_size_bytes total reaches max_bytes (at least one entry is returned).
  virtual void entries(Index lo, Index hi, std::size_t max_bytes, std::vector<Entry>& out) const = 0;
};

// A LogStorage kept in memory, for tests, the simulator and the benchmark.
class MemoryLogStorage final : public LogStorage {
 public:
  HardState hard_state() const override { return hard_state_; }
  Index last_index() const override { return entries_.size(); }
  Term term(Index index) const override;
  void entries(Index lo, Index hi, std::size_t max_bytes, std::vector<Entry>& out) const override;

  void set_hard_state(const HardState& hs) { hard_state_ = hs; }
  // Discards every entry at or after entries.front().index, then appends `entries` (which must be contiguous
  // and start at most one past the current last index).
  void append(const std::vector<Entry>& entries);
  // Discards every entry at or after `index` (a write that failed, or a crash in the middle of a batch).
  void truncate_from(Index index);
  // The whole log, for checkers.
  const std::vector<Entry>& all() const { return entries_; }

 private:
  HardState hard_state_;
  std::vector<Entry> entries_;  // entries_[i] has index i + 1
};

}  // namespace rmq::raft
