// The faults and their seeded schedule.
//
// A schedule is a list of cycles, each one fault kind, drawn from a std::mt19937_64 seeded with the run's seed:
// the kinds of the run in blocks, each block a seeded permutation of all of them (so a short run injects each
// kind once and a soak injects them in equal numbers). Inside a cycle the same generator picks the victims
// among the roles of the moment (the leader, a follower) and the durations. Replaying a seed replays the
// sequence of kinds, durations and role choices; which node is leader at a given moment depends on timing,
// so a replay is the same attack, not the same execution.
//
// One cycle = inject, hold, undo (restart, SIGCONT, heal), then the caller waits until the group is healthy
// again (FaultGroup::wait_healthy) before the next: every fault starts from a group of three that holds every
// acknowledged message on every node, so no fault ever legitimately loses one (SIGKILL keeps the page cache;
// nothing here simulates power loss).
#pragma once

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/fault_group.h"
#include "tests/fault/history_checker.h"

namespace rmq::fault {

enum class FaultKind {
  kKillLeader,       // SIGKILL the leader, restart it after the hold
  kKillFollower,     // SIGKILL a follower, restart it
  kKillTwo,          // SIGKILL two nodes at once (the group has no majority), restart both
  kPauseLeader,      // SIGSTOP the leader for 2-4 election timeouts, SIGCONT
  kAbortRestart,     // clean stop (SIGTERM) of a node, an `abort` file left in its store root, start
  kPartitionLeader,  // the leader cut from both followers
  kPartitionHalves,  // a random node cut from the two others (a leader or a follower)
  kPartitionBridge,  // only the link leader <-> one follower cut (the third node still sees both)
  kPartitionOneWay,  // the leader can no longer send to the followers (they still reach it)
  kPartitionFlap,    // links cut and healed at random every 200-700 ms for a few seconds
  kDiskFullFollower, // a follower's store file system (its own tmpfs) filled to the last block, then freed
};

inline const char* name_of(FaultKind k) {
  switch (k) {
    case FaultKind::kKillLeader: return "kill-leader";
    case FaultKind::kKillFollower: return "kill-follower";
    case FaultKind::kKillTwo: return "kill-two";
    case FaultKind::kPauseLeader: return "pause-leader";
    case FaultKind::kAbortRestart: return "abort-restart";
    case FaultKind::kPartitionLeader: return "partition-leader";
    case FaultKind::kPartitionHalves: return "partition-halves";
    case FaultKind::kPartitionBridge: return "partition-bridge";
    case FaultKind::kPartitionOneWay: return "partition-one-way";
    case FaultKind::kPartitionFlap: return "partition-flap";
    case FaultKind::kDiskFullFollower: return "disk-full-follower";
  }
  return "?";
}

inline bool needs_network(FaultKind k) {
  return k == FaultKind::kPartitionLeader || k == FaultKind::kPartitionHalves || k == FaultKind::kPartitionBridge ||
         k == FaultKind::kPartitionOneWay || k == FaultKind::kPartitionFlap;
}

inline const std::vector<FaultKind>& process_faults() {
  static const std::vector<FaultKind> kinds{FaultKind::kKillLeader, FaultKind::kKillFollower, FaultKind::kKillTwo,
                                            FaultKind::kPauseLeader, FaultKind::kAbortRestart};
  return kinds;
}
inline const std::vector<FaultKind>& network_faults() {
  static const std::vector<FaultKind> kinds{FaultKind::kPartitionLeader, FaultKind::kPartitionHalves,
                                            FaultKind::kPartitionBridge, FaultKind::kPartitionOneWay,
                                            FaultKind::kPartitionFlap};
  return kinds;
}

inline std::vector<FaultKind> make_schedule(std::mt19937_64& rng, std::vector<FaultKind> kinds, int cycles) {
  std::vector<FaultKind> out;
  while (static_cast<int>(out.size()) < cycles) {
    std::shuffle(kinds.begin(), kinds.end(), rng);
    for (auto k : kinds) {
      if (static_cast<int>(out.size()) < cycles) out.push_back(k);
    }
  }
  return out;
}

class FaultInjector {
 public:
  FaultInjector(FaultGroup& group, std::mt19937_64& rng) : group_(group), rng_(rng) {}

