// `rmqctl restart --rolling`: restart every broker of a running group, one at a time, without losing the
// group's availability (issue 11).
//
// Order (DLedger mode):
//   1. the group must be healthy first (group_status.h), else nothing is touched (exit 1);
//   2. each follower, one at a time: SIGTERM it (group_stop.h, proven by pid file and command line), start it
//      again (group_start.h --node) and wait until the whole group is healthy again, which includes its ledger
//      end index being within catch_up_entries of the leader's; only then the next one;
//   3. the leader: hand leadership over to the follower furthest ahead (DLEDGER_TRANSFER_LEADERSHIP, code
//      52200) and wait until it leads and is writable; then wait route_wait_ms (default 30 s, the clients'
//      route refresh interval) so that producers learn the new leader from the name server (in the meantime
//      the old leader, now a follower, forwards their sends: send_forwarder.h); then SIGTERM the old leader,
//      start it again and wait for the group's health.
// If the hand-over does not complete, the old leader is left running and the restart ends with exit 1 (a
// restart never turns into a failover). In plain mode (master/slave) the slaves go first and the master last,
// with no hand-over (a master/slave pair has none): its producers see the master's restart.
//
// Exit codes as `rmqctl start`: 0 every node restarted and the group healthy; 1 not healthy before, a node
// not healthy in time after its restart, or the hand-over failed; 2 usage/config; 4 a node rmqctl cannot
// prove is that broker (not signalled). A crash of rmqctl part-way leaves a group whose nodes each run (or
// one that was just stopped: `rmqctl start --node` starts it); nothing is journaled.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ctl/group_start.h"
#include "ctl/group_status.h"
#include "ctl/node_config.h"

namespace rmq::ctl {

struct RestartOptions {
  std::filesystem::path broker_bin;
  std::filesystem::path namesrv_bin;
  std::int64_t wait_ms = 60000;          // --wait: per node, for the group's health after its restart
  std::int64_t catch_up_entries = 100;   // --catch-up: a restarted follower's allowed lag (entries)
  std::int64_t route_wait_ms = 30000;    // --route-wait: after the hand-over, before the old leader stops
  std::int64_t stop_timeout_ms = 60000;  // --timeout: per node, for its exit after SIGTERM
  std::int64_t transfer_wait_ms = 10000;
  std::filesystem::path proc_root = "/proc";
  // One line per step as it happens (stderr); may be empty.
  std::function<void(const std::string&)> progress;
};

struct RestartResult {
  int exit_code = 0;
  std::vector<std::string> messages;
  std::vector<std::string> restarted;  // node ids, in the order they were restarted
  std::string old_leader;
  std::string new_leader;              // after the hand-over ("" when none happened)
  bool have_status = false;
  GroupStatus status;                  // the last status seen
  double seconds = 0;                  // the whole restart
};

RestartResult rolling_restart(const std::vector<NodeConfig>& nodes, const RestartOptions& options);

}  // namespace rmq::ctl
