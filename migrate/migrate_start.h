// `rmqctl migrate ... --start`: after the configure phase, start the new group as `rmqctl start` does
// (ctl/group_start.h), wait for it to be healthy, then check through the leader that every legacy queue
// continues where the old broker left it: GET_MAX_OFFSET of each (topic, queueId) equals the max offset of the
// source broker's consume queue (legacy_queue_offsets.h). Then it prints the point of no return: from the
// first new send on, the old pair lacks messages the group has.
//
// Already started (a node of the plan runs, or a node store holds a DLedger log, dledger-<id>/data): a no-op
// with one line, exit 0; the migration itself is not re-run, because its copy phases would refuse a target
// that the group has written to.
//
// Exit codes: 0 healthy and every queue matches; 1 not healthy within the wait, or a queue differs (listed);
// otherwise start_group's codes (4 a node already running but not started by this plan, 5 launch failed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ctl/group_start.h"

namespace rmq::migrate {

struct QueueComparison {
  std::string topic;
  std::int32_t queue_id = 0;
  std::int64_t legacy_max_offset = 0;
  std::int64_t leader_max_offset = -1;  // -1 when the leader did not answer
  std::string error;
  bool equal() const { return error.empty() && legacy_max_offset == leader_max_offset; }
};

struct StartPhaseResult {
  int exit_code = 0;
  bool already_started = false;
  std::vector<std::string> messages;
  ctl::StartResult start;
  std::vector<QueueComparison> queues;
};

// True when the group of these configs has started before (see above); `why` says which node shows it.
bool group_already_started(const std::vector<ctl::NodeConfig>& nodes, const std::filesystem::path& proc_root,
                           std::string* why);

StartPhaseResult run_start_phase(const std::vector<std::filesystem::path>& node_configs,
                                 const std::filesystem::path& legacy_store_root, const ctl::StartOptions& options);

}  // namespace rmq::migrate
