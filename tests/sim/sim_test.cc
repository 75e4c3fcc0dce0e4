// The deterministic Raft simulation suite.
//
//  - Sim.Nodes{3,5}_{Lossy,Partitions,Crashes,All,Pauses} and Sim.Nodes{1,2,4}_All: 250 seeds each
//    (RMQ_SIM_SEEDS overrides), 3,250 in all.
//  - Sim.Bites_*: the same simulator over cores built with an unsafe_ switch must find a violation within the
//    suite's seed count, proving the checks bite.
//  - Sim.Replay: replays one run from RMQ_SIM_SEED / RMQ_SIM_NODES / RMQ_SIM_MIX / RMQ_SIM_UNSAFE, printing
//    every step (a failing run prints exactly this command).
//  - Sim.Soak: with RMQ_SIM_SOAK=1, runs seeds until stopped (RMQ_SIM_SEED_START picks the first seed).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/sim/scenario.h"
#include "tests/sim/simulator.h"

namespace rmq::raft::sim {
namespace {

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::strtoull(v, nullptr, 10);
}

// Each case gets its own block of seeds so that no two cases run the same seed.
void run_seeds(int nodes, FaultMix mix, std::uint64_t seed_base) {
  const std::uint64_t count = env_u64("RMQ_SIM_SEEDS", 250);
  SimStats total;
  std::int64_t worst_converge_ms = 0;
  std::uint64_t worst_converge_seed = 0;
  std::int64_t worst_transfer_ms = 0;
  std::uint64_t worst_transfer_seed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    Scenario s;
    s.seed = seed_base + i;
    s.nodes = nodes;
    s.mix = mix;
    const SimResult r = run_simulation(s);
    if (!r.ok) {
      ADD_FAILURE() << r.report;
      return;
    }
    total.events += r.stats.events;
    total.proposals_accepted += r.stats.proposals_accepted;
    total.proposals_acked += r.stats.proposals_acked;
    total.committed_entries += r.stats.committed_entries;
    total.leader_terms += r.stats.leader_terms;
    total.crashes += r.stats.crashes;
    total.partitions += r.stats.partitions;
    total.fsync_failures += r.stats.fsync_failures;
    total.transfer_attempts += r.stats.transfer_attempts;
    if (r.stats.transfer_ms > worst_transfer_ms) {
      worst_transfer_ms = r.stats.transfer_ms;
      worst_transfer_seed = s.seed;
    }
    if (r.stats.converge_ms > worst_converge_ms) {
      worst_converge_ms = r.stats.converge_ms;
      worst_converge_seed = s.seed;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "%llu seeds (%d nodes, %s) in %.2f s: %llu events, %llu leader terms, %llu crashes, %llu partitions, "
      "%llu failed fsyncs, %llu proposals accepted, %llu acknowledged, %llu entries committed, worst convergence "
      "after heal %lld ms (seed %llu), transfers under load: %llu requests, worst %lld ms (seed %llu)\n",
      static_cast<unsigned long long>(count), nodes, to_string(mix), seconds,
      static_cast<unsigned long long>(total.events), static_cast<unsigned long long>(total.leader_terms),
      static_cast<unsigned long long>(total.crashes), static_cast<unsigned long long>(total.partitions),
      static_cast<unsigned long long>(total.fsync_failures), static_cast<unsigned long long>(total.proposals_accepted),
      static_cast<unsigned long long>(total.proposals_acked),
      static_cast<unsigned long long>(total.committed_entries), static_cast<long long>(worst_converge_ms),
      static_cast<unsigned long long>(worst_converge_seed), static_cast<unsigned long long>(total.transfer_attempts),
      static_cast<long long>(worst_transfer_ms), static_cast<unsigned long long>(worst_transfer_seed));
  EXPECT_GT(total.proposals_acked, 0u);
}

TEST(Sim, Nodes3_Lossy) { run_seeds(3, FaultMix::kLossy, 1'000'000); }
TEST(Sim, Nodes3_Partitions) { run_seeds(3, FaultMix::kPartitions, 2'000'000); }
TEST(Sim, Nodes3_Crashes) { run_seeds(3, FaultMix::kCrashes, 3'000'000); }
TEST(Sim, Nodes3_All) { run_seeds(3, FaultMix::kAll, 4'000'000); }
TEST(Sim, Nodes5_Lossy) { run_seeds(5, FaultMix::kLossy, 5'000'000); }
TEST(Sim, Nodes5_Partitions) { run_seeds(5, FaultMix::kPartitions, 6'000'000); }
TEST(Sim, Nodes5_Crashes) { run_seeds(5, FaultMix::kCrashes, 7'000'000); }
TEST(Sim, Nodes5_All) { run_seeds(5, FaultMix::kAll, 8'000'000); }
TEST(Sim, Nodes3_Pauses) { run_seeds(3, FaultMix::kPauses, 11'000'000); }
TEST(Sim, Nodes5_Pauses) { run_seeds(5, FaultMix::kPauses, 12'000'000); }
// Groups of other sizes: one node (commits alone), two (both needed), four (an even group: three needed).
TEST(Sim, Nodes1_All) { run_seeds(1, FaultMix::kAll, 13'000'000); }
TEST(Sim, Nodes2_All) { run_seeds(2, FaultMix::kAll, 14'000'000); }
TEST(Sim, Nodes4_All) { run_seeds(4, FaultMix::kAll, 15'000'000); }

// The broken builds: some seed within the suite's seed count must find a safety violation.
void expect_bites(Scenario base, std::uint64_t seed_base) {
  const std::uint64_t limit = env_u64("RMQ_SIM_SEEDS", 250) * 8;
  for (std::uint64_t i = 0; i < limit; ++i) {
    Scenario s = base;
    s.seed = seed_base + i;
    const SimResult r = run_simulation(s);
    if (!r.ok && r.violation.rfind("liveness", 0) != 0) {
      std::printf("found after %llu seeds (the report a real bug would print):\n%s",
                  static_cast<unsigned long long>(i + 1), r.report.c_str());
      return;
    }
  }
  ADD_FAILURE() << "no safety violation in " << limit << " seeds of " << base.describe()
                << ": the simulator does not catch this bug";
}

TEST(Sim, Bites_UnsafeCountPreviousTermReplicas) {
  Scenario s;
  s.nodes = 3;
  s.mix = FaultMix::kAll;
  s.unsafe_count_previous_term_replicas = true;
  expect_bites(s, 9'000'000);
}

TEST(Sim, Bites_UnsafeVoteBeforePersist) {
  Scenario s;
  s.nodes = 3;
  s.mix = FaultMix::kCrashes;
  s.unsafe_vote_before_persist = true;
  expect_bites(s, 10'000'000);
}

// The leader's appends go out before its own write (Batch::messages_before_persist); if it also counted its
// own unwritten entries, an entry could commit on one durable copy plus the leader's lost one.
TEST(Sim, Bites_UnsafeLeaderCountsUnwritten) {
  Scenario s;
  s.nodes = 3;
  s.mix = FaultMix::kCrashes;
  s.unsafe_leader_counts_unwritten = true;
  expect_bites(s, 16'000'000);
}

TEST(Sim, Replay) {
  std::string error;
  const std::optional<Scenario> s = Scenario::from_environment(&error);
  if (!error.empty()) FAIL() << error;
  if (!s) GTEST_SKIP() << "set RMQ_SIM_SEED (and RMQ_SIM_NODES, RMQ_SIM_MIX, RMQ_SIM_UNSAFE) to replay a run";
  const SimResult r = run_simulation(*s, /*verbose=*/true);
  if (!r.ok) FAIL() << r.report;
  std::printf(
      "%s: ok, %lld ms simulated, %llu events, %llu acknowledged proposals, converged %lld ms after heal, "
      "transfer under load in %lld ms\n",
      s->describe().c_str(), static_cast<long long>(r.stats.sim_time_ms), static_cast<unsigned long long>(r.stats.events),
      static_cast<unsigned long long>(r.stats.proposals_acked), static_cast<long long>(r.stats.converge_ms),
      static_cast<long long>(r.stats.transfer_ms));
}

TEST(Sim, Soak) {
  if (env_u64("RMQ_SIM_SOAK", 0) != 1) GTEST_SKIP() << "set RMQ_SIM_SOAK=1 to run seeds until stopped";
  const FaultMix mixes[] = {FaultMix::kLossy, FaultMix::kPartitions, FaultMix::kCrashes, FaultMix::kAll,
                            FaultMix::kPauses};
  const std::uint64_t first = env_u64("RMQ_SIM_SEED_START", 100'000'000);
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t seed = first;; ++seed) {
    Scenario s;
    s.seed = seed;
    s.nodes = static_cast<int>(1 + (seed / 5) % 5);
    s.mix = mixes[seed % 5];
    const SimResult r = run_simulation(s);
    if (!r.ok) FAIL() << r.report;
    if ((seed - first + 1) % 1000 == 0) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("soak: %llu seeds ok (%llu..%llu) in %.0f s\n", static_cast<unsigned long long>(seed - first + 1),
                  static_cast<unsigned long long>(first), static_cast<unsigned long long>(seed), seconds);
      std::fflush(stdout);
    }
  }
}

}  // namespace
}  // namespace rmq::raft::sim
