// The Raft log as the core sees it: durable entries in LogStorage, the not-yet-durable tail in UnstableLog,
// and the commit and apply positions.
//
// Invariants (checked): first_index() - 1 <= applied <= committed <= last_index(); a committed entry is never truncated (a
// follower asked to do so throws InvariantError instead: it means a leader broke Raft or the disk lost data);
// terms never decrease along the log, which is what lets the hint lookups below binary-search.
//
// The commit index is volatile state in the Raft paper. Here it starts at the value the runtime persisted
// (HardState::commit_index) and only moves forward from there. `applied` is what was handed out for applying
// (Batch::committed_entries, RaftCore::take_committed_entries): only entries that are durable here
// (index <= stable_index()) are handed out.
//
// Entries below the storage's first_index() were deleted (expired files). They were committed, so they match
// any leader's log: match_term() says yes for them, and maybe_term() says nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "broker/raft/invariant.h"
#include "broker/raft/log_storage.h"
#include "broker/raft/raft_types.h"
#include "broker/raft/unstable_log.h"

namespace rmq::raft {

class RaftLog {
 public:
  RaftLog(const LogStorage& storage, Index committed, Index applied);

  const LogStorage& storage() const { return storage_; }
  // The first entry still held (LogStorage::first_index()).
  Index first_index() const { return storage_.first_index(); }
  Index last_index() const;
  Term last_term() const { return term(last_index()); }
  // The term of the entry at `index`, index == 0 or first_index() <= index <= last_index() (checked).
  Term term(Index index) const;
  // nullopt when `index` is past the end or deleted.
  std::optional<Term> maybe_term(Index index) const;
  bool match_term(Index index, Term t) const;

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  // Every entry up to here is durable and belongs to this log: the leader counts itself up to this index.
  Index stable_index() const { return unstable_.offset() - 1; }

  // Raft section 5.4.1: is a log ending at (last_index, last_term) at least as up-to-date as this one?
  bool is_up_to_date(Index last_idx, Term last_t) const;

  // Follower side of AppendEntries. If the entry at prev_index has prev_term, appends the entries that are
  // new (deleting conflicting ones, never committed ones), advances the commit index to
  // min(leader_commit, index of the last new entry) and returns that last new index; otherwise nullopt.
  // If conflicting entries were deleted, *truncated_from (when given) is set to the first deleted index.
  std::optional<Index> maybe_append(Index prev_index, Term prev_term, Index leader_commit,
                                    const std::vector<Entry>& entries, Index* truncated_from = nullptr);
  // Leader side: appends entries that continue the log. Returns the new last index.
  Index append(std::vector<Entry> entries);

  // Raises the commit index to `index` (never lowers it); index <= last_index() is checked.
  void commit_to(Index index);
  void applied_to(Index index);
  void stable_to(Index index, Term t) { unstable_.stable_to(index, t); }

  // Entries in [lo, hi), hi <= last_index() + 1, up to max_bytes (at least one if lo < hi).
  std::vector<Entry> entries(Index lo, Index hi, std::size_t max_bytes) const;
  std::vector<Entry> entries_from(Index lo, std::size_t max_bytes) const {
    return entries(lo, last_index() + 1, max_bytes);
  }
  // The not-yet-durable tail (what the next Batch asks the runtime to write).
  std::vector<Entry> unstable_entries() const;
  Index unstable_offset() const { return unstable_.offset(); }
  // Whether the storage holds entries at or after the unstable offset that the runtime must discard.
  bool storage_needs_truncation() const;
  bool has_unstable() const { return !unstable_.empty(); }
  // Committed entries that are durable here and not yet handed out for applying, up to max_bytes (at least
  // one).
  std::vector<Entry> next_committed_entries(std::size_t max_bytes) const;
  bool has_next_committed_entries() const { return applicable_end() > applied_; }

  // Reject hints (see Message). The first index in [lo, hi] whose term is >= t, or hi + 1 if none.
  Index first_index_with_term_at_least(Term t, Index lo, Index hi) const;
  // The last index in [lo, hi] whose term is <= t, or lo - 1 if none (lo >= 1).
  Index last_index_with_term_at_most(Term t, Index lo, Index hi) const;

 private:
  // The last index that may be handed out for applying: committed and durable here.
  Index applicable_end() const { return std::min(committed_, stable_index()); }

  const LogStorage& storage_;
  UnstableLog unstable_;
  Index committed_;
  Index applied_;
};

}  // namespace rmq::raft
