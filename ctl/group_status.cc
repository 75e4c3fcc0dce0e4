#include "ctl/group_status.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "ctl/node_process.h"

namespace rmq::ctl {

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_master_role(const std::string& broker_role) {
  return broker_role == "ASYNC_MASTER" || broker_role == "SYNC_MASTER";
}

void fill_from_runtime_info(NodeStatus& n, const RuntimeInfo& info) {
  n.broker_role = info.get("brokerRole").value_or("");
  n.broker_id = info.get_int("brokerId");
  if (auto role = info.get("dLegerRole")) {
    n.role = *role;
    if (auto self = info.get("dLegerSelfId"); self && n.node_id.empty()) n.node_id = *self;
    n.term = info.get_int("dLegerTerm");
    n.leader_id = info.get("dLegerLeaderId").value_or("");
    n.ledger_end_index = info.get_int("dLegerLedgerEndIndex");
    n.committed_index = info.get_int("dLegerCommittedIndex");
    n.divided_offset = info.get_int("dividedCommitlogOffset");
  } else {
    n.role = is_master_role(n.broker_role) ? "MASTER" : "SLAVE";
  }
  if (n.node_id.empty()) {
    n.node_id = info.get("brokerName").value_or("?") + ":" + (n.broker_id ? std::to_string(*n.broker_id) : "?");
  }
  n.max_physical_offset = info.get_int("commitLogMaxOffset");
  if (auto behind = info.get_int("dispatchBehindBytes"); behind && n.max_physical_offset) {
    n.dispatched_offset = *n.max_physical_offset - *behind;
  }
  if (auto boot = info.get_int("bootTimestamp"); boot && *boot > 0) n.uptime_ms = std::max<std::int64_t>(0, wall_ms() - *boot);
}

std::string opt(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "-"; }

std::string human_duration(const std::optional<std::int64_t>& ms) {
  if (!ms) return "-";
  std::int64_t s = *ms / 1000;
  char buf[32];
  if (s < 120) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 7200) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60));
  }
  return buf;
}

