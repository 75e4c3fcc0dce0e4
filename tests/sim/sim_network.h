// The simulated network: which links are up, and what happens to a message on a link that is up (dropped,
// delayed, duplicated; delays vary per message, so messages also arrive out of order).
//
// Partitions are sets of blocked directed links, so the simulator can express random halves, a leader cut
// off, a bridge (3 nodes) or ring (5 nodes) where each node sees a different majority, and one-way links.
// A message is dropped if its link is blocked when it is sent or when it would arrive.
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "broker/raft/random.h"
#include "broker/raft/raft_types.h"

namespace rmq::raft::sim {

struct NetworkProfile {
  double drop_probability = 0;
  double duplicate_probability = 0;
  std::int64_t min_delay_ms = 1;
  std::int64_t max_delay_ms = 5;
  double long_delay_probability = 0;  // a long delay reorders the message behind later ones
  std::int64_t long_delay_max_ms = 100;
};

class SimNetwork {
 public:
  SimNetwork(std::vector<NodeId> nodes, NetworkProfile profile) : nodes_(std::move(nodes)), profile_(profile) {}

  void set_profile(const NetworkProfile& p) { profile_ = p; }
  const NetworkProfile& profile() const { return profile_; }

  bool link_up(NodeId from, NodeId to) const { return !blocked_.count({from, to}); }
  void heal() { blocked_.clear(); }
  void block(NodeId from, NodeId to) { blocked_.insert({from, to}); }
  void block_both(NodeId a, NodeId b) {
    block(a, b);
    block(b, a);
  }
  // Blocks every link between `side` and the other nodes.
  void split(const std::vector<NodeId>& side);
  // Each node is linked only to its two neighbours in `order` (with 3 nodes: the middle one is a bridge).
  void ring(const std::vector<NodeId>& order);
  bool partitioned() const { return !blocked_.empty(); }

  // The arrival delays (ms) for one message sent now: empty if it is lost, two if duplicated.
  std::vector<std::int64_t> delays_for(NodeId from, NodeId to, Rand& rand) const;

 private:
  std::int64_t one_delay(Rand& rand) const;

  std::vector<NodeId> nodes_;
  NetworkProfile profile_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
};

}  // namespace rmq::raft::sim
