#include "migrate/migrate_discover.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "broker/common/java_properties.h"

namespace rmq::migrate {

namespace fs = std::filesystem;
using common::ConfigError;

namespace {

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

void validate_request(const MigrationRequest& request) {
  if (request.master_conf.empty()) throw ConfigError("--master-conf is required");
  if (request.target_root.empty()) throw ConfigError("--target-root is required");
  if (request.mode == MigrationMode::kMasterSlave && request.slave_conf.empty()) {
    throw ConfigError("--from master-slave needs --slave-conf (use --from master for a master without a slave)");
  }
  if (request.mode == MigrationMode::kMasterOnly && !request.slave_conf.empty()) {
    throw ConfigError("--from master migrates a master alone: drop --slave-conf, or use --from master-slave");
  }
  if (request.mode == MigrationMode::kMasterOnly && request.source == SourceRole::kSlave) {
    throw ConfigError("--source slave needs --from master-slave and --slave-conf");
  }
}

// gen-conf's layout of the group with the master's settings carried over, the node store paths replaced by
// the plan's. Throws common::ConfigError (gen-conf's rules).
GenConfPlan lay_out_group(const MigrationPlan& plan, const std::string& namesrv) {
  GenConfOptions options;
  options.peers = plan.peers;
  options.group = plan.group;
  options.cluster = plan.master.cluster_name;
  options.namesrv = namesrv;
  options.store_root = plan.target_root.string();
  options.out_dir = plan.conf_out;
  options.from = plan.master.properties;
  options.from_name = plan.master.config_path.string();
  GenConfPlan layout = plan_gen_conf(options);
  if (layout.files.size() != plan.nodes.size()) {
    throw ConfigError("gen-conf laid out " + std::to_string(layout.files.size()) + " nodes for " +
                      std::to_string(plan.nodes.size()) + " peers");
  }
  for (std::size_t i = 0; i < layout.files.size(); ++i) {
    PlannedConf& file = layout.files[i];
    const NodeTarget& node = plan.nodes[i];
    if (file.node.self_id != node.id) throw ConfigError("gen-conf reordered the peers");
    file.node.store_root_dir = node.store_root.string();
    file.node.commitlog_dir = node.commitlog_dir.string();
    file.path = node.config_path;
    file.text = render_broker_conf(file.node);
  }
  return layout;
}

}  // namespace

std::string default_node_dir_name(std::size_t position) {
  char name[32];
  std::snprintf(name, sizeof name, "node%02zu", position);
  return name;
}

Discovery discover(const MigrationRequest& request) {
  validate_request(request);
  Discovery d;
  MigrationPlan& plan = d.plan;
  plan.mode = request.mode;
  plan.source = request.source;
  plan.master = read_old_broker("master", request.master_conf);
  if (request.mode == MigrationMode::kMasterSlave) plan.slave = read_old_broker("slave", request.slave_conf);
  plan.group = plan.master.broker_name;
  plan.target_root = absolute_path(request.target_root);
  plan.conf_out = request.conf_out.empty() ? plan.target_root / "conf" : absolute_path(request.conf_out);
  plan.peers = trimmed(request.peers);

  if (plan.peers.empty()) {
    d.peer_problems.push_back("--peers is required: the new group's DLedger peers, "
                              "'n0-host:port;n1-host:port;n2-host:port'");
  } else {
    try {
      d.peers = parse_peers(plan.peers);
      plan.peers = format_peers(d.peers);
    } catch (const ConfigError& e) {
      d.peer_problems.push_back(std::string("--peers: ") + e.what());
    }
  }
  for (const auto& [id, dir] : request.node_dirs) {
    // An init-capture: clang 14 (the sanitizer builds) cannot capture a structured binding implicitly.
    const bool known =
        std::any_of(d.peers.begin(), d.peers.end(), [&node_id = id](const Peer& p) { return p.id == node_id; });
    if (!known && !d.peers.empty()) {
      d.peer_problems.push_back("--node " + id + "=" + dir.string() + ": " + id + " is not one of the peers (" +
                                plan.peers + ")");
    }
  }
  for (std::size_t i = 0; i < d.peers.size(); ++i) {
    const Peer& p = d.peers[i];
    NodeTarget node;
    node.id = p.id;
    node.peer_address = p.address();
    const auto custom = request.node_dirs.find(p.id);
    node.store_root = custom != request.node_dirs.end() ? absolute_path(custom->second)
                                                        : plan.target_root / default_node_dir_name(i);
    node.commitlog_dir = node.store_root / "commitlog";
    node.config_path = plan.conf_out / conf_file_name(p.id);
    plan.nodes.push_back(node);
  }
  seal_plan(plan);

  std::string namesrv = plan.master.namesrv_addr;
  if (namesrv.empty()) {
    if (const char* env = std::getenv("NAMESRV_ADDR"); env != nullptr) namesrv = env;
  }
  if (!d.peers.empty()) {
    if (namesrv.empty()) {
      d.peer_problems.push_back("the master config " + plan.master.config_path.string() +
                                " has no namesrvAddr and NAMESRV_ADDR is not set: the new brokers would not "
                                "register anywhere");
    } else {
      try {
        d.gen_conf = lay_out_group(plan, namesrv);
        d.notes.insert(d.notes.end(), d.gen_conf->warnings.begin(), d.gen_conf->warnings.end());
        d.notes.insert(d.notes.end(), d.gen_conf->notes.begin(), d.gen_conf->notes.end());
      } catch (const ConfigError& e) {
        d.peer_problems.push_back(std::string("gen-conf: ") + e.what());
      }
    }
  }
  return d;
}

}  // namespace rmq::migrate