template <typename T>
nlohmann::json nullable(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json nullable_string(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

}  // namespace

std::vector<StatusTarget> targets_from_configs(const std::vector<NodeConfig>& nodes) {
  std::vector<StatusTarget> out;
  for (const auto& n : nodes) out.push_back({n.node_id, n.address(), n.broker.broker_name, n});
  return out;
}

std::vector<StatusTarget> targets_from_cluster(const ClusterInfo& info, const std::string& cluster) {
  std::vector<StatusTarget> out;
  auto names = info.clusters.find(cluster);
  if (names == info.clusters.end()) return out;
  std::set<std::string> seen;
  for (const auto& name : names->second) {
    auto it = info.broker_addrs.find(name);
    if (it == info.broker_addrs.end()) continue;
    for (const auto& [id, addr] : it->second) {
      if (seen.insert(addr).second) out.push_back({"", addr, name, std::nullopt});
    }
  }
  return out;
}

GroupStatus collect_status(GroupQuery& query, const std::vector<StatusTarget>& targets, const StatusOptions& options) {
  std::vector<NodeAnswer> answers;
  for (const auto& t : targets) {
    NodeAnswer a;
    a.target = t;
    if (t.config) {
      if (auto p = proven_broker_process(options.proc_root, *t.config)) a.pid = p->pid;
      if (!t.config->broker.access_key.empty()) {
        query.set_credentials(t.address, Credentials{t.config->broker.access_key, t.config->broker.secret_key});
      }
    }
    auto answer = query.runtime_info(t.address);
    a.info = std::move(answer.value);
    a.error = std::move(answer.error);
    answers.push_back(std::move(a));
  }
  NamesrvAnswer namesrv;
  namesrv.asked = !options.namesrv.empty();
  for (const auto& addr : options.namesrv) {
    auto answer = query.cluster_info(addr);
    if (answer.value) {
      namesrv.cluster = std::move(answer.value);
      break;
    }
    namesrv.error = addr + ": " + answer.error;
  }
  return evaluate_status(answers, namesrv, options);
}

GroupStatus evaluate_status(const std::vector<NodeAnswer>& answers, const NamesrvAnswer& namesrv,
                            const StatusOptions& options) {
  GroupStatus status;
  status.namesrv = options.namesrv;
  bool dledger = false;
  std::vector<StatusTarget> targets;
  for (const auto& a : answers) {
    const StatusTarget& t = a.target;
    targets.push_back(t);
    NodeStatus n;
    n.node_id = t.node_id;
    n.address = t.address;
    n.pid = a.pid;
    if (t.config) dledger = dledger || t.config->dledger();
    if (a.info) {
      n.reachable = true;
      fill_from_runtime_info(n, *a.info);
      dledger = dledger || a.info->get("dLegerRole").has_value();
    } else {
      n.error = a.error;
      if (n.node_id.empty()) n.node_id = t.address;
      status.problems.push_back("node " + n.node_id + " (" + t.address + ") does not answer: " + a.error);
    }
    status.nodes.push_back(std::move(n));
  }
  status.mode = dledger ? "dledger" : "plain";

  // The leader: the highest-term LEADER (DLedger), or the master (plain).
  const NodeStatus* leader = nullptr;
  int leaders = 0;
  for (const auto& n : status.nodes) {
    if (!n.reachable) continue;
    const bool is_leader = dledger ? n.role == "LEADER" : n.role == "MASTER";
    if (!is_leader) continue;
    ++leaders;
    if (leader == nullptr || n.term.value_or(0) > leader->term.value_or(0)) leader = &n;
  }
  if (leader == nullptr) {
    status.problems.push_back("no leader: no node reports " + std::string(dledger ? "dLegerRole LEADER" : "a master role"));
  } else {
    status.leader_id = leader->node_id;
    if (leaders > 1) {
      for (const auto& n : status.nodes) {
        if (&n != leader && n.reachable && n.role == leader->role && n.term == leader->term) {
          status.problems.push_back("two leaders: " + leader->node_id + " and " + n.node_id);
        }
      }
    }
    if (dledger && !is_master_role(leader->broker_role)) {
      status.problems.push_back("leader " + leader->node_id + " is not writable yet (brokerRole " + leader->broker_role +
                                ": entries not yet committed and dispatched)");
    }
  }

  // Registration at the name server.
  if (namesrv.asked) {
    const std::optional<ClusterInfo>& cluster = namesrv.cluster;
    if (!cluster) {
      status.problems.push_back("name server does not answer (" + namesrv.error + ")");
    } else {
      std::map<std::string, std::string> name_of;
      for (const auto& t : targets) name_of[t.address] = t.broker_name;
      for (auto& n : status.nodes) {
        if (!n.reachable || !n.broker_id) continue;
        auto it = cluster->broker_addrs.find(name_of[n.address]);
        bool registered = false;
        if (it != cluster->broker_addrs.end()) {
          auto id = it->second.find(*n.broker_id);
          registered = id != it->second.end() && id->second == n.address;
        }
        n.registered = registered;
      }
      if (leader != nullptr) {
        auto it = cluster->broker_addrs.find(name_of[leader->address]);
        const bool as_master = it != cluster->broker_addrs.end() && it->second.count(0) != 0 &&
                               it->second.at(0) == leader->address;
        if (!as_master) {
          status.problems.push_back("leader " + leader->node_id + " (" + leader->address +
                                    ") is not registered at the name server as brokerId 0");
        }
      }
    }
  }

  // Followers: role and lag.
  for (auto& n : status.nodes) {
    if (!n.reachable || (leader != nullptr && n.node_id == leader->node_id)) continue;
    if (dledger && n.role != "FOLLOWER") {
      status.problems.push_back("node " + n.node_id + " is " + n.role + ", not FOLLOWER");
    }
    if (leader == nullptr) continue;
    if (leader->ledger_end_index && n.ledger_end_index) n.lag_entries = *leader->ledger_end_index - *n.ledger_end_index;
    if (leader->max_physical_offset && n.max_physical_offset) {
      n.lag_bytes = *leader->max_physical_offset - *n.max_physical_offset;
    }
    if (n.lag_entries && *n.lag_entries > options.max_lag_entries) {
      status.problems.push_back("follower " + n.node_id + " lags " + std::to_string(*n.lag_entries) +
                                " entries behind the leader (more than --max-lag " +
                                std::to_string(options.max_lag_entries) + ")");
    }
  }
  return status;
}

std::string render_status_text(const GroupStatus& status) {
  const std::vector<std::string> header = {"ID",     "ADDRESS",   "PID",      "ROLE",    "TERM",     "LEADER",
                                           "END",    "COMMITTED", "DISPATCHED", "DIVIDED", "MAXOFFSET", "LAG",
                                           "LAGBYTES", "REG",     "UPTIME"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : status.nodes) {
    if (!n.reachable) {
      rows.push_back({n.node_id, n.address, n.pid ? std::to_string(*n.pid) : "-", "DOWN", "-", "-", "-", "-", "-", "-",
                      "-", "-", "-", "-", "-"});
      continue;
    }
    rows.push_back({n.node_id, n.address, n.pid ? std::to_string(*n.pid) : "-", n.role, opt(n.term),
                    n.leader_id.empty() ? "-" : n.leader_id, opt(n.ledger_end_index), opt(n.committed_index),
                    opt(n.dispatched_offset), opt(n.divided_offset), opt(n.max_physical_offset), opt(n.lag_entries),
                    opt(n.lag_bytes), n.registered ? (*n.registered ? "yes" : "no") : "-", human_duration(n.uptime_ms)});
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i].size();
    for (const auto& r : rows) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      l += cells[i];
      if (i + 1 < cells.size()) l += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    out += l + "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  if (status.healthy()) {
    out += "healthy: leader " + status.leader_id + ", " + std::to_string(status.nodes.size()) + " node(s) (" +
           status.mode + " mode)\n";
  } else {
    out += "NOT healthy:\n";
    for (const auto& p : status.problems) out += "  " + p + "\n";
  }
  return out;
}

