#include "broker/raft/progress.h"

#include <algorithm>
#include <string>

#include "broker/raft/invariant.h"

namespace rmq::raft {

bool Progress::paused() const {
  switch (state_) {
    case State::kProbe: return probe_sent_;
    case State::kReplicate: return inflights_.full();
  }
  return true;
}

void Progress::become_probe() {
  state_ = State::kProbe;
  probe_sent_ = false;
  next_index_ = match_index_ + 1;
  inflights_.reset();
}

void Progress::become_replicate() {
  state_ = State::kReplicate;
  probe_sent_ = false;
  next_index_ = match_index_ + 1;
  inflights_.reset();
}

void Progress::on_append_sent(Index last_index, std::size_t entry_count, std::size_t size_bytes) {
  switch (state_) {
    case State::kProbe:
      probe_sent_ = true;
      break;
    case State::kReplicate:
      if (entry_count > 0) {
        RMQ_RAFT_CHECK(last_index + 1 > next_index_, "replicate append must advance next_index");
        next_index_ = last_index + 1;
        inflights_.add(last_index, size_bytes);
      }
      break;
  }
}

bool Progress::maybe_update(Index index) {
  bool updated = false;
  if (match_index_ < index) {
    match_index_ = index;
    updated = true;
    probe_sent_ = false;
    acked_since_check_ = true;
  }
  if (state_ == State::kReplicate) inflights_.free_le(index);
  next_index_ = std::max(next_index_, index + 1);
  return updated;
}

bool Progress::maybe_decrease_to(Index rejected, Index next_probe) {
  if (state_ == State::kReplicate) {
    // Entries up to match are known to match: a rejection at or below it is an old message.
    if (rejected <= match_index_) return false;
    next_index_ = match_index_ + 1;
    return true;
  }
  // In probe only the answer to the outstanding probe (prev index next - 1) counts.
  if (next_index_ == 0 || next_index_ - 1 != rejected) return false;
  next_index_ = std::max(std::min(rejected, next_probe), match_index_ + 1);
  probe_sent_ = false;
  return true;
}

bool Progress::check_stalled() {
  const bool stalled = state_ == State::kReplicate && inflights_.full() && !acked_since_check_;
  acked_since_check_ = false;
  if (stalled) become_probe();
  return stalled;
}

void Progress::set_match_for_self(Index durable_index) {
  match_index_ = std::max(match_index_, durable_index);
  next_index_ = std::max(next_index_, durable_index + 1);
}

}  // namespace rmq::raft
