#include "tests/sim/sim_network.h"

#include <algorithm>

namespace rmq::raft::sim {

void SimNetwork::split(const std::vector<NodeId>& side) {
  for (NodeId a : side) {
    for (NodeId b : nodes_) {
      if (std::find(side.begin(), side.end(), b) == side.end()) block_both(a, b);
    }
  }
}

void SimNetwork::ring(const std::vector<NodeId>& order) {
  const std::size_t n = order.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const std::size_t d = j - i;
      const bool neighbours = d == 1 || d == n - 1;
      if (!neighbours) block_both(order[i], order[j]);
    }
  }
}

std::int64_t SimNetwork::one_delay(Rand& rand) const {
  if (rand.chance(profile_.long_delay_probability)) {
    return profile_.max_delay_ms + static_cast<std::int64_t>(rand.uniform(
                                       static_cast<std::uint64_t>(profile_.long_delay_max_ms) + 1));
  }
  const std::uint64_t span = static_cast<std::uint64_t>(profile_.max_delay_ms - profile_.min_delay_ms) + 1;
  return profile_.min_delay_ms + static_cast<std::int64_t>(rand.uniform(span));
}

std::vector<std::int64_t> SimNetwork::delays_for(NodeId from, NodeId to, Rand& rand) const {
  std::vector<std::int64_t> out;
  if (!link_up(from, to) || rand.chance(profile_.drop_probability)) return out;
  out.push_back(one_delay(rand));
  if (rand.chance(profile_.duplicate_probability)) out.push_back(one_delay(rand));
  return out;
}

}  // namespace rmq::raft::sim
