#include "ctl/group_start.h"

#include <chrono>
#include <thread>

#include "broker/common/exit_code.h"
#include "ctl/launch.h"
#include "ctl/node_process.h"

namespace rmq::ctl {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<std::string> ensure_namesrv(const std::vector<NodeConfig>& nodes, const StartOptions& options,
                                        int* launched_pid) {
  std::vector<std::string> messages;
  if (launched_pid != nullptr) *launched_pid = 0;
  const auto addresses = group_namesrv_addresses(nodes);
  if (addresses.empty()) {
    messages.push_back("no namesrvAddr in the configs: the brokers will not register anywhere");
    return messages;
  }
  GroupQuery probe(1000);
  for (const auto& a : addresses) {
    if (probe.accepts(a)) {
      messages.push_back("name server " + a + " answers; using it");
      return messages;
    }
  }
  const HostPort first = split_host_port(addresses.front());
  if (!is_local_host(first.host)) {
    messages.push_back("no name server answers at " + nodes.front().broker.namesrv_addr +
                       " and it is not on this machine: start it there; the brokers start anyway");
    return messages;
  }
  const fs::path dir = namesrv_dir(nodes.front());
  LaunchSpec spec;
  spec.program = options.namesrv_bin;
  spec.args = {"--listen-port", std::to_string(first.port), "--kv-config-path", (dir / "kvConfig.json").string()};
  spec.working_dir = dir;
  spec.log_path = namesrv_log_path(dir);
  spec.pid_path = namesrv_pid_path(dir);
  const int pid = launch_detached(spec);
  if (launched_pid != nullptr) *launched_pid = pid;
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    if (auto code = launch_exit_status(pid)) {
      throw std::runtime_error("rmq-namesrv (pid " + std::to_string(pid) + ") exited with code " +
                               std::to_string(*code) + "; its log " + spec.log_path.string() + " ends with:\n" +
                               log_tail(spec.log_path, 5));
    }
    if (probe.accepts(addresses.front())) {
      messages.push_back("started rmq-namesrv on " + addresses.front() + " (pid " + std::to_string(pid) + ", log " +
                         spec.log_path.string() + ")");
      return messages;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("rmq-namesrv (pid " + std::to_string(pid) + ") does not listen on " + addresses.front() +
                           " after 15 s; see " + spec.log_path.string());
}

StartResult start_group(const std::vector<NodeConfig>& nodes, const StartOptions& options) {
  StartResult result;
  const auto started = Clock::now();
  std::vector<const NodeConfig*> selected;
  for (const auto& node : nodes) {
    if (!options.only_node || *options.only_node == node.node_id) selected.push_back(&node);
  }
  if (selected.empty()) {
    result.messages.push_back("--node " + options.only_node.value_or("") + " is not one of the nodes");
    result.exit_code = common::kExitUsage;
    return result;
  }
  // 2. Refuse running nodes before launching anything.
  for (const NodeConfig* node_ptr : selected) {
    const NodeConfig& node = *node_ptr;
    for (const auto& evidence : node_running_evidence(options.proc_root, node)) {
      result.messages.push_back("node " + node.node_id + " is already running: pid " +
                                std::to_string(evidence.process.pid) + " " + evidence.reason);
      result.exit_code = common::kExitRefused;
    }
  }
  if (result.exit_code != 0) return result;
  std::error_code ec;
  if (!fs::is_regular_file(options.broker_bin, ec)) {
    result.messages.push_back("rmq-broker not found at " + options.broker_bin.string() + " (use --broker-bin)");
    result.exit_code = common::kExitUsage;
    return result;
  }

  // 3. The name server.
  try {
    for (auto& m : ensure_namesrv(nodes, options, nullptr)) result.messages.push_back(std::move(m));
  } catch (const std::exception& e) {
    result.messages.push_back(e.what());
    result.exit_code = common::kExitProblems;
    return result;
  }

  // 4. The brokers.
  std::vector<std::pair<const NodeConfig*, int>> launched;
  for (const NodeConfig* node_ptr : selected) {
    const NodeConfig& node = *node_ptr;
    LaunchSpec spec;
    spec.program = options.broker_bin;
    spec.args = {"-c", node.config_path.string()};
    spec.working_dir = node.store_root();
    spec.log_path = node.log_path();
    spec.pid_path = node.pid_path();
    try {
      const int pid = launch_detached(spec);
      launched.emplace_back(&node, pid);
      result.messages.push_back("started node " + node.node_id + " (pid " + std::to_string(pid) + ", log " +
                                node.log_path().string() + ")");
    } catch (const std::exception& e) {
      result.messages.push_back("node " + node.node_id + ": " + e.what());
      result.exit_code = common::kExitIo;
      return result;
    }
  }

  // 5. Wait for health.
  GroupQuery query(1000);
  StatusOptions status_options;
  status_options.namesrv = group_namesrv_addresses(nodes);
  status_options.max_lag_entries = options.max_lag_entries;
  status_options.proc_root = options.proc_root;
  const auto targets = targets_from_configs(nodes);
  const auto deadline = started + std::chrono::milliseconds(options.wait_ms);
  for (;;) {
    bool someone_exited = false;
    for (auto& [node, pid] : launched) {
      if (pid <= 0) continue;
      if (auto code = launch_exit_status(pid)) {
        result.messages.push_back("node " + node->node_id + " (pid " + std::to_string(pid) + ") exited with code " +
                                  std::to_string(*code) + "; " + node->log_path().string() + " ends with:\n" +
                                  log_tail(node->log_path(), 5));
        pid = 0;
        someone_exited = true;
      }
    }
    result.status = collect_status(query, targets, status_options);
    result.have_status = true;
    if (someone_exited) {
      result.exit_code = common::kExitProblems;
      break;
    }
    if (result.status.healthy()) {
      result.exit_code = common::kExitOk;
      break;
    }
    if (Clock::now() >= deadline) {
      result.messages.push_back("the group is not healthy after " + std::to_string(options.wait_ms / 1000) +
                                " s (--wait)");
      result.exit_code = common::kExitProblems;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  result.waited_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace rmq::ctl
