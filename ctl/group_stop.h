// `rmqctl stop`: SIGTERM to the brokers of a group that rmqctl can prove are those brokers, then wait.
//
// Proof (node_process.h): the node's pid file names a live process whose argv[0] is rmq-broker and whose -c
// names the node's config. A node running without such proof (started by hand, pid file missing or naming
// another process) is reported and not signalled: the exit code is then 4 (refused). SIGKILL is never sent:
// rmq-broker flushes and checkpoints on SIGTERM, a SIGKILL would leave `abort` and a recovery. A broker still
// running after --timeout is reported (exit 1); the operator decides.
//
// Stopping every node (no --node) also stops the name server rmqctl start launched for the group (its pid
// file in <first store root>/namesrv/, proven the same way), so a demo leaves nothing running.
//
// Stopping the DLedger leader alone (--node) first hands leadership to the follower that is furthest ahead
// (lag 0 when there is one) with our request DLEDGER_TRANSFER_LEADERSHIP (RocketMQ 4.x has none), and waits up
// to transfer_wait_ms until another node leads and is writable; only then the old leader gets SIGTERM, so
// producers see a planned hand-over, not a crash. If the transfer does not complete in time, the node is
// stopped anyway and the group elects a leader (a failover), which the report says. After a hand-over,
// route_wait_ms (--route-wait, default 0) passes before the SIGTERM: meanwhile the old leader, now a
// follower, forwards the sends of producers whose route still names it (send_forwarder.h), and the producers
// refresh their routes (every 30 s in ali-ons and the Java client); with --route-wait 30 they have all moved
// to the new leader before the old one closes its port, and none sees a failed send.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ctl/node_config.h"

namespace rmq::ctl {

struct StopOptions {
  std::optional<std::string> node;     // --node ID: only this one
  std::int64_t timeout_ms = 60000;
  std::filesystem::path proc_root = "/proc";
  bool transfer_leadership = true;
  std::int64_t transfer_wait_ms = 10000;
  std::int64_t route_wait_ms = 0;  // --route-wait: after a hand-over, before the SIGTERM
};

struct StopNodeOutcome {
  std::string node_id;
  std::optional<int> pid;
  std::string state;  // "stopped", "not running", "still running", "not proven"
  std::string detail;
};

struct StopResult {
  int exit_code = 0;
  std::vector<StopNodeOutcome> nodes;
  std::vector<std::string> messages;
  double waited_seconds = 0;
  std::string transferred_to;  // the node that leads after the hand-over, when one happened
};

StopResult stop_group(const std::vector<NodeConfig>& nodes, const StopOptions& options);

// The hand-over alone (what stop --node <leader> does before its SIGTERM): when `leaving` leads, asks it to
// hand over to the reachable follower furthest ahead and waits up to options.transfer_wait_ms until another
// node leads and is writable. Returns that node's id, or "" (then `messages` says why: `leaving` does not
// lead, no follower answers, the request was refused, or the wait ran out). Used by restart --rolling too.
std::string hand_over_leadership(const std::vector<NodeConfig>& nodes, const NodeConfig& leaving,
                                 const StopOptions& options, std::vector<std::string>& messages);

}  // namespace rmq::ctl
