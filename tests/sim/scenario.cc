#include "tests/sim/scenario.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

namespace rmq::raft::sim {
namespace {

std::string self_executable() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "build-raft/test_sim";
  return std::string(buf, static_cast<std::size_t>(n));
}

const char* unsafe_name(const Scenario& s) {
  if (s.unsafe_count_previous_term_replicas) return "count_previous_term_replicas";
  if (s.unsafe_vote_before_persist) return "vote_before_persist";
  if (s.unsafe_leader_counts_unwritten) return "leader_counts_unwritten";
  return nullptr;
}

}  // namespace

const char* to_string(FaultMix mix) {
  switch (mix) {
    case FaultMix::kLossy: return "lossy";
    case FaultMix::kPartitions: return "partitions";
    case FaultMix::kCrashes: return "crashes";
    case FaultMix::kAll: return "all";
    case FaultMix::kPauses: return "pauses";
  }
  return "?";
}

std::optional<FaultMix> parse_fault_mix(std::string_view name) {
  for (FaultMix m :
       {FaultMix::kLossy, FaultMix::kPartitions, FaultMix::kCrashes, FaultMix::kAll, FaultMix::kPauses}) {
    if (name == to_string(m)) return m;
  }
  return std::nullopt;
}

std::string Scenario::describe() const {
  std::string s = "seed=" + std::to_string(seed) + " nodes=" + std::to_string(nodes) + " mix=" + to_string(mix);
  if (const char* u = unsafe_name(*this)) s += std::string(" unsafe=") + u;
  return s;
}

std::string Scenario::replay_command() const {
  std::string s = "RMQ_SIM_SEED=" + std::to_string(seed) + " RMQ_SIM_NODES=" + std::to_string(nodes) +
                  " RMQ_SIM_MIX=" + to_string(mix);
  if (const char* u = unsafe_name(*this)) s += std::string(" RMQ_SIM_UNSAFE=") + u;
  return s + " " + self_executable() + " --gtest_filter=Sim.Replay";
}

std::optional<Scenario> Scenario::from_environment(std::string* error) {
  const char* seed = std::getenv("RMQ_SIM_SEED");
  if (seed == nullptr) return std::nullopt;
  Scenario s;
  s.seed = std::strtoull(seed, nullptr, 10);
  if (const char* n = std::getenv("RMQ_SIM_NODES")) s.nodes = std::atoi(n);
  if (s.nodes < 1 || s.nodes > 9) {
    *error = "RMQ_SIM_NODES must be 1..9";
    return std::nullopt;
  }
  if (const char* m = std::getenv("RMQ_SIM_MIX")) {
    std::optional<FaultMix> mix = parse_fault_mix(m);
    if (!mix) {
      *error = std::string("unknown RMQ_SIM_MIX ") + m + " (lossy, partitions, crashes, all, pauses)";
      return std::nullopt;
    }
    s.mix = *mix;
  }
  if (const char* u = std::getenv("RMQ_SIM_UNSAFE")) {
    const std::string v = u;
    if (v == "count_previous_term_replicas") {
      s.unsafe_count_previous_term_replicas = true;
    } else if (v == "vote_before_persist") {
      s.unsafe_vote_before_persist = true;
    } else if (v == "leader_counts_unwritten") {
      s.unsafe_leader_counts_unwritten = true;
    } else if (!v.empty()) {
      *error = "unknown RMQ_SIM_UNSAFE " + v +
               " (count_previous_term_replicas, vote_before_persist, leader_counts_unwritten)";
      return std::nullopt;
    }
  }
  return s;
}

}  // namespace rmq::raft::sim
