// What one simulation run is: a seed, a group size (1 to 9), a fault mix and the (test-only) unsafe switches.
// Everything else a run does (network timing, loss rates, flow-control bounds, when faults strike) is drawn
// from the seed, so a Scenario is the whole recipe for replaying a run bit for bit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rmq::raft::sim {

enum class FaultMix : std::uint8_t {
  kLossy,       // the network drops, delays, reorders and duplicates; nothing else fails
  kPartitions,  // lossy + partitions: random halves, the leader cut off, a bridge/ring, one-way links
  kCrashes,     // lossy + crashes and restarts that lose whatever was not yet durable
  kAll,         // all of the above + pauses, clock drift, leadership transfers and a preferred leader
  kPauses,      // lossy + paused nodes (SIGSTOP: nothing runs, messages queue up) and clock drift per node
};

const char* to_string(FaultMix mix);
std::optional<FaultMix> parse_fault_mix(std::string_view name);

struct Scenario {
  std::uint64_t seed = 1;
  int nodes = 3;
  FaultMix mix = FaultMix::kAll;
  bool unsafe_count_previous_term_replicas = false;
  bool unsafe_vote_before_persist = false;
  bool unsafe_leader_counts_unwritten = false;

  bool any_unsafe() const {
    return unsafe_count_previous_term_replicas || unsafe_vote_before_persist || unsafe_leader_counts_unwritten;
  }
  // "seed=12 nodes=3 mix=all".
  std::string describe() const;
  // The one command that replays this run (environment variables read by Sim.Replay).
  std::string replay_command() const;
  // Reads RMQ_SIM_SEED, RMQ_SIM_NODES, RMQ_SIM_MIX and RMQ_SIM_UNSAFE; nullopt if RMQ_SIM_SEED is unset.
  static std::optional<Scenario> from_environment(std::string* error);
};

}  // namespace rmq::raft::sim
