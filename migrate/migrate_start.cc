#include "migrate/migrate_start.h"

#include "broker/common/exit_code.h"
#include "ctl/broker_query.h"
#include "ctl/node_process.h"
#include "migrate/legacy_queue_offsets.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

bool group_already_started(const std::vector<ctl::NodeConfig>& nodes, const fs::path& proc_root, std::string* why) {
  for (const auto& node : nodes) {
    const auto running = ctl::node_running_evidence(proc_root, node);
    if (!running.empty()) {
      if (why) *why = "node " + node.node_id + " runs (pid " + std::to_string(running.front().process.pid) + ")";
      return true;
    }
    const fs::path data = node.store_root() / ("dledger-" + node.node_id) / "data";
    std::error_code ec;
    if (fs::is_directory(data, ec) && !fs::is_empty(data, ec)) {
      if (why) *why = "node " + node.node_id + " holds a DLedger log in " + data.string();
      return true;
    }
  }
  return false;
}

StartPhaseResult run_start_phase(const std::vector<fs::path>& node_configs, const fs::path& legacy_store_root,
                                 const ctl::StartOptions& options) {
  StartPhaseResult result;
  const std::vector<ctl::NodeConfig> nodes = ctl::load_group(node_configs);
  std::string why;
  if (group_already_started(nodes, options.proc_root, &why)) {
    result.already_started = true;
    result.messages.push_back("--start: the group has already started (" + why +
                              "); nothing to do (use rmqctl status)");
    return result;
  }
  // Read the legacy queues before the group starts: the source is never changed, but read it first anyway.
  const auto legacy = legacy_queue_max_offsets(legacy_store_root);
  result.start = ctl::start_group(nodes, options);
  for (const auto& m : result.start.messages) result.messages.push_back(m);
  result.exit_code = result.start.exit_code;
  if (result.exit_code != 0) return result;

  std::string leader_address;
  for (const auto& n : result.start.status.nodes) {
    if (n.node_id == result.start.status.leader_id) leader_address = n.address;
  }
  ctl::GroupQuery query(5000);
  int differing = 0;
  for (const auto& [key, legacy_max] : legacy) {
    QueueComparison q;
    q.topic = key.first;
    q.queue_id = key.second;
    q.legacy_max_offset = legacy_max;
    auto answer = query.max_offset(leader_address, q.topic, q.queue_id);
    if (answer.value) {
      q.leader_max_offset = *answer.value;
    } else {
      q.error = answer.error;
    }
    if (!q.equal()) {
      ++differing;
      result.messages.push_back("queue " + q.topic + "/" + std::to_string(q.queue_id) + ": legacy max offset " +
                                std::to_string(q.legacy_max_offset) + ", leader " +
                                (q.error.empty() ? std::to_string(q.leader_max_offset) : "did not answer: " + q.error));
    }
    result.queues.push_back(std::move(q));
  }
  if (differing > 0) {
    result.exit_code = common::kExitProblems;
    result.messages.push_back(std::to_string(differing) + " of " + std::to_string(legacy.size()) +
                              " legacy queues differ between the old broker and the new leader");
    return result;
  }
  result.messages.push_back("all " + std::to_string(legacy.size()) +
                            " legacy queues continue at their old max offsets on the leader " +
                            result.start.status.leader_id + " (" + leader_address + ")");
  result.messages.push_back(
      "point of no return: once clients send to the new group, the old pair no longer holds every message; until "
      "then you can stop the group (rmqctl stop) and start the old brokers again, unchanged");
  return result;
}

}  // namespace rmq::migrate
