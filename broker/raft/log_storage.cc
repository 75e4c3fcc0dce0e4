#include "broker/raft/log_storage.h"

#include <string>

#include "broker/raft/invariant.h"

namespace rmq::raft {

Term MemoryLogStorage::term(Index index) const {
  if (index == 0) return 0;
  RMQ_RAFT_CHECK(index <= entries_.size(), "storage term() past the last index " + std::to_string(index));
  return entries_[index - 1].term;
}

void MemoryLogStorage::entries(Index lo, Index hi, std::size_t max_bytes, std::vector<Entry>& out) const {
  RMQ_RAFT_CHECK(lo >= 1 && lo < hi && hi <= entries_.size() + 1, "storage entries() out of range");
  std::size_t bytes = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - 1];
    if (i > lo && bytes + entry_size_bytes(e) > max_bytes) break;
    bytes += entry_size_bytes(e);
    out.push_back(e);
  }
}

void MemoryLogStorage::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const Index first = entries.front().index;
  RMQ_RAFT_CHECK(first >= 1 && first <= entries_.size() + 1, "storage append leaves a gap");
  entries_.resize(first - 1);
  for (const Entry& e : entries) {
    RMQ_RAFT_CHECK(e.index == entries_.size() + 1, "storage append of non-contiguous entries");
    entries_.push_back(e);
  }
}

void MemoryLogStorage::truncate_from(Index index) {
  RMQ_RAFT_CHECK(index >= 1, "storage truncate_from(0)");
  if (index <= entries_.size()) entries_.resize(index - 1);
}

}  // namespace rmq::raft
