// The tail of the log that the core has appended but the runtime has not yet reported durable.
//
// Entries at index >= offset() are here; entries below are in LogStorage. A leader appends proposals here; a
// follower appends (and, on a conflict, truncates) here. The runtime gets the whole tail in each Batch; once it
// reports it durable (RaftCore::advance), stable_to() drops it. A crash loses everything here, which is safe:
// nothing that depends on these entries being durable (an append acknowledgement, the leader counting itself)
// was sent or counted yet.
//
// A truncation can reach below offset(), into entries the storage already holds: offset() then moves down and
// the next Batch tells the runtime to discard those durable entries (Batch::truncate_from_index).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "broker/raft/raft_types.h"

namespace rmq::raft {

class UnstableLog {
 public:
  // `offset` is one past the storage's last index.
  explicit UnstableLog(Index offset) : offset_(offset) {}

  Index offset() const { return offset_; }
  bool empty() const { return entries_.empty(); }
  std::optional<Index> maybe_last_index() const;
  std::optional<Term> maybe_term(Index index) const;
  const std::deque<Entry>& entries() const { return entries_; }

  // Appends `entries` (contiguous), first dropping every entry at or after entries.front().index.
  // entries.front().index must be at most one past the current last index (storage or unstable).
  void truncate_and_append(std::vector<Entry> entries);
  // The runtime made entries up to `index` durable, the last of them with term `term`. If the tail was
  // truncated and rewritten meanwhile so that `index` now has another term, nothing becomes stable.
  void stable_to(Index index, Term term);
  // Copies entries in [lo, hi), offset() <= lo <= hi <= last + 1, up to max_bytes (at least one).
  void slice(Index lo, Index hi, std::size_t& budget_bytes, std::vector<Entry>& out) const;

 private:
  Index offset_;
  std::deque<Entry> entries_;  // entries_[i] has index offset_ + i
};

}  // namespace rmq::raft
