// The fault suite (issue 13, part 1): a real rmq-namesrv and a three-node DLedger group of rmq-broker under
// load (3 producers with unique bodies, a consumer reading from every node), attacked by a seeded schedule of
// faults (fault_injector.h), then healed and checked from the definitions (history_checker.h, dledger_files.h):
// no acknowledged message lost, queues contiguous and the same on every node, no duplicate that a retry does
// not explain, no read rewritten, the DLedger data byte-identical on the three nodes up to their common
// committed index, and every store accepted by `rmqctl check-commitlog --store`.
//
//   FaultSuite.ProcessFaultsShortRun  SIGKILL of the leader / a follower / two nodes, SIGSTOP of the leader past
//                                     the election timeout, restart with an abort file; one cycle each
//                                     (loopback; runs everywhere).
//   FaultSuite.NetworkAndDiskShortRun leader isolated, random halves, a single link, one-way, flapping, and a
//                                     follower's disk full (its store on a 512 MiB tmpfs, filled, then freed);
//                                     one cycle each. Needs root and iproute2 (network namespaces, mount);
//                                     skipped otherwise.
//   FaultSuite.DISABLED_Soak          every kind the machine allows, RMQ_FAULT_CYCLES cycles (default 100).
//
// Every run prints its seed; RMQ_FAULT_SEED=<seed> replays the schedule, and every failure prints the command:
//   RMQ_FAULT_SEED=123 build/test_fault --gtest_filter=FaultSuite.ProcessFaultsShortRun
//   RMQ_FAULT_CYCLES=100 build/test_fault --gtest_also_run_disabled_tests --gtest_filter=FaultSuite.DISABLED_Soak
// Fixed finding (soak seed 7695693054524974730, cycle 75 disk-full-follower n2): a follower's pwrite that hit
// ENOSPC mid-entry left the entry torn (its last 9 bytes, from a page boundary on, zeros); the node fail-stopped,
// and on restart recovery accepted the torn entry (DLedger entries carry no CRC, 5.2), so its data differed from
// the others' below the committed index, which the byte comparison caught in about one fill in nine. Now the
// store cuts a failed write back durably before it fails (dledger_entry_store.h) and recovery's commitlog check
// sees a zero tail in the topic or properties (dledger_body_check.h); NetworkAndDiskShortRun is in the suite again.
// A failed run copies its directory (configs, logs, stores) to /tmp/rmq-fault-<seed>-<pid> for the post-mortem.
// Printed at the end: cycles, faults of each kind, messages acknowledged, lost, duplicated (retries apart),
// and the longest time without a successful send.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "tests/cli/run_process.h"
#include "tests/fault/dledger_files.h"
#include "tests/fault/fault_group.h"
#include "tests/fault/fault_injector.h"
#include "tests/fault/history_checker.h"
#include "tests/fault/workload.h"

