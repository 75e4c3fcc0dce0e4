#include "broker/dledger/dledger_log_storage.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "broker/dledger/entry_codec.h"

namespace rmq::dledger {

DLedgerLogStorage::DLedgerLogStorage(store::DLedgerEntryStore& store, raft::HardState hard_state)
    : store_(store), hard_state_(hard_state) {}

raft::Index DLedgerLogStorage::first_index() const {
  return store_.end_index() < 0 ? 1 : static_cast<raft::Index>(store_.begin_index() + 1);
}

raft::Index DLedgerLogStorage::last_index() const { return static_cast<raft::Index>(store_.end_index() + 1); }

raft::Term DLedgerLogStorage::term(raft::Index index) const {
  if (index == 0) return 0;
  if (index > last_index()) {
    throw std::out_of_range("raft index " + std::to_string(index) + " past the log end " +
                            std::to_string(last_index()));
  }
  if (!cache_.empty() && index >= cache_first_ && index < cache_first_ + cache_.size()) {
    return cache_[index - cache_first_];
  }
  auto entry = store_.get(static_cast<std::int64_t>(index) - 1);
  if (!entry) throw std::out_of_range("DLedger entry " + std::to_string(index - 1) + " is not in the store");
  return static_cast<raft::Term>(entry->term);
}

void DLedgerLogStorage::entries(raft::Index lo, raft::Index hi, std::size_t max_bytes,
                                std::vector<raft::Entry>& out) const {
  std::size_t bytes = 0;
  for (raft::Index i = lo; i < hi; ++i) {
    if (!recent_.empty() && i >= entries_first_ && i < entries_first_ + recent_.size()) {
      out.push_back(recent_[i - entries_first_]);
      bytes += raft::entry_size_bytes(out.back());
      if (bytes >= max_bytes) break;
      continue;
    }
    auto entry = store_.get(static_cast<std::int64_t>(i) - 1);
    if (!entry) throw std::out_of_range("DLedger entry " + std::to_string(i - 1) + " is not in the store");
    out.push_back(to_raft_entry(*entry));
    bytes += raft::entry_size_bytes(out.back());
    if (bytes >= max_bytes) break;
  }
}

void DLedgerLogStorage::appended(raft::Entry&& entry) {
  if (cache_.empty() || entry.index != cache_first_ + cache_.size()) {
    cache_.clear();
    cache_first_ = entry.index;
  }
  cache_.push_back(entry.term);
  if (cache_.size() > kTermCacheEntries) {
    cache_.pop_front();
    ++cache_first_;
  }
  if (recent_.empty() || entry.index != entries_first_ + recent_.size()) {
    recent_.clear();
    recent_bytes_ = 0;
    entries_first_ = entry.index;
  }
  recent_bytes_ += entry.data.size();
  recent_.push_back(std::move(entry));
  while (recent_bytes_ > kEntryCacheBytes && recent_.size() > 1) {
    recent_bytes_ -= recent_.front().data.size();
    recent_.pop_front();
    ++entries_first_;
  }
}

void DLedgerLogStorage::truncated_from(raft::Index index) {
  if (!cache_.empty() && index < cache_first_ + cache_.size()) {
    if (index <= cache_first_) {
      cache_.clear();
    } else {
      cache_.resize(index - cache_first_);
    }
  }
  while (!recent_.empty() && index < entries_first_ + recent_.size()) {
    recent_bytes_ -= recent_.back().data.size();
    recent_.pop_back();
  }
}

}  // namespace rmq::dledger
