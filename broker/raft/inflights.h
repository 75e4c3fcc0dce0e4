// The append messages a leader has sent to one follower and not yet seen acknowledged.
//
// This is the bound that keeps a slow follower from costing unbounded memory: the leader stops sending to a
// follower whose window is full (too many messages, or too many bytes) until acknowledgements free it. Each
// record is the last index a message carried and its size; an acknowledgement of index i frees every record
// up to i. Nothing here is durable: a leader that restarts starts with empty windows.
#pragma once

#include <cstddef>
#include <deque>

#include "broker/raft/invariant.h"
#include "broker/raft/raft_types.h"

namespace rmq::raft {

class Inflights {
 public:
  Inflights(std::size_t max_msgs, std::size_t max_bytes) : max_msgs_(max_msgs), max_bytes_(max_bytes) {}

  // Records a message whose last entry is `last_index` (increasing from call to call).
  void add(Index last_index, std::size_t size_bytes);
  // Frees every message whose last index is <= index.
  void free_le(Index index);
  void reset();

  // Full: no further message may be sent. The last message admitted may cross max_bytes; so in-flight bytes
  // stay below max_bytes + the largest message.
  bool full() const { return records_.size() >= max_msgs_ || bytes_ >= max_bytes_; }
  std::size_t count() const { return records_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Record {
    Index last_index;
    std::size_t size_bytes;
  };
  std::size_t max_msgs_;
  std::size_t max_bytes_;
  std::deque<Record> records_;
  std::size_t bytes_ = 0;
};

}  // namespace rmq::raft