namespace rmq::fault {
namespace {

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

struct RunConfig {
  std::string test_name;  // for the replay command
  std::vector<FaultKind> kinds;
  int cycles = 0;
  bool network = false;   // place the group in network namespaces
  std::uint64_t store_tmpfs_bytes = 0;  // each store root on a tmpfs of its own (for disk-full)
  bool cycles_from_env = false;
  int producers = 3;
};

// Everything the node serves for kTopic: per queue, offset 0 up to its max offset.
bool read_node(FaultGroup::Client& client, int node, QueueContents* out, std::string* why) {
  out->assign(kQueues, {});
  for (int q = 0; q < kQueues; ++q) {
    auto max = client.max_offset(node, q);
    if (!max) {
      *why = "n" + std::to_string(node) + " does not answer GET_MAX_OFFSET for queue " + std::to_string(q);
      return false;
    }
    std::int64_t next = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (next < *max && Clock::now() < deadline) {
      auto response = client.call(node, integration::BrokerHarness::pull_request("GID_fault_check", kTopic, q, next, 0, 32),
                                  5000);
      if (!response || response->code != rc::kSuccess) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      const auto records = integration::BrokerHarness::decode_records(response->body);
      for (const auto& r : records) {
        (*out)[q].emplace_back(r.queue_offset, std::string(r.body.begin(), r.body.end()));
        if (r.topic != kTopic || r.queue_id != q) {
          *why = "n" + std::to_string(node) + " queue " + std::to_string(q) + " served a record of " + r.topic +
                 " queue " + std::to_string(r.queue_id);
          return false;
        }
      }
      next = std::max(next, response->ext_fields.get_int64("nextBeginOffset").value_or(next));
      if (records.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (next < *max) {
      *why = "n" + std::to_string(node) + " queue " + std::to_string(q) + ": read up to " + std::to_string(next) +
             " of " + std::to_string(*max) + " within 30 s";
      return false;
    }
  }
  return true;
}

void run_fault_suite(const RunConfig& config) {
  std::random_device entropy;
  const std::uint64_t seed =
      env_u64("RMQ_FAULT_SEED", (static_cast<std::uint64_t>(entropy()) << 32) | static_cast<std::uint64_t>(entropy()));
  const int cycles = config.cycles_from_env ? static_cast<int>(env_u64("RMQ_FAULT_CYCLES", config.cycles)) : config.cycles;
  std::string replay = "RMQ_FAULT_SEED=" + std::to_string(seed) + " ";
  if (config.cycles_from_env) replay += "RMQ_FAULT_CYCLES=" + std::to_string(cycles) + " ";
  replay += std::string(RMQ_BINARY_DIR) + "/test_fault --gtest_filter=FaultSuite." + config.test_name;
  if (config.test_name.rfind("DISABLED_", 0) == 0) replay += " --gtest_also_run_disabled_tests";
  std::printf("fault suite: seed %llu, %d cycles; replay: %s\n", static_cast<unsigned long long>(seed), cycles,
              replay.c_str());
  std::fflush(stdout);
  SCOPED_TRACE("seed " + std::to_string(seed) + "; replay: " + replay);

  std::mt19937_64 rng(seed);
  const auto schedule = make_schedule(rng, config.kinds, cycles);

  std::unique_ptr<test_support::NetnsLab> lab;
  if (config.network) lab = std::make_unique<test_support::NetnsLab>(kNodes);
  FaultGroup group(lab.get(), config.store_tmpfs_bytes);
  // On the way out (also after a failed ASSERT), before the group goes: keep the evidence of a failure.
  struct KeepOnFailure {
    FaultGroup& group;
    std::uint64_t seed;
    const std::string& replay;
    ~KeepOnFailure() {
      if (!::testing::Test::HasFailure()) return;
      const std::string kept = "/tmp/rmq-fault-" + std::to_string(seed) + "-" + std::to_string(::getpid());
      group.keep_copy(kept);
      std::printf("fault suite FAILED: seed %llu; replay: %s\nlogs and stores kept in %s\n",
                  static_cast<unsigned long long>(seed), replay.c_str(), kept.c_str());
    }
  } keep_on_failure{group, seed, replay};

  std::string why;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(group.start(i, &why)) << why;
  }
  ASSERT_TRUE(group.wait_healthy(std::chrono::seconds(30), &why)) << why << "\n" << group.log_tails();
  ASSERT_EQ(group.create_topic(group.leader()), rc::kSuccess) << group.log_tails();
  // Every node knows the topic (the follower sync, every 3 s) before a failover could need it.
  for (int i = 0; i < kNodes; ++i) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    std::optional<RemotingCommand> r;
    while (Clock::now() < deadline) {
      r = group.admin().call(i, integration::BrokerHarness::pull_request("GID_fault_check", kTopic, 0, 0, 0, 1), 3000);
      if (r && r->code != rc::kTopicNotExist) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(r && r->code != rc::kTopicNotExist) << "n" << i << " never learned the topic";
  }

  const auto run_started = Clock::now();
  Workload load(group, config.producers, seed);
  {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (load.acknowledged() < 200 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_GE(load.acknowledged(), 200u) << group.log_tails();
  }

  FaultInjector injector(group, rng);
  std::map<std::string, int> injected;
  int cycles_done = 0;
  bool healthy = true;
  for (int c = 0; c < cycles && healthy; ++c) {
    const auto t0 = Clock::now();
    bool ok = true;
    std::string fault_why;
    const std::string text = injector.inject(schedule[static_cast<std::size_t>(c)], &ok, &fault_why);
    ++injected[name_of(schedule[static_cast<std::size_t>(c)])];
    const auto undone = Clock::now();
    std::string health_why;
    healthy = ok && group.wait_healthy(std::chrono::seconds(60), &health_why);
    std::printf("  cycle %d/%d at %.1f s: %s; healthy again %lld ms after the undo; %zu acknowledged so far\n", c + 1,
                cycles, ms_since(run_started, t0) / 1000.0, text.c_str(),
                static_cast<long long>(ms_since(undone)), load.acknowledged());
    std::fflush(stdout);
    EXPECT_TRUE(ok) << "cycle " << c + 1 << " (" << text << "): " << fault_why << "\n" << group.log_tails();
    EXPECT_TRUE(healthy) << "cycle " << c + 1 << " (" << text << "): the group did not become healthy within 60 s: "
                         << health_why << "\n" << group.log_tails();
    ++cycles_done;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 600));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.stop();
  const std::int64_t max_gap_ms = load.max_gap_ms();

  // Converged: every node's ledger end and committed index equal the leader's.
  int leader = -1;
  {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    bool converged = false;
    while (!converged && Clock::now() < deadline) {
      leader = group.leader();
      if (leader >= 0) {
        auto l = group.admin().raft(leader);
        converged = l.has_value() && l->end_index == l->committed_index;
        for (int i = 0; converged && i < kNodes; ++i) {
          auto r = group.admin().raft(i);
          converged = r && r->end_index == l->end_index && r->committed_index == l->committed_index;
        }
      }
      if (!converged) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(converged) << "the nodes did not converge within 60 s after the last fault\n" << group.log_tails();
  }

  std::vector<QueueContents> contents(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    // Dispatch of committed entries to the consume queues runs behind the commit index: read until stable.
    ASSERT_TRUE(read_node(group.admin(), i, &contents[static_cast<std::size_t>(i)], &why)) << why;
  }
  const CheckReport report =
      check_history(load.sent(), contents, leader, load.observed(), load.observation_conflicts(), injector.pauses());

  // Clean stop of every node, then the files.
  for (int i = 0; i < kNodes; ++i) EXPECT_EQ(group.stop(i), 0) << "n" << i << " on SIGTERM";
  std::vector<std::filesystem::path> dirs;
  for (int i = 0; i < kNodes; ++i) dirs.push_back(group.store_root(i) / ("dledger-n" + std::to_string(i)));
  const RegionComparison regions = compare_dledger_regions(dirs, kDataFileSizeBytes);
  for (const auto& p : regions.problems) ADD_FAILURE() << "DLedger store: " << p;
  for (int i = 0; i < kNodes; ++i) {
    const auto check = test_support::run_process(
        {RMQ_BINARY_DIR "/rmqctl", "check-commitlog", "--store", group.store_root(i).string()});
    EXPECT_EQ(check.exit_code, 0) << "check-commitlog --store n" << i << "\n" << check.out << check.err;
  }

  std::ostringstream kinds;
  for (const auto& [k, n] : injected) kinds << (kinds.tellp() > 0 ? ", " : "") << k << " " << n;
  std::printf("fault suite: seed %llu, %d cycles (%s) in %.1f s\n"
              "  acknowledged %zu of %zu messages sent (%zu send requests); lost %zu; duplicated %zu "
              "(unexplained); retried sends %zu, extra copies from retries %zu; unacknowledged but stored %zu, "
              "unacknowledged and absent %zu\n"
              "  served %zu messages, the same on all 3 nodes; consumer reads checked %zu; SEND_OK from a resumed "
              "paused leader %zu (lost %zu)\n"
              "  DLedger data byte-identical on 3 nodes for entries %lld..%lld (%lld bytes); longest time without a "
              "successful send %lld ms; disk-full victims restarted to rejoin %d\n",
              static_cast<unsigned long long>(seed), cycles_done, kinds.str().c_str(), ms_since(run_started) / 1000.0,
              report.acknowledged, report.sent, report.attempts, report.lost, report.duplicates_unexplained,
              report.retried_sends, report.duplicates_retried, report.unacknowledged_stored,
              report.unacknowledged_absent, report.served, load.observed().size(), report.acks_after_resume,
              report.acks_after_resume_lost, static_cast<long long>(regions.first_index),
              static_cast<long long>(regions.common_committed_index), static_cast<long long>(regions.bytes_compared),
              static_cast<long long>(max_gap_ms), injector.fail_stopped());
  EXPECT_EQ(report.lost, 0u);
  EXPECT_GT(report.acknowledged, 0u);
  for (const auto& p : report.problems) ADD_FAILURE() << p;
  if (report.problem_count > report.problems.size()) {
    ADD_FAILURE() << report.problem_count - report.problems.size() << " more problems not shown";
  }
}

TEST(FaultSuite, ProcessFaultsShortRun) {
  RunConfig config;
  config.test_name = "ProcessFaultsShortRun";
  config.kinds = process_faults();
  config.cycles = static_cast<int>(config.kinds.size());
  run_fault_suite(config);
}

// 512 MiB per node: the DLedger index file (160 MiB) and a few hundred 1 MiB data files, allocated on tmpfs.
constexpr std::uint64_t kStoreTmpfsBytes = 512ull << 20;

TEST(FaultSuite, NetworkAndDiskShortRun) {
  if (auto why = test_support::NetnsLab::unavailable_reason()) GTEST_SKIP() << *why;
  RunConfig config;
  config.test_name = "NetworkAndDiskShortRun";
  config.kinds = network_faults();
  config.kinds.push_back(FaultKind::kDiskFullFollower);
  config.cycles = static_cast<int>(config.kinds.size());
  config.network = true;
  config.store_tmpfs_bytes = kStoreTmpfsBytes;
  run_fault_suite(config);
}

TEST(FaultSuite, DISABLED_Soak) {
  RunConfig config;
  config.test_name = "DISABLED_Soak";
  config.kinds = process_faults();
  config.network = !test_support::NetnsLab::unavailable_reason().has_value();
  if (config.network) {
    for (auto k : network_faults()) config.kinds.push_back(k);
    config.kinds.push_back(FaultKind::kDiskFullFollower);
    config.store_tmpfs_bytes = kStoreTmpfsBytes;
  } else {
    std::printf("soak without partitions: %s\n", test_support::NetnsLab::unavailable_reason()->c_str());
  }
  config.cycles = 100;
  config.cycles_from_env = true;
  run_fault_suite(config);
}

}  // namespace
}  // namespace rmq::fault
