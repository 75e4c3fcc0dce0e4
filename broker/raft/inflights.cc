#include "broker/raft/inflights.h"

#include "broker/raft/invariant.h"

namespace rmq::raft {

void Inflights::add(Index last_index, std::size_t size_bytes) {
  RMQ_RAFT_CHECK(!full(), "append sent to a follower whose in-flight window is full");
  RMQ_RAFT_CHECK(records_.empty() || records_.back().last_index < last_index,
                 "in-flight appends must carry increasing indexes");
  records_.push_back({last_index, size_bytes});
  bytes_ += size_bytes;
}

void Inflights::free_le(Index index) {
  while (!records_.empty() && records_.front().last_index <= index) {
    bytes_ -= records_.front().size_bytes;
    records_.pop_front();
  }
}

void Inflights::reset() {
  records_.clear();
  bytes_ = 0;
}

}  // namespace rmq::raft
