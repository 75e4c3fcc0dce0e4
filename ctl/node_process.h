// Which process runs a node, on this host, and how sure rmqctl is of it.
//
// Two questions with different standards of proof:
// - "Is the node running?" (start refuses, exit 4): any evidence counts: the pid file names a live rmq-broker
//   with that config, any rmq-broker or Java BrokerStartup runs with that config, or some process holds the
//   store's `lock` (a broker started by hand or under another name).
// - "Which pid may be signalled?" (stop): only a process proven to be that broker: the pid in the node's pid
//   file, alive (not a zombie), argv[0] named rmq-broker and its -c naming the same file as the node's config
//   (device and inode). A broker started without rmqctl has no pid file and is reported, never signalled.
// The name server rmqctl launches is proven the same way: pid file, argv[0] rmq-namesrv, --listen-port PORT.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ctl/node_config.h"
#include "ctl/process_brokers.h"
#include "ctl/process_table.h"

namespace rmq::ctl {

inline constexpr const char* kDefaultProcRoot = "/proc";

std::optional<ProcessInfo> proven_broker_process(const std::filesystem::path& proc_root, const NodeConfig& node);

// Everything that shows the node running (empty when it is not); `reason` says what was seen.
std::vector<FoundBroker> node_running_evidence(const std::filesystem::path& proc_root, const NodeConfig& node);

// Where rmqctl keeps the name server it launched for a group: <first node's storePathRootDir>/namesrv/.
std::filesystem::path namesrv_dir(const NodeConfig& first_node);
inline std::filesystem::path namesrv_pid_path(const std::filesystem::path& dir) { return dir / "rmq-namesrv.pid"; }
inline std::filesystem::path namesrv_log_path(const std::filesystem::path& dir) { return dir / "rmq-namesrv.log"; }

std::optional<ProcessInfo> proven_namesrv_process(const std::filesystem::path& proc_root,
                                                  const std::filesystem::path& dir, std::uint16_t port);

}  // namespace rmq::ctl
