#include "ctl/group_restart.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "broker/common/exit_code.h"
#include "ctl/group_stop.h"

namespace rmq::ctl {

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", s);
  return text;
}

struct Step {
  const std::vector<NodeConfig>& nodes;
  const RestartOptions& options;
  RestartResult& result;

  void say(const std::string& line) {
    result.messages.push_back(line);
    if (options.progress) options.progress(line);
  }

  StartOptions start_options(const std::string& node_id) const {
    StartOptions s;
    s.broker_bin = options.broker_bin;
    s.namesrv_bin = options.namesrv_bin;
    s.wait_ms = options.wait_ms;
    s.max_lag_entries = options.catch_up_entries;
    s.proc_root = options.proc_root;
    s.only_node = node_id;
    return s;
  }

  StopOptions stop_options(const std::string& node_id) const {
    StopOptions s;
    s.node = node_id;
    s.timeout_ms = options.stop_timeout_ms;
    s.proc_root = options.proc_root;
    s.transfer_leadership = false;  // the hand-over, when wanted, is done (and waited for) before
    s.transfer_wait_ms = options.transfer_wait_ms;
    return s;
  }

  // SIGTERM, start again, wait for the group's health. False (exit code and messages set) on any failure.
  bool restart_one(const std::string& node_id) {
    const auto began = Clock::now();
    const StopResult stopped = stop_group(nodes, stop_options(node_id));
    for (const auto& m : stopped.messages) say(m);
    if (stopped.exit_code != 0 || stopped.nodes.empty() || stopped.nodes.front().state != "stopped") {
      const std::string state = stopped.nodes.empty() ? "unknown" : stopped.nodes.front().state;
      const std::string detail = stopped.nodes.empty() ? "" : stopped.nodes.front().detail;
      say(node_id + " was not stopped (" + state + (detail.empty() ? "" : ": " + detail) +
          "); the restart ends here");
      result.exit_code = stopped.exit_code != 0 ? stopped.exit_code : common::kExitProblems;
      return false;
    }
    const StartResult started = start_group(nodes, start_options(node_id));
    for (const auto& m : started.messages) say(m);
    if (started.have_status) {
      result.have_status = true;
      result.status = started.status;
    }
    if (started.exit_code != 0) {
      say(node_id + " was restarted but the group is not healthy (caught up within " +
          std::to_string(options.catch_up_entries) + " entries) after " + std::to_string(options.wait_ms / 1000) +
          " s; the restart ends here");
      result.exit_code = started.exit_code;
      return false;
    }
    const double s = std::chrono::duration<double>(Clock::now() - began).count();
    say("restarted " + node_id + "; the group is healthy again after " + seconds_text(s) + " s");
    result.restarted.push_back(node_id);
    return true;
  }
};

const NodeConfig* find_node(const std::vector<NodeConfig>& nodes, const std::string& id) {
  for (const auto& n : nodes) {
    if (n.node_id == id) return &n;
  }
  return nullptr;
}

}  // namespace

RestartResult rolling_restart(const std::vector<NodeConfig>& nodes, const RestartOptions& options) {
  RestartResult result;
  const auto began = Clock::now();
  Step step{nodes, options, result};
  auto finish = [&]() -> RestartResult {
    result.seconds = std::chrono::duration<double>(Clock::now() - began).count();
    return result;
  };

  GroupQuery query(2000);
  StatusOptions status_options;
  status_options.namesrv = group_namesrv_addresses(nodes);
  status_options.max_lag_entries = options.catch_up_entries;
  status_options.proc_root = options.proc_root;
  GroupStatus before = collect_status(query, targets_from_configs(nodes), status_options);
  result.have_status = true;
  result.status = before;
  if (!before.healthy()) {
    for (const auto& p : before.problems) step.say("not healthy: " + p);
    step.say("the group is not healthy: nothing was restarted (rmqctl status shows why)");
    result.exit_code = common::kExitProblems;
    return finish();
  }
  result.old_leader = before.leader_id;
  const NodeConfig* leader = find_node(nodes, before.leader_id);
  if (leader == nullptr) {
    step.say("the leader " + before.leader_id + " is not one of the given nodes: nothing was restarted");
    result.exit_code = common::kExitUsage;
    return finish();
  }

  // Followers first, one at a time.
  for (const auto& node : nodes) {
    if (node.node_id == leader->node_id) continue;
    step.say("restarting follower " + node.node_id);
    if (!step.restart_one(node.node_id)) return finish();
  }

  // Then the leader: hand over, let the clients' routes follow, restart it.
  if (leader->dledger() && nodes.size() > 1) {
    std::vector<std::string> messages;
    StopOptions transfer;
    transfer.proc_root = options.proc_root;
    transfer.transfer_wait_ms = options.transfer_wait_ms;
    result.new_leader = hand_over_leadership(nodes, *leader, transfer, messages);
    for (const auto& m : messages) step.say(m);
    if (result.new_leader.empty()) {
      step.say("the leader " + leader->node_id + " did not hand over: it was not restarted (exit 1)");
      result.exit_code = common::kExitProblems;
      return finish();
    }
    if (options.route_wait_ms > 0) {
      step.say("waiting " + seconds_text(static_cast<double>(options.route_wait_ms) / 1000.0) +
               " s (--route-wait) for the clients to route to " + result.new_leader);
      std::this_thread::sleep_for(std::chrono::milliseconds(options.route_wait_ms));
    }
  }
  step.say("restarting the old leader " + leader->node_id);
  if (!step.restart_one(leader->node_id)) return finish();
  return finish();
}

}  // namespace rmq::ctl