  const std::vector<PauseWindow>& pauses() const { return pauses_; }
  // Disk-full victims that had to be restarted to rejoin the group.
  int fail_stopped() const { return fail_stopped_; }

  // Injects `kind`, holds it, undoes it. Returns a one-line description; *why is set (and false returned
  // through `ok`) when the fault could not be injected or undone (no leader to attack, a node that does not
  // start again).
  std::string inject(FaultKind kind, bool* ok, std::string* why) {
    *ok = true;
    const bool wants_leader = kind == FaultKind::kKillLeader || kind == FaultKind::kKillFollower ||
                              kind == FaultKind::kPauseLeader || kind == FaultKind::kDiskFullFollower ||
                              needs_network(kind);
    int leader = -1;
    if (wants_leader) {
      const auto deadline = Clock::now() + std::chrono::seconds(20);
      while ((leader = group_.leader()) < 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (leader < 0) {
        *ok = false;
        *why = std::string(name_of(kind)) + ": no leader within 20 s";
        return name_of(kind);
      }
    }
    const int follower = leader < 0 ? -1 : (leader + 1 + static_cast<int>(rng_() % 2)) % kNodes;
    const int any = static_cast<int>(rng_() % kNodes);
    auto* lab = group_.lab();
    std::string text = name_of(kind);
    switch (kind) {
      case FaultKind::kKillLeader:
      case FaultKind::kKillFollower: {
        const int victim = kind == FaultKind::kKillLeader ? leader : follower;
        const auto down_ms = hold(300, 2500);
        group_.kill(victim);
        sleep_ms(down_ms);
        restart(victim, ok, why);
        text += " n" + std::to_string(victim) + " down " + std::to_string(down_ms) + " ms";
        break;
      }
      case FaultKind::kKillTwo: {
        const int other = (any + 1 + static_cast<int>(rng_() % 2)) % kNodes;
        const auto down_ms = hold(300, 2500);
        group_.kill_together({any, other});
        sleep_ms(down_ms);
        restart(any, ok, why);
        restart(other, ok, why);
        text += " n" + std::to_string(any) + "+n" + std::to_string(other) + " down " + std::to_string(down_ms) + " ms";
        break;
      }
      case FaultKind::kPauseLeader: {
        const auto paused_ms = hold(2 * kElectionTimeoutMs, 4 * kElectionTimeoutMs);
        group_.pause(leader);
        sleep_ms(paused_ms);
        group_.resume(leader);
        pauses_.push_back({leader, Clock::now()});
        text += " n" + std::to_string(leader) + " stopped " + std::to_string(paused_ms) + " ms";
        break;
      }
      case FaultKind::kAbortRestart: {
        const int code = group_.stop(any);
        if (code != 0) {
          *ok = false;
          *why = "n" + std::to_string(any) + " exited " + std::to_string(code) + " on SIGTERM";
        }
        std::ofstream(group_.store_root(any) / "abort").put('\0');
        restart(any, ok, why);
        text += " n" + std::to_string(any);
        break;
      }
      case FaultKind::kPartitionLeader:
      case FaultKind::kPartitionHalves: {
        const int alone = kind == FaultKind::kPartitionLeader ? leader : any;
        const auto cut_ms = hold(1500, 4000);
        lab->isolate(alone);
        sleep_ms(cut_ms);
        lab->heal_all();
        text += " n" + std::to_string(alone) + (alone == leader ? " (leader)" : "") + " alone " +
                std::to_string(cut_ms) + " ms";
        break;
      }
      case FaultKind::kPartitionBridge: {
        const auto cut_ms = hold(1500, 4000);
        lab->cut(leader, follower);
        sleep_ms(cut_ms);
        lab->heal_all();
        text += " n" + std::to_string(leader) + "<->n" + std::to_string(follower) + " cut " + std::to_string(cut_ms) + " ms";
        break;
      }
      case FaultKind::kPartitionOneWay: {
        const auto cut_ms = hold(1500, 4000);
        for (int i = 0; i < kNodes; ++i) {
          if (i != leader) lab->cut_one_way(leader, i);
        }
        sleep_ms(cut_ms);
        lab->heal_all();
        text += " n" + std::to_string(leader) + "-> followers cut " + std::to_string(cut_ms) + " ms";
        break;
      }
      case FaultKind::kDiskFullFollower: {
        const auto full_ms = hold(1500, 4000);
        const std::uint64_t taken = group_.fill_disk(follower);
        sleep_ms(full_ms);
        group_.free_disk(follower);
        text += " n" + std::to_string(follower) + " (" + std::to_string(taken >> 20) + " MiB filler) for " +
                std::to_string(full_ms) + " ms";
        // A full disk is bad input (DESIGN.md 4.7): a clear error, never a crash. A node that died of it is
        // reported and started again, so the run goes on to check what the others did meanwhile.
        if (!group_.running(follower)) {
          *ok = false;
          *why = "n" + std::to_string(follower) + " exited (status " + std::to_string(group_.exit_code(follower)) +
                 ") while its disk was full";
          text += ", and it EXITED";
          restart(follower, ok, why);
          *ok = false;
          break;
        }
        // A node whose write failed stops taking part in the group until it is restarted (the runtime's
        // fail-stop on a store I/O error: "restart it to recover"); give it a moment to show it is still in
        // (caught up with the leader), else restart it as its log asks an operator to.
        if (!caught_up(follower, std::chrono::seconds(5))) {
          ++fail_stopped_;
          text += "; it stopped taking part (store write failed), restarted";
          group_.stop(follower);
          restart(follower, ok, why);
        }
        break;
      }
      case FaultKind::kPartitionFlap: {
        const auto total_ms = hold(2500, 5000);
        const auto end = Clock::now() + std::chrono::milliseconds(total_ms);
        int flips = 0;
        while (Clock::now() < end) {
          lab->heal_all();
          const auto r = rng_() % 10;
          const int a = static_cast<int>(rng_() % kNodes);
          const int b = (a + 1 + static_cast<int>(rng_() % 2)) % kNodes;
          if (r < 4) {
            lab->isolate(a);
          } else if (r < 7) {
            lab->cut(a, b);
          } else if (r < 9) {
            lab->cut_one_way(a, b);
          }
          ++flips;
          sleep_ms(hold(200, 700));
        }
        lab->heal_all();
        text += " " + std::to_string(flips) + " flips in " + std::to_string(total_ms) + " ms";
        break;
      }
    }
    return text;
  }

 private:
  std::int64_t hold(std::int64_t min_ms, std::int64_t max_ms) {
    return min_ms + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(max_ms - min_ms + 1));
  }
  static void sleep_ms(std::int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
  void restart(int i, bool* ok, std::string* why) {
    std::string w;
    if (!group_.start(i, &w)) {
      *ok = false;
      *why += w;
    }
  }

  // Node i's ledger end and committed index reach the leader's committed index within `timeout`.
  bool caught_up(int i, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      const int l = group_.leader();
      auto lr = l < 0 ? std::nullopt : group_.admin().raft(l);
      auto r = group_.admin().raft(i);
      if (lr && r && r->end_index >= lr->committed_index && r->committed_index >= lr->committed_index - 1000 &&
          r->end_index > 0) {
        // Moving with the leader (within a batch of it), not stuck where the disk filled up.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        auto again = group_.admin().raft(i);
        if (again && again->end_index > r->end_index) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  FaultGroup& group_;
  std::mt19937_64& rng_;
  int fail_stopped_ = 0;
  std::vector<PauseWindow> pauses_;
};

}  // namespace rmq::fault
