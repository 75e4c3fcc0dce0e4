#include "tools/bench/group_nodes.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "broker/common/java_properties.h"
#include "ctl/pid_file.h"

extern char** environ;

namespace rmq::bench {

GroupNodes GroupNodes::load(const std::string& conf_dir, const std::vector<std::string>& confs,
                            const std::string& namesrv_override) {
  GroupNodes g;
  if (!conf_dir.empty()) {
    g.conf_paths = ctl::conf_files_in(conf_dir);
  } else {
    for (const auto& c : confs) g.conf_paths.emplace_back(c);
  }
  g.nodes = ctl::load_group(g.conf_paths);
  if (g.nodes.empty()) throw common::ConfigError("no broker configs given");
  for (const auto& n : g.nodes) {
    if (!n.dledger()) {
      throw common::ConfigError(n.config_path.string() + ": enableDLegerCommitLog is not true (a DLedger group is needed)");
    }
  }
  g.group_name = g.nodes.front().broker.broker_name;
  if (!namesrv_override.empty()) {
    g.namesrv = namesrv_override;
  } else {
    const auto addrs = ctl::group_namesrv_addresses(g.nodes);
    if (addrs.empty()) throw common::ConfigError(g.nodes.front().config_path.string() + ": namesrvAddr is empty (or pass --namesrv)");
    g.namesrv = addrs.front();
  }
  return g;
}

std::vector<std::string> GroupNodes::addresses() const {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n.address());
  return out;
}

const ctl::NodeConfig& GroupNodes::node(const std::string& node_id) const {
  for (const auto& n : nodes) {
    if (n.node_id == node_id) return n;
  }
  throw std::out_of_range("no node " + node_id + " in the group");
}

NodeState query_node(ctl::GroupQuery& query, const ctl::NodeConfig& node) {
  NodeState s;
  const auto answer = query.runtime_info(node.address());
  if (!answer.value) return s;
  s.reachable = true;
  s.role = answer.value->get("dLegerRole").value_or("");
  s.ledger_end_index = answer.value->get_int("dLegerLedgerEndIndex");
  s.committed_index = answer.value->get_int("dLegerCommittedIndex");
  s.max_physical_offset = answer.value->get_int("commitLogMaxOffset");
  return s;
}

std::optional<std::string> find_leader(ctl::GroupQuery& query, const GroupNodes& group) {
  std::optional<std::string> leader;
  for (const auto& n : group.nodes) {
    if (query_node(query, n).role != "LEADER") continue;
    if (leader) return std::nullopt;
    leader = n.node_id;
  }
  return leader;
}

std::optional<int> node_pid(const ctl::NodeConfig& node) {
  const auto pid = ctl::read_pid_file(node.pid_path());
  if (!pid) return std::nullopt;
  std::error_code ec;
  if (!std::filesystem::exists("/proc/" + std::to_string(*pid), ec)) return std::nullopt;
  return pid;
}

std::string registered_master(ctl::GroupQuery& query, const std::string& namesrv, const std::string& group_name) {
  const auto answer = query.cluster_info(namesrv);
  if (!answer.value) return "";
  const auto broker = answer.value->broker_addrs.find(group_name);
  if (broker == answer.value->broker_addrs.end()) return "";
  const auto master = broker->second.find(0);
  return master == broker->second.end() ? "" : master->second;
}

int run_logged(std::vector<std::string> args, const std::filesystem::path& log) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int rmqctl_start_node(const std::filesystem::path& rmqctl, const GroupNodes& group, const std::string& node_id,
                      double wait_s, const std::filesystem::path& log) {
  std::vector<std::string> args = {rmqctl.string(), "start"};
  for (const auto& c : group.conf_paths) {
    args.push_back("-c");
    args.push_back(c.string());
  }
  args.insert(args.end(), {"--node", node_id, "--wait", std::to_string(wait_s)});
  return run_logged(std::move(args), log);
}

std::filesystem::path default_rmqctl_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "rmqctl";
  return self.parent_path() / "rmqctl";
}

}  // namespace rmq::bench
