// A deterministic simulation of a Raft group: real RaftCore instances, a simulated clock, a simulated
// network (sim_network.h) and simulated disks, all driven by one seed.
//
// Each node runs the runtime loop of broker/raft/batch.h: take a batch, send what may go before the write and
// apply its committed entries, make it durable (this takes simulated time: persistence completes
// asynchronously; meanwhile the leader's heartbeats and appends and newly committed durable entries keep
// flowing), then send its other messages and call advance(). A crash throws away the core and whatever batch
// was still being made durable, or a prefix of it (partial persistence); the restart builds a new core over
// what the simulated disk holds. A failed fsync either is reported to the core (persist_failed) or stops the
// node. The disk persists term and vote with every batch, and the commit index only sometimes (like DLedger's
// periodic checkpoint). Nodes can be paused (nothing runs, messages wait) and their clocks drift.
//
// A run has a fault phase (faults of the scenario's mix plus client proposals throughout) and then heals
// everything: all nodes up, no partitions, no loss. Within a bounded simulated time after the heal a leader
// must exist and every acknowledged proposal (committed as seen by the leader that accepted it) must be
// committed on every node; then a leadership transfer requested while clients keep proposing must complete
// within a bounded time. SafetyChecker checks the safety properties after every step.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tests/sim/scenario.h"

namespace rmq::raft::sim {

struct SimStats {
  std::uint64_t events = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t proposals_accepted = 0;
  std::uint64_t proposals_acked = 0;
  std::uint64_t committed_entries = 0;
  std::uint64_t leader_terms = 0;
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t fsync_failures = 0;
  std::int64_t sim_time_ms = 0;
  std::int64_t converge_ms = 0;  // from the heal to the liveness condition holding
  std::int64_t transfer_ms = 0;  // the leadership transfer under load after convergence
  std::uint64_t transfer_attempts = 0;
};

struct SimResult {
  bool ok = true;
  std::string violation;  // what went wrong (empty if ok)
  std::string report;     // violation, scenario, replay command, trace of the last steps, node states
  SimStats stats;
};

// Runs one scenario to completion. `verbose` prints every step as it happens (for replays).
SimResult run_simulation(const Scenario& scenario, bool verbose = false);

}  // namespace rmq::raft::sim
