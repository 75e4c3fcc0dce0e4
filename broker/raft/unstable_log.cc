#include "broker/raft/unstable_log.h"

#include <string>
#include <utility>

#include "broker/raft/invariant.h"

namespace rmq::raft {

std::optional<Index> UnstableLog::maybe_last_index() const {
  if (entries_.empty()) return std::nullopt;
  return offset_ + entries_.size() - 1;
}

std::optional<Term> UnstableLog::maybe_term(Index index) const {
  if (index < offset_ || index >= offset_ + entries_.size()) return std::nullopt;
  return entries_[index - offset_].term;
}

void UnstableLog::truncate_and_append(std::vector<Entry> entries) {
  if (entries.empty()) return;
  const Index after = entries.front().index;
  if (after == offset_ + entries_.size()) {
    // Plain append to the tail.
  } else if (after <= offset_) {
    // Replaces the whole tail and reaches into the durable part: the runtime discards from `after`.
    offset_ = after;
    entries_.clear();
  } else {
    RMQ_RAFT_CHECK(after < offset_ + entries_.size(), "unstable append leaves a gap at " + std::to_string(after));
    entries_.resize(after - offset_);
  }
  for (Entry& e : entries) {
    RMQ_RAFT_CHECK(e.index == offset_ + entries_.size(), "unstable append of non-contiguous entries");
    entries_.push_back(std::move(e));
  }
}

void UnstableLog::stable_to(Index index, Term term) {
  const std::optional<Term> t = maybe_term(index);
  if (!t || *t != term) return;
  const std::size_t n = index - offset_ + 1;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
  offset_ = index + 1;
}

void UnstableLog::slice(Index lo, Index hi, std::size_t& budget_bytes, std::vector<Entry>& out) const {
  RMQ_RAFT_CHECK(lo >= offset_ && hi <= offset_ + entries_.size() && lo <= hi, "unstable slice out of range");
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - offset_];
    const std::size_t size = entry_size_bytes(e);
    if (!out.empty() && size > budget_bytes) {
      budget_bytes = 0;
      return;
    }
    budget_bytes = size > budget_bytes ? 0 : budget_bytes - size;
    out.push_back(e);
  }
}

}  // namespace rmq::raft
