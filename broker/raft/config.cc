#include "broker/raft/config.h"

#include <algorithm>
#include <string>

namespace rmq::raft {

std::string Config::validate() const {
  if (id == kNoNode) return "id must not be 0";
  if (voters.empty()) return "voters must not be empty";
  if (std::find(voters.begin(), voters.end(), id) == voters.end()) return "voters must contain id";
  for (std::size_t i = 0; i < voters.size(); ++i) {
    if (voters[i] == kNoNode) return "voter ids must not be 0";
    for (std::size_t j = i + 1; j < voters.size(); ++j) {
      if (voters[i] == voters[j]) return "voter " + std::to_string(voters[i]) + " is listed twice";
    }
  }
  if (election_timeout_ticks < 2) return "election_timeout_ticks must be at least 2";
  if (heartbeat_interval_ticks == 0) return "heartbeat_interval_ticks must be at least 1";
  if (heartbeat_interval_ticks >= election_timeout_ticks) {
    return "heartbeat_interval_ticks must be below election_timeout_ticks";
  }
  if (preferred_leader_id != kNoNode &&
      std::find(voters.begin(), voters.end(), preferred_leader_id) == voters.end()) {
    return "preferred_leader_id must be a voter";
  }
  if (max_append_bytes == 0) return "max_append_bytes must be positive";
  if (max_inflight_msgs == 0) return "max_inflight_msgs must be positive";
  if (max_inflight_bytes == 0) return "max_inflight_bytes must be positive";
  if (max_apply_bytes == 0) return "max_apply_bytes must be positive";
  if ((unsafe_count_previous_term_replicas || unsafe_vote_before_persist || unsafe_leader_counts_unwritten) &&
      !allow_unsafe_for_tests) {
    return "unsafe_ switches are for tests only (set allow_unsafe_for_tests)";
  }
  return {};
}

}  // namespace rmq::raft