nlohmann::json status_to_json(const GroupStatus& status) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : status.nodes) {
    nodes.push_back(nlohmann::json{
        {"id", n.node_id},
        {"address", n.address},
        {"pid", nullable(n.pid)},
        {"reachable", n.reachable},
        {"error", nullable_string(n.error)},
        {"role", nullable_string(n.role)},
        {"brokerRole", nullable_string(n.broker_role)},
        {"brokerId", nullable(n.broker_id)},
        {"registered", nullable(n.registered)},
        {"term", nullable(n.term)},
        {"leaderId", nullable_string(n.leader_id)},
        {"ledgerEndIndex", nullable(n.ledger_end_index)},
        {"committedIndex", nullable(n.committed_index)},
        {"dispatchedOffset", nullable(n.dispatched_offset)},
        {"dividedOffset", nullable(n.divided_offset)},
        {"maxPhysicalOffset", nullable(n.max_physical_offset)},
        {"lagEntries", nullable(n.lag_entries)},
        {"lagBytes", nullable(n.lag_bytes)},
        {"lastContactMs", nullable(n.last_contact_ms)},
        {"uptimeMs", nullable(n.uptime_ms)},
    });
  }
  return nlohmann::json{{"healthy", status.healthy()},
                        {"mode", status.mode},
                        {"leader", nullable_string(status.leader_id)},
                        {"namesrv", status.namesrv},
                        {"problems", status.problems},
                        {"nodes", nodes}};
}

}  // namespace rmq::ctl
