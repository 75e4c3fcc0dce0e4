// `rmqctl start`: launch a group's brokers (and, when needed, its name server) detached, and wait until the
// group is healthy (group_status.h).
//
// Order and refusals (nothing is launched unless every check passes):
//   1. every config loads and the configs fit together (node_config.h load_group): otherwise exit 2;
//   2. no node is running already (node_process.h node_running_evidence: pid file, command line or store
//      lock): otherwise exit 4 naming the node and the evidence;
//   3. the name server: if one of the configs' namesrvAddr answers, it is used; if none answers and the first
//      is on this machine, rmq-namesrv is launched on its port (files in <first store root>/namesrv/); if it
//      is elsewhere, the brokers start anyway and the status says the name server does not answer;
//   4. each rmq-broker -c <config> is launched (launch.h), its pid file written at once;
//   5. poll the status every 200 ms until healthy (exit 0) or --wait passes (exit 1). A broker that exits
//      during the wait is reported with its exit code and the end of its log, and the start fails (exit 1).
// A crash of rmqctl after step 4 leaves running brokers with their pid files: `rmqctl status` and `stop` work.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ctl/group_status.h"
#include "ctl/node_config.h"

namespace rmq::ctl {

struct StartOptions {
  std::filesystem::path broker_bin;    // rmq-broker
  std::filesystem::path namesrv_bin;   // rmq-namesrv
  std::int64_t wait_ms = 60000;
  std::int64_t max_lag_entries = 10000;
  std::filesystem::path proc_root = "/proc";
  // --node ID: launch only this node (e.g. one that crashed); the others are expected to run, and the health
  // that is waited for is still the whole group's.
  std::optional<std::string> only_node;
};

struct StartResult {
  int exit_code = 0;
  std::vector<std::string> messages;  // one line each, for stderr: what was launched, refused, or failed
  bool have_status = false;
  GroupStatus status;                 // the last status seen (have_status)
  double waited_seconds = 0;
};

StartResult start_group(const std::vector<NodeConfig>& nodes, const StartOptions& options);

// The name server part of step 3, shared with `migrate --start`: returns messages; `launched_pid` is set
// when rmqctl launched one. Throws std::runtime_error when the launch fails or it does not listen in time.
std::vector<std::string> ensure_namesrv(const std::vector<NodeConfig>& nodes, const StartOptions& options,
                                        int* launched_pid);

}  // namespace rmq::ctl
