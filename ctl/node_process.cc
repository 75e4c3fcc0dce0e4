#include "ctl/node_process.h"

#include <algorithm>

#include "ctl/pid_file.h"

namespace rmq::ctl {

namespace fs = std::filesystem;

namespace {

std::optional<ProcessInfo> live_process_from(const fs::path& proc_root, const fs::path& pid_path) {
  const auto pid = read_pid_file(pid_path);
  if (!pid) return std::nullopt;
  auto process = read_process(proc_root, *pid);
  if (!process || process->state == 'Z' || process->state == 'X') return std::nullopt;
  return process;
}

std::string basename_of(const std::string& arg) {
  const auto slash = arg.rfind('/');
  return slash == std::string::npos ? arg : arg.substr(slash + 1);
}

}  // namespace

std::optional<ProcessInfo> proven_broker_process(const fs::path& proc_root, const NodeConfig& node) {
  auto process = live_process_from(proc_root, node.pid_path());
  if (!process || !runs_rmq_broker_with_config(*process, node.config_path)) return std::nullopt;
  return process;
}

std::vector<FoundBroker> node_running_evidence(const fs::path& proc_root, const NodeConfig& node) {
  std::vector<FoundBroker> found;
  if (auto proven = proven_broker_process(proc_root, node)) {
    found.push_back({*proven, node.node_id, "its pid file names a running rmq-broker -c " + node.config_path.string()});
  }
  for (auto& f : find_brokers(proc_root, {BrokerTarget{node.node_id, node.config_path, node.store_root()}})) {
    const bool seen = std::any_of(found.begin(), found.end(), [&](const FoundBroker& x) { return x.process.pid == f.process.pid; });
    if (!seen) found.push_back(std::move(f));
  }
  return found;
}

fs::path namesrv_dir(const NodeConfig& first_node) { return first_node.store_root() / "namesrv"; }

std::optional<ProcessInfo> proven_namesrv_process(const fs::path& proc_root, const fs::path& dir, std::uint16_t port) {
  auto process = live_process_from(proc_root, namesrv_pid_path(dir));
  if (!process || process->argv.empty() || basename_of(process->argv[0]) != "rmq-namesrv") return std::nullopt;
  const auto& argv = process->argv;
  for (std::size_t i = 1; i + 1 < argv.size(); ++i) {
    if (argv[i] == "--listen-port" && argv[i + 1] == std::to_string(port)) return process;
  }
  return std::nullopt;
}

}  // namespace rmq::ctl
