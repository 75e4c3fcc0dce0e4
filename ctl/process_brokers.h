// Finds the old brokers that use a given config or store, on this host.
//
// Three ways a broker is recognised, any one suffices:
//   1. a Java process (argv[0] names java, as `mqshutdown` requires) running
//      org.apache.rocketmq.broker.BrokerStartup whose `-c`/`--configFile` names the config file;
//   2. an `rmq-broker` process whose `-c` names the config file;
//   3. a process holding the store's `lock` file (process_locks.h), whatever its command line.
// A relative `-c` is resolved against the process's cwd; files are compared by device and inode, so a
// symlinked or differently spelled path still matches. Unlike `mqshutdown broker`, which signals every
// broker on the host, only the brokers of these stores are found: a host often runs several.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ctl/process_table.h"

namespace rmq::ctl {

struct BrokerTarget {
  std::string role;                     // "master", "slave": for messages
  std::filesystem::path config_path;    // the broker.conf the operator gave
  std::filesystem::path store_root;     // storePathRootDir; its `lock` file identifies a running broker
};

struct FoundBroker {
  ProcessInfo process;
  std::string role;    // the target it matched
  std::string reason;  // "runs BrokerStartup -c /etc/broker-a.conf", "holds /store/lock"
};

inline constexpr const char* kBrokerStartupClass = "org.apache.rocketmq.broker.BrokerStartup";

// The config file a broker command line names, resolved against cwd; empty when argv is not a broker's.
std::filesystem::path broker_config_argument(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

// True when `process` is an rmq-broker (argv[0] named so) whose -c names `config_path` (same device and inode):
// the proof `rmqctl stop` needs before it signals a pid read from a pid file.
bool runs_rmq_broker_with_config(const ProcessInfo& process, const std::filesystem::path& config_path);

// Every process that is one of the targets' brokers, each listed once (the first target it matched).
std::vector<FoundBroker> find_brokers(const std::filesystem::path& proc_root, const std::vector<BrokerTarget>& targets);

}  // namespace rmq::ctl
