#include "broker/raft/raft_log.h"

#include <algorithm>
#include <string>
#include <utility>

#include "broker/raft/invariant.h"

namespace rmq::raft {

RaftLog::RaftLog(const LogStorage& storage, Index committed, Index applied)
    : storage_(storage), unstable_(storage.last_index() + 1), committed_(committed), applied_(applied) {
  RMQ_RAFT_CHECK(committed_ <= storage_.last_index(),
                 "persisted commit index " + std::to_string(committed_) + " is past the durable log end " +
                     std::to_string(storage_.last_index()));
  RMQ_RAFT_CHECK(applied_ <= committed_, "applied index " + std::to_string(applied_) +
                                             " is past the commit index " + std::to_string(committed_));
}

Index RaftLog::last_index() const {
  if (auto i = unstable_.maybe_last_index()) return *i;
  return unstable_.offset() - 1;
}

std::optional<Term> RaftLog::maybe_term(Index index) const {
  if (auto t = unstable_.maybe_term(index)) return t;
  if (index >= unstable_.offset()) return std::nullopt;  // past the end (the tail would have had it)
  if (index != 0 && index < storage_.first_index()) return std::nullopt;  // deleted
  return storage_.term(index);
}

Term RaftLog::term(Index index) const {
  std::optional<Term> t = maybe_term(index);
  RMQ_RAFT_CHECK(t.has_value(), "term of index " + std::to_string(index) + " past the last index " +
                                    std::to_string(last_index()));
  return *t;
}

bool RaftLog::match_term(Index index, Term t) const {
  // A deleted entry was committed, and a committed entry is in the log of every leader that can reach us
  // (our term is at least the entry's, and we drop appends from older terms).
  if (index != 0 && index < storage_.first_index() && index <= committed_) return true;
  std::optional<Term> mine = maybe_term(index);
  return mine && *mine == t;
}

bool RaftLog::is_up_to_date(Index last_idx, Term last_t) const {
  const Term my_last_term = last_term();
  return last_t > my_last_term || (last_t == my_last_term && last_idx >= last_index());
}

std::optional<Index> RaftLog::maybe_append(Index prev_index, Term prev_term, Index leader_commit,
                                           const std::vector<Entry>& entries, Index* truncated_from) {
  if (!match_term(prev_index, prev_term)) return std::nullopt;
  const Index last_new = prev_index + entries.size();
  // The first entry that is not already in the log with the same term; everything before it matches.
  std::size_t first_new = entries.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!match_term(entries[i].index, entries[i].term)) {
      first_new = i;
      break;
    }
  }
  if (first_new < entries.size()) {
    const Index at = entries[first_new].index;
    RMQ_RAFT_CHECK(at > committed_, "append would overwrite committed entry " + std::to_string(at) +
                                        " (commit index " + std::to_string(committed_) + ")");
    if (truncated_from != nullptr && at <= last_index()) *truncated_from = at;
    unstable_.truncate_and_append(std::vector<Entry>(entries.begin() + static_cast<std::ptrdiff_t>(first_new),
                                                     entries.end()));
  }
  commit_to(std::min(leader_commit, last_new));
  return last_new;
}

Index RaftLog::append(std::vector<Entry> entries) {
  if (entries.empty()) return last_index();
  RMQ_RAFT_CHECK(entries.front().index == last_index() + 1, "leader append must continue the log");
  RMQ_RAFT_CHECK(entries.front().term >= last_term(), "leader append must not lower the term");
  unstable_.truncate_and_append(std::move(entries));
  return last_index();
}

void RaftLog::commit_to(Index index) {
  if (index <= committed_) return;
  RMQ_RAFT_CHECK(index <= last_index(), "commit index " + std::to_string(index) + " past the last index " +
                                            std::to_string(last_index()));
  committed_ = index;
}

void RaftLog::applied_to(Index index) {
  if (index == 0 || index == applied_) return;
  RMQ_RAFT_CHECK(index >= applied_ && index <= committed_,
                 "applied index " + std::to_string(index) + " outside [" + std::to_string(applied_) + ", " +
                     std::to_string(committed_) + "]");
  applied_ = index;
}

std::vector<Entry> RaftLog::entries(Index lo, Index hi, std::size_t max_bytes) const {
  std::vector<Entry> out;
  if (lo >= hi) return out;
  RMQ_RAFT_CHECK(lo >= std::max<Index>(1, storage_.first_index()) && hi <= last_index() + 1,
                 "entries [" + std::to_string(lo) + ", " + std::to_string(hi) + ") out of range");
  const Index offset = unstable_.offset();
  std::size_t budget = max_bytes;
  if (lo < offset) {
    const Index durable_hi = std::min(offset, hi);
    storage_.entries(lo, durable_hi, max_bytes, out);
    if (out.size() < durable_hi - lo) return out;  // the budget ran out inside the durable part
    for (const Entry& e : out) budget = entry_size_bytes(e) > budget ? 0 : budget - entry_size_bytes(e);
    if (budget == 0) return out;
    lo = durable_hi;
  }
  if (lo < hi) unstable_.slice(lo, hi, budget, out);
  return out;
}

std::vector<Entry> RaftLog::unstable_entries() const {
  return std::vector<Entry>(unstable_.entries().begin(), unstable_.entries().end());
}

bool RaftLog::storage_needs_truncation() const {
  return !unstable_.empty() && storage_.last_index() >= unstable_.offset();
}

std::vector<Entry> RaftLog::next_committed_entries(std::size_t max_bytes) const {
  return entries(std::max<Index>(applied_ + 1, storage_.first_index()), applicable_end() + 1, max_bytes);
}

Index RaftLog::first_index_with_term_at_least(Term t, Index lo, Index hi) const {
  // Terms are non-decreasing along the log: binary search for the boundary.
  Index a = lo, b = hi + 1;  // answer in [a, b]
  while (a < b) {
    const Index mid = a + (b - a) / 2;
    if (term(mid) >= t) {
      b = mid;
    } else {
      a = mid + 1;
    }
  }
  return a;
}

Index RaftLog::last_index_with_term_at_most(Term t, Index lo, Index hi) const {
  // Search (lo - 1, hi]: the largest index with term <= t, or lo - 1.
  Index a = lo - 1, b = hi;  // answer in [a, b]
  while (a < b) {
    const Index mid = b - (b - a) / 2;
    if (term(mid) <= t) {
      a = mid;
    } else {
      b = mid - 1;
    }
  }
  return a;
}

}  // namespace rmq::raft
