// What the group benchmarks (`rmq-bench failover`, `rmq-bench catch-up`) need to know about a running DLedger
// group from outside: its nodes (read from their broker.conf files with rmqctl's loader, ctl/node_config.h),
// which node leads now (GET_BROKER_RUNTIME_INFO, dLegerRole), a node's pid (the pid file `rmqctl start`
// writes), the id-0 address the name server holds for the group (GET_BROKER_CLUSTER_INFO), and restarting a
// node through `rmqctl start --node` so the benchmark launches brokers exactly as an operator does.
//
// Nothing here kills or stops anything; the benchmarks do that themselves, visibly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ctl/broker_query.h"
#include "ctl/node_config.h"

namespace rmq::bench {

struct GroupNodes {
  std::vector<ctl::NodeConfig> nodes;
  std::vector<std::filesystem::path> conf_paths;
  std::string group_name;  // brokerName of every node
  std::string namesrv;     // the first name server address

  // Loads --conf-dir or the -c list (exactly one of them non-empty); throws common::ConfigError.
  static GroupNodes load(const std::string& conf_dir, const std::vector<std::string>& confs,
                         const std::string& namesrv_override);

  std::vector<std::string> addresses() const;
  const ctl::NodeConfig& node(const std::string& node_id) const;  // std::out_of_range if unknown
};

struct NodeState {
  bool reachable = false;
  std::string role;  // LEADER, FOLLOWER, CANDIDATE
  std::optional<std::int64_t> ledger_end_index;
  std::optional<std::int64_t> committed_index;
  std::optional<std::int64_t> max_physical_offset;
};

NodeState query_node(ctl::GroupQuery& query, const ctl::NodeConfig& node);

// The node that answers dLegerRole=LEADER, or nullopt when none does (or more than one: a transition).
std::optional<std::string> find_leader(ctl::GroupQuery& query, const GroupNodes& group);

// The live pid of a node from its pid file (checked in /proc), or nullopt.
std::optional<int> node_pid(const ctl::NodeConfig& node);

// The address the name server lists as brokerId 0 of `group_name`, "" when none (or on no answer).
std::string registered_master(ctl::GroupQuery& query, const std::string& namesrv, const std::string& group_name);

// Runs argv[0] (a path) with stdin from /dev/null and stdout and stderr appended to `log`; waits for it and
// returns its exit status (128 + signal when killed, 127 when it could not be run).
int run_logged(std::vector<std::string> args, const std::filesystem::path& log);

// Runs `rmqctl start <confs> --node ID --wait wait_s` quietly (its output appended to `log`); returns its exit
// status (127 when it could not be run).
int rmqctl_start_node(const std::filesystem::path& rmqctl, const GroupNodes& group, const std::string& node_id,
                      double wait_s, const std::filesystem::path& log);

// The rmqctl beside this executable.
std::filesystem::path default_rmqctl_path();

}  // namespace rmq::bench
