#include "ctl/group_stop.h"

#include <chrono>
#include <thread>

#include "broker/common/exit_code.h"
#include "ctl/group_status.h"
#include "ctl/node_process.h"
#include "ctl/pid_file.h"
#include "ctl/process_stop.h"

namespace rmq::ctl {

namespace {

bool writable(const NodeStatus& n) { return n.broker_role == "ASYNC_MASTER" || n.broker_role == "SYNC_MASTER"; }

}  // namespace

std::string hand_over_leadership(const std::vector<NodeConfig>& nodes, const NodeConfig& leaving,
                                 const StopOptions& options, std::vector<std::string>& messages) {
  GroupQuery query(2000);
  StatusOptions status_options;
  status_options.proc_root = options.proc_root;
  const auto targets = targets_from_configs(nodes);
  GroupStatus status = collect_status(query, targets, status_options);
  if (status.leader_id != leaving.node_id) return "";
  const NodeStatus* best = nullptr;
  for (const auto& n : status.nodes) {
    if (!n.reachable || n.role != "FOLLOWER" || !n.ledger_end_index) continue;
    if (best == nullptr || *n.ledger_end_index > *best->ledger_end_index) best = &n;
  }
  if (best == nullptr) {
    messages.push_back(leaving.node_id + " leads and no follower answers: stopping it without a hand-over");
    return "";
  }
  const std::string target = best->node_id;
  const auto asked = query.transfer_leadership(leaving.address(), target);
  if (!asked.value) {
    messages.push_back(leaving.node_id + " leads; it refused to hand over to " + target + " (" + asked.error +
                       "): stopping it anyway, the group elects a new leader");
    return "";
  }
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(options.transfer_wait_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    status = collect_status(query, targets, status_options);
    for (const auto& n : status.nodes) {
      if (n.node_id == status.leader_id && n.node_id != leaving.node_id && writable(n)) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        messages.push_back("leadership handed over from " + leaving.node_id + " to " + n.node_id + " in " +
                           std::to_string(static_cast<int>(s * 1000)) + " ms");
        return n.node_id;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  messages.push_back("the hand-over from " + leaving.node_id + " to " + target + " did not complete within " +
                     std::to_string(options.transfer_wait_ms / 1000) +
                     " s: stopping it anyway, the group elects a new leader");
  return "";
}

StopResult stop_group(const std::vector<NodeConfig>& nodes, const StopOptions& options) {
  StopResult result;
  std::vector<const NodeConfig*> selected;
  for (const auto& n : nodes) {
    if (!options.node || *options.node == n.node_id) selected.push_back(&n);
  }
  if (options.node && selected.empty()) {
    std::string ids;
    for (const auto& n : nodes) ids += (ids.empty() ? "" : ", ") + n.node_id;
    result.messages.push_back("--node " + *options.node + " is not one of the nodes (" + ids + ")");
    result.exit_code = common::kExitUsage;
    return result;
  }

  if (options.node && options.transfer_leadership && selected.front()->dledger() && nodes.size() > 1 &&
      proven_broker_process(options.proc_root, *selected.front())) {
    result.transferred_to = hand_over_leadership(nodes, *selected.front(), options, result.messages);
    if (!result.transferred_to.empty() && options.route_wait_ms > 0) {
      result.messages.push_back("waiting " + std::to_string(options.route_wait_ms) +
                                " ms (--route-wait) for the clients to route to " + result.transferred_to +
                                "; meanwhile " + selected.front()->node_id + " forwards their sends");
      std::this_thread::sleep_for(std::chrono::milliseconds(options.route_wait_ms));
    }
  }

  std::vector<ProcessInfo> to_stop;
  std::vector<std::size_t> index_of;  // to_stop[i] belongs to result.nodes[index_of[i]]
  for (const NodeConfig* node : selected) {
    StopNodeOutcome outcome;
    outcome.node_id = node->node_id;
    if (auto proven = proven_broker_process(options.proc_root, *node)) {
      outcome.pid = proven->pid;
      to_stop.push_back(*proven);
      index_of.push_back(result.nodes.size());
    } else {
      const auto evidence = node_running_evidence(options.proc_root, *node);
      if (evidence.empty()) {
        outcome.state = "not running";
      } else {
        outcome.pid = evidence.front().process.pid;
        outcome.state = "not proven";
        outcome.detail = "pid " + std::to_string(evidence.front().process.pid) + " " + evidence.front().reason +
                         ", but " + node->pid_path().string() +
                         " does not name it: not signalled (stop it yourself with SIGTERM)";
        result.exit_code = common::kExitRefused;
      }
    }
    result.nodes.push_back(std::move(outcome));
  }

  // The name server rmqctl launched, when the whole group stops.
  std::optional<ProcessInfo> namesrv;
  if (!options.node && !nodes.empty()) {
    const auto addresses = nodes.front().broker.namesrv_addresses();
    if (!addresses.empty()) {
      try {
        const HostPort hp = split_host_port(addresses.front());
        namesrv = proven_namesrv_process(options.proc_root, namesrv_dir(nodes.front()), hp.port);
      } catch (const std::exception&) {
        // a malformed address cannot name a name server rmqctl started
      }
    }
  }

  const StopOutcome outcome =
      terminate_and_wait(options.proc_root, to_stop, static_cast<int>(options.timeout_ms), 100);
  result.waited_seconds = outcome.waited_seconds;
  for (std::size_t i = 0; i < to_stop.size(); ++i) {
    StopNodeOutcome& n = result.nodes[index_of[i]];
    const int pid = to_stop[i].pid;
    bool exited = false;
    for (const auto& p : outcome.exited) exited = exited || p.pid == pid;
    if (exited) {
      n.state = "stopped";
      remove_pid_file_if(selected[index_of[i]]->pid_path(), pid);
    } else {
      n.state = "still running";
      n.detail = "did not exit within " + std::to_string(options.timeout_ms / 1000) + " s (--timeout)";
      if (result.exit_code == 0) result.exit_code = common::kExitProblems;
    }
  }
  for (const auto& e : outcome.errors) result.messages.push_back(e);

  if (namesrv) {
    // Only once every broker of the group is down: the brokers flush and unregister through it.
    bool all_down = true;
    for (const auto& n : result.nodes) all_down = all_down && (n.state == "stopped" || n.state == "not running");
    if (all_down) {
      const StopOutcome ns = terminate_and_wait(options.proc_root, {*namesrv}, static_cast<int>(options.timeout_ms), 100);
      if (ns.still_running.empty()) {
        remove_pid_file_if(namesrv_pid_path(namesrv_dir(nodes.front())), namesrv->pid);
        result.messages.push_back("stopped the name server rmqctl started (pid " + std::to_string(namesrv->pid) + ")");
      } else {
        result.messages.push_back("the name server (pid " + std::to_string(namesrv->pid) + ") did not exit in time");
        if (result.exit_code == 0) result.exit_code = common::kExitProblems;
      }
    }
  }
  return result;
}

}  // namespace rmq::ctl
