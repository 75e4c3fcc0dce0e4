// The nodes `rmqctl start/stop/status` operate on, read from their broker.conf files with the broker's own
// parser (broker/server/broker_config.h), so that a config rmqctl accepts is one rmq-broker accepts and every
// default (storePathRootDir = $HOME/store, haListenPort, ...) means the same to both.
//
// A node is identified by its dLegerSelfId in DLedger mode ("n0") and by "brokerName:brokerId" otherwise.
// Where rmqctl keeps its own files for a node: beside the store, under storePathRootDir, so that one
// directory holds everything about a node and two nodes never share them:
//   <storePathRootDir>/rmq-broker.log   stdout and stderr of the detached broker (appended)
//   <storePathRootDir>/rmq-broker.pid   its pid, written by rmqctl start right after the launch
// Nothing here writes anything; a config that does not load is a common::ConfigError (exit 2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/server/broker_config.h"

namespace rmq::ctl {

inline constexpr const char* kBrokerLogName = "rmq-broker.log";
inline constexpr const char* kBrokerPidName = "rmq-broker.pid";

struct NodeConfig {
  std::filesystem::path config_path;  // absolute
  server::BrokerConfig broker;
  std::string node_id;                // "n0", or "broker-a:0" in plain mode

  std::filesystem::path store_root() const { return broker.store_path_root_dir; }
  std::filesystem::path log_path() const { return store_root() / kBrokerLogName; }
  std::filesystem::path pid_path() const { return store_root() / kBrokerPidName; }
  std::filesystem::path lock_path() const { return store_root() / "lock"; }
  // brokerIP1:listenPort: where clients, admin tools and rmqctl reach it.
  std::string address() const { return broker.store_host_address(); }
  bool dledger() const { return broker.enable_dleger_commit_log; }
};

// Loads one broker.conf; throws common::ConfigError with one line naming the file and key.
NodeConfig load_node_config(const std::filesystem::path& path);

// The `*.conf` files of `dir`, sorted by name. Throws common::ConfigError when the directory cannot be read
// or holds none.
std::vector<std::filesystem::path> conf_files_in(const std::filesystem::path& dir);

// Loads every config and checks that they can run side by side: distinct node ids, store roots and listen
// ports; in DLedger mode one dLegerGroup and one dLegerPeers string. Throws common::ConfigError (exit 2).
std::vector<NodeConfig> load_group(const std::vector<std::filesystem::path>& paths);

// The name server addresses the nodes use (the first node's namesrvAddr, split at ';'); a ConfigError when the
// nodes disagree, since they would then register in different places.
std::vector<std::string> group_namesrv_addresses(const std::vector<NodeConfig>& nodes);

// "host:port" -> (host, port); a ConfigError for anything else.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
HostPort split_host_port(const std::string& address);

// True when `host` names this machine: a loopback address, "localhost", or an address of one of its interfaces.
bool is_local_host(const std::string& host);

}  // namespace rmq::ctl
