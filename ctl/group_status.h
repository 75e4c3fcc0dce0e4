// The state of a broker group as `rmqctl status` (and the end of `rmqctl start`) reports it: one row per
// node, read from each node over the remoting protocol (GET_BROKER_RUNTIME_INFO; the DLedger fields the
// broker adds in DLedger mode are listed in man/rmqctl.1), plus what the name server has registered.
//
// Healthy means all of:
//   - every node answers;
//   - there is exactly one leader: in DLedger mode the node whose dLegerRole is LEADER in the highest term, in
//     plain mode the master (brokerRole ASYNC_MASTER or SYNC_MASTER);
//   - the leader is writable (its brokerRole is a master role) and, when a name server is known, registered
//     there as brokerId 0 at its address (clients can only find it so);
//   - every other node reports a follower role (DLedger FOLLOWER, plain SLAVE), none is a candidate;
//   - no follower's ledger end index is more than max_lag_entries behind the leader's (DLedger mode).
// Every rule broken is one line in `problems`; the exit code is 0 when there is none, 1 otherwise.
//
// Nothing here changes anything; the JSON form is stable (documented in man/rmqctl.1): every key is always
// present, null when unknown.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/broker_query.h"
#include "ctl/node_config.h"

namespace rmq::ctl {

struct StatusTarget {
  std::string node_id;      // may be empty when found through the name server; filled from the node's answer
  std::string address;      // host:port
  std::string broker_name;  // for the registration check
  std::optional<NodeConfig> config;  // when known: gives the pid
};

std::vector<StatusTarget> targets_from_configs(const std::vector<NodeConfig>& nodes);
// Every address the name server lists for the cluster's broker names (each brokerName, every brokerId).
std::vector<StatusTarget> targets_from_cluster(const ClusterInfo& info, const std::string& cluster);

struct NodeStatus {
  std::string node_id;
  std::string address;
  std::optional<int> pid;          // local nodes whose pid file names the proven process
  bool reachable = false;
  std::string error;               // why it is unreachable
  std::string role;                // LEADER, FOLLOWER, CANDIDATE (DLedger) or MASTER, SLAVE (plain)
  std::string broker_role;         // ASYNC_MASTER, SYNC_MASTER, SLAVE (the broker's brokerRole)
  std::optional<std::int64_t> broker_id;
  std::optional<bool> registered;  // the name server lists this address under this brokerId
  std::optional<std::int64_t> term;
  std::string leader_id;
  std::optional<std::int64_t> ledger_end_index;
  std::optional<std::int64_t> committed_index;
  std::optional<std::int64_t> dispatched_offset;   // commitLogMaxOffset - dispatchBehindBytes
  std::optional<std::int64_t> divided_offset;
  std::optional<std::int64_t> max_physical_offset;
  std::optional<std::int64_t> lag_entries;         // followers: leader's end index - this end index
  std::optional<std::int64_t> lag_bytes;           // followers: leader's max offset - this max offset
  std::optional<std::int64_t> last_contact_ms;     // leader's view of this follower, when the broker reports it
  std::optional<std::int64_t> uptime_ms;
};

struct GroupStatus {
  std::string mode;                      // "dledger" or "plain"
  std::vector<std::string> namesrv;      // addresses asked
  std::vector<NodeStatus> nodes;
  std::string leader_id;                 // empty when there is none
  std::vector<std::string> problems;
  bool healthy() const { return problems.empty(); }
};

struct StatusOptions {
  std::vector<std::string> namesrv;          // empty: no registration check
  std::int64_t max_lag_entries = 10000;
  std::filesystem::path proc_root = "/proc";
};

// What was asked and heard, before any rule is applied.
struct NodeAnswer {
  StatusTarget target;
  std::optional<RuntimeInfo> info;  // empty: unreachable
  std::string error;
  std::optional<int> pid;
};
struct NamesrvAnswer {
  bool asked = false;                 // a name server address was known
  std::optional<ClusterInfo> cluster; // empty: none answered
  std::string error;
};

// Asks every node and the name server, then evaluate_status(). A target with a config is asked with that
// node's accessKey/secretKey (brokers with aclEnable=true refuse unsigned requests); `query` keeps them for its
// later requests to that address (stop's and restart's hand-over).
GroupStatus collect_status(GroupQuery& query, const std::vector<StatusTarget>& targets, const StatusOptions& options);
// The rules above, applied to answers (no I/O: unit tests feed it hand-written answers).
GroupStatus evaluate_status(const std::vector<NodeAnswer>& answers, const NamesrvAnswer& namesrv,
                            const StatusOptions& options);

std::string render_status_text(const GroupStatus& status);
nlohmann::json status_to_json(const GroupStatus& status);

}  // namespace rmq::ctl
