// gen-conf's planning, rendering and writing (gen_conf.h explains the rules and why they exist).
#include "migrate/gen_conf.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <map>
#include <thread>

#include "migrate/copy_file.h"

namespace rmq::migrate {
namespace {

using common::ConfigError;
using common::JavaProperties;

constexpr std::uint64_t kMaxExistingConfBytes = 16 * 1024 * 1024;  // a broker.conf is a few KiB

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// For text that goes into a comment or a one-line message: no line breaks or other control characters.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return out;
}

// "old.conf:4" for a key of the old config, or just "old.conf" when the key has no line.
std::string origin_of(const JavaProperties& conf, const std::string& source_name, const std::string& key) {
  const int line = conf.line_of(key);
  return line > 0 ? source_name + ":" + std::to_string(line) : source_name;
}

// Why an old key is not carried over, or nullptr when it is.
const char* drop_reason(const std::string& key) {
  if (key == "brokerRole") return "dropped: DLedger elects roles";
  if (key == "brokerId") return "dropped: DLedger elects the leader, which registers as brokerId 0";
  if (key == "haMasterAddress" || key == "haListenPort") return "dropped: DLedger replicates through dLegerPeers";
  if (key == "brokerIP1" || key == "brokerIP2") return "dropped: the old machine's address; each node finds its own";
  if (key == "storePathRootDir" || key == "storePathCommitLog") {
    return "replaced: each node's store is under --store-root";
  }
  if (key.starts_with("storePath")) return "dropped: derived from the new storePathRootDir";
  if (key == "enableDLegerCommitLog" || key.starts_with("dLeger")) {
    return "replaced: gen-conf writes the new group's DLedger settings";
  }
  return nullptr;
}

std::optional<int> parse_int_in(std::string_view text, int min_value, int max_value) {
  const std::string_view digits = trim(text);
  if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return std::nullopt;
  }
  const int value = std::stoi(std::string(digits));
  if (value < min_value || value > max_value) return std::nullopt;
  return value;
}

// brokerClusterName, brokerName: a name that reads the same in every file and every log line.
void check_name(const std::string& value, const std::string& what) {
  if (value.empty()) throw ConfigError(what + " is empty");
  for (const char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      throw ConfigError(what + " \"" + printable(value) + "\" contains whitespace or a control character");
    }
  }
}

// namesrvAddr: "host:port" or several joined by ';'.
void check_namesrv(const std::string& value, const std::string& what) {
  if (trim(value).empty()) throw ConfigError(what + " is empty");
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t end = std::min(value.find(';', start), value.size());
    const std::string entry(trim(std::string_view(value).substr(start, end - start)));
    const std::size_t colon = entry.rfind(':');
    const std::string host = colon == std::string::npos ? entry : entry.substr(0, colon);
    if (colon == std::string::npos || (!is_ipv4_literal(host) && !is_hostname(host))) {
      throw ConfigError(what + " entry \"" + printable(entry) + "\" is not HOST:PORT (e.g. 127.0.0.1:9876)");
    }
    parse_port(entry.substr(colon + 1), what + " entry \"" + printable(entry) + "\": port");
    start = end + 1;
  }
}

bool namesrv_is_loopback_only(const std::string& value) {
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t end = std::min(value.find(';', start), value.size());
    const std::string_view entry = trim(std::string_view(value).substr(start, end - start));
    if (!is_loopback_host(entry.substr(0, entry.rfind(':')))) return false;
    start = end + 1;
  }
  return true;
}

// An explicit option wins over the old config's value; the old value is noted when it changes.
std::string pick(const std::optional<std::string>& explicit_value, const std::string& flag,
                 const std::optional<std::string>& carried_value, const std::string& key,
                 const GenConfOptions& options, std::vector<std::string>& notes) {
  if (explicit_value) {
    if (carried_value && *carried_value != *explicit_value) {
      notes.push_back(origin_of(*options.from, options.from_name, key) + ": " + key + "=" +
                      printable(*carried_value) + " replaced by " + flag + " " + printable(*explicit_value));
    }
    return *explicit_value;
  }
  if (carried_value) return *carried_value;
  std::string message = "missing " + flag;
  if (options.from) message += " (" + options.from_name + " has no " + key + ")";
  throw ConfigError(message);
}

// Node i's listen port from a base: base plus a step for each earlier peer on the same machine.
std::vector<int> layout_from_base(const std::vector<Peer>& peers, int base) {
  std::map<std::string, int> nodes_seen_per_machine;
  std::vector<int> ports;
  for (const Peer& peer : peers) {
    const int index_on_machine = nodes_seen_per_machine[machine_key(peer.host)]++;
    ports.push_back(base + kListenPortStepPerNode * index_on_machine);
  }
  return ports;
}

void check_listen_port_range(const std::vector<Peer>& peers, const std::vector<int>& ports, const std::string& source) {
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (ports[i] < kMinListenPort || ports[i] > kMaxListenPort) {
      throw ConfigError(source + " gives " + peers[i].id + " listenPort " + std::to_string(ports[i]) +
                        ", outside " + std::to_string(kMinListenPort) + ".." + std::to_string(kMaxListenPort) +
                        " (the broker also listens on listenPort-2 and listenPort+1)");
    }
  }
}

std::optional<std::string> find_port_collision(const std::vector<Peer>& peers, const std::vector<int>& listen_ports) {
  std::map<std::string, std::map<int, std::string>> user_by_port_by_machine;
  const auto claim = [&](const Peer& peer, int port, const std::string& user) -> std::optional<std::string> {
    auto& users = user_by_port_by_machine[machine_key(peer.host)];
    const auto [it, inserted] = users.emplace(port, user);
    if (inserted) return std::nullopt;
    return "port " + std::to_string(port) + " is used twice on " + peer.host + ": " + it->second + " and " + user;
  };
  for (const Peer& peer : peers) {
    if (auto collision = claim(peer, peer.port, peer.id + "'s DLedger port")) return collision;
  }
  for (std::size_t i = 0; i < peers.size() && i < listen_ports.size(); ++i) {
    const Peer& peer = peers[i];
    const int listen = listen_ports[i];
    if (auto c = claim(peer, listen, peer.id + "'s listenPort")) return c;
    if (auto c = claim(peer, listen - 2, peer.id + "'s fastListenPort (listenPort-2)")) return c;
    if (auto c = claim(peer, listen + 1, peer.id + "'s haListenPort (listenPort+1)")) return c;
  }
  return std::nullopt;
}

std::string node_dir_name(std::size_t position) {
  char name[32];
  std::snprintf(name, sizeof name, "node%02zu", position);
  return name;
}

}  // namespace

int machine_core_count() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

CarriedSettings carry_over(const JavaProperties& old_conf, const std::string& source_name) {
  CarriedSettings carried;
  std::vector<std::string> kept;
  for (const std::string& key : old_conf.keys_in_order()) {
    const std::string value = *old_conf.get(key);
    const std::string origin = origin_of(old_conf, source_name, key);
    if (key == "brokerClusterName") {
      carried.cluster_name = value;
    } else if (key == "brokerName") {
      carried.broker_name = value;
    } else if (key == "namesrvAddr") {
      carried.namesrv_addr = value;
    } else if (key == "listenPort") {
      carried.listen_port = parse_int_in(value, kMinListenPort, kMaxListenPort);
      if (!carried.listen_port) {
        throw ConfigError(origin + ": listenPort=" + printable(value) + " is not a port in " +
                          std::to_string(kMinListenPort) + ".." + std::to_string(kMaxListenPort));
      }
    } else if (key == "sendMessageThreadPoolNums") {
      carried.send_thread_count = parse_int_in(value, 1, INT_MAX);
      if (!carried.send_thread_count) {
        throw ConfigError(origin + ": sendMessageThreadPoolNums=" + printable(value) + " is not a positive integer");
      }
    } else if (const char* reason = drop_reason(key)) {
      carried.notes.push_back(origin + ": " + printable(key) + "=" + printable(value) + " " + reason);
    } else {
      carried.tuning.emplace_back(key, value);
      kept.push_back(printable(key));
    }
  }
  if (!kept.empty()) {
    std::string list;
    for (const std::string& key : kept) list += (list.empty() ? "" : ", ") + key;
    carried.notes.push_back(source_name + ": carried over " + list);
  }
  return carried;
}

std::vector<int> choose_listen_ports(const std::vector<Peer>& peers, const GenConfOptions& options,
                                     std::optional<int> carried_listen_port, std::vector<std::string>& notes) {
  if (!options.listen_ports.empty()) {
    if (options.listen_port_base) throw ConfigError("--listen-port-base and --listen-ports exclude each other");
    if (options.listen_ports.size() != peers.size()) {
      throw ConfigError("--listen-ports has " + std::to_string(options.listen_ports.size()) + " ports for " +
                        std::to_string(peers.size()) + " peers");
    }
    check_listen_port_range(peers, options.listen_ports, "--listen-ports");
    check_port_collisions(peers, options.listen_ports);
    return options.listen_ports;
  }
  if (options.listen_port_base || carried_listen_port) {
    const int base = options.listen_port_base ? *options.listen_port_base : *carried_listen_port;
    const std::vector<int> ports = layout_from_base(peers, base);
    check_listen_port_range(peers, ports,
                            options.listen_port_base ? "--listen-port-base" : "listenPort of " + options.from_name);
    check_port_collisions(peers, ports);
    return ports;
  }
  // Only the default may move: to the first base (in steps of 1000) that collides with nothing.
  std::optional<std::string> first_collision;
  for (int base = kDefaultListenPort; base <= kMaxListenPort; base += kDefaultListenPortRetryStep) {
    const std::vector<int> ports = layout_from_base(peers, base);
    if (*std::max_element(ports.begin(), ports.end()) > kMaxListenPort) break;
    const std::optional<std::string> collision = find_port_collision(peers, ports);
    if (!collision) {
      if (base != kDefaultListenPort) {
        notes.push_back("default listen ports moved to base " + std::to_string(base) + ": " +
                        std::to_string(kDefaultListenPort) + " would collide (" + *first_collision + ")");
      }
      return ports;
    }
    if (!first_collision) first_collision = collision;
  }
  throw ConfigError(first_collision.value_or("no free listen ports") + " (set --listen-ports)");
}

void check_port_collisions(const std::vector<Peer>& peers, const std::vector<int>& listen_ports) {
  if (const std::optional<std::string> collision = find_port_collision(peers, listen_ports)) {
    throw ConfigError(*collision);
  }
}

GenConfPlan plan_gen_conf(const GenConfOptions& options) {
  if (trim(options.peers).empty()) {
    throw ConfigError("missing --peers (e.g. 'n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913')");
  }
  if (options.store_root.empty()) throw ConfigError("missing --store-root (node i's store goes to <root>/nodeNN)");
  if (options.out_dir.empty()) throw ConfigError("missing --out (the directory for broker-<id>.conf)");

  GenConfPlan plan;
  plan.out_dir = options.out_dir;
  try {
    plan.peers = parse_peers(options.peers);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("--peers: ") + e.what());
  }
  plan.warnings = check_peer_group(plan.peers, options.allow_two_nodes);

  CarriedSettings carried;
  if (options.from) carried = carry_over(*options.from, options.from_name);
  plan.notes = carried.notes;
  const auto old_origin = [&](const std::string& key) { return origin_of(*options.from, options.from_name, key); };

  std::vector<std::string>& notes = plan.notes;
  const std::string cluster =
      pick(options.cluster, "--cluster", carried.cluster_name, "brokerClusterName", options, notes);
  const std::string group = pick(options.group, "--group", carried.broker_name, "brokerName", options, notes);
  const std::string namesrv =
      pick(options.namesrv, "--namesrv", carried.namesrv_addr, "namesrvAddr", options, notes);
  check_name(cluster, options.cluster ? "--cluster" : "brokerClusterName in " + old_origin("brokerClusterName"));
  check_name(group, options.group ? "--group" : "brokerName in " + old_origin("brokerName"));
  check_namesrv(namesrv, options.namesrv ? "--namesrv" : "namesrvAddr in " + old_origin("namesrvAddr"));

  if (carried.listen_port) {
    const char* replaced_by = !options.listen_ports.empty() ? "--listen-ports"
                              : options.listen_port_base    ? "--listen-port-base"
                                                            : nullptr;
    plan.notes.push_back(old_origin("listenPort") + ": listenPort=" + std::to_string(*carried.listen_port) +
                         (replaced_by != nullptr ? std::string(" replaced by ") + replaced_by
                                                 : std::string(" kept (plus 10 per earlier node on one machine)")));
  }
  const std::vector<int> listen_ports = choose_listen_ports(plan.peers, options, carried.listen_port, plan.notes);

  int send_threads = options.default_send_thread_count;
  if (options.send_thread_count) {
    if (*options.send_thread_count < 1) throw ConfigError("--send-threads must be at least 1");
    send_threads = *options.send_thread_count;
    if (carried.send_thread_count && *carried.send_thread_count != send_threads) {
      plan.notes.push_back(old_origin("sendMessageThreadPoolNums") + ": sendMessageThreadPoolNums=" +
                           std::to_string(*carried.send_thread_count) + " replaced by --send-threads " +
                           std::to_string(send_threads));
    }
  } else if (carried.send_thread_count) {
    send_threads = *carried.send_thread_count;
  } else {
    plan.notes.push_back("sendMessageThreadPoolNums=" + std::to_string(send_threads) +
                         ": the cores of this machine (use --send-threads for the brokers' machines)");
  }

  if (std::filesystem::path(options.store_root).is_relative()) {
    plan.warnings.push_back("--store-root " + printable(options.store_root) +
                            " is relative: each broker resolves it against its own working directory");
  }
  const bool peers_on_loopback = is_loopback_host(plan.peers.front().host);
  if (!peers_on_loopback && namesrv_is_loopback_only(namesrv)) {
    plan.warnings.push_back("namesrvAddr " + printable(namesrv) +
                            " is a loopback address but the peers are other machines: each broker looks for a "
                            "name server on its own machine");
  }

  const std::string peers_text = format_peers(plan.peers);
  for (std::size_t i = 0; i < plan.peers.size(); ++i) {
    NodeConf node;
    node.cluster_name = cluster;
    node.broker_name = group;
    node.listen_port = listen_ports[i];
    node.namesrv_addr = std::string(trim(namesrv));
    const std::filesystem::path root =
        (std::filesystem::path(options.store_root) / node_dir_name(i)).lexically_normal();
    node.store_root_dir = root.string();
    node.commitlog_dir = (root / "commitlog").string();
    node.group = group;
    node.peers = peers_text;
    node.self_id = plan.peers[i].id;
    node.send_thread_count = send_threads;
    node.carried = carried.tuning;
    if (!carried.tuning.empty()) node.carried_from = options.from_name;
    PlannedConf file;
    file.path = options.out_dir / conf_file_name(node.self_id);
    file.text = render_broker_conf(node);
    file.node = std::move(node);
    plan.files.push_back(std::move(file));
  }
  return plan;
}

std::string conf_file_name(const std::string& self_id) { return "broker-" + self_id + ".conf"; }

std::string render_broker_conf(const NodeConf& node) {
  std::string out;
  const auto line = [&out](const std::string& key, const std::string& value) {
    out += JavaProperties::escape_key(key) + "=" + JavaProperties::escape_value(value) + "\n";
  };
  out += "# Broker " + printable(node.self_id) + " of the RocketMQ-on-DLedger group " + printable(node.group) +
         ", written by rmqctl gen-conf.\n";
  out += "# Every node of the group has the same dLegerPeers; dLegerSelfId, listenPort and the store differ.\n";
  line("brokerClusterName", node.cluster_name);
  line("brokerName", node.broker_name);
  line("listenPort", std::to_string(node.listen_port));
  line("namesrvAddr", node.namesrv_addr);
  line("storePathRootDir", node.store_root_dir);
  line("storePathCommitLog", node.commitlog_dir);
  line("enableDLegerCommitLog", "true");
  line("dLegerGroup", node.group);
  line("dLegerPeers", node.peers);
  out += "## must be unique\n";
  line("dLegerSelfId", node.self_id);
  line("sendMessageThreadPoolNums", std::to_string(node.send_thread_count));
  if (!node.carried.empty()) {
    out += "\n# Carried over from " + printable(node.carried_from.empty() ? "the old config" : node.carried_from) +
           "\n";
    for (const auto& [key, value] : node.carried) line(key, value);
  }
  return out;
}

const char* to_string(WriteStatus status) {
  switch (status) {
    case WriteStatus::kCreated: return "created";
    case WriteStatus::kReplaced: return "replaced";
    case WriteStatus::kUnchanged: return "unchanged";
  }
  return "unknown";
}

WriteStatus classify_existing(common::FileSystem& fs, const std::filesystem::path& path, const std::string& text) {
  const std::optional<common::Bytes> existing = common::read_whole_file(fs, path, kMaxExistingConfBytes);
  if (!existing) return WriteStatus::kCreated;
  const bool same = existing->size() == text.size() && std::equal(existing->begin(), existing->end(), text.begin(),
                                                                   [](std::uint8_t a, char b) {
                                                                     return a == static_cast<std::uint8_t>(b);
                                                                   });
  return same ? WriteStatus::kUnchanged : WriteStatus::kReplaced;
}

std::vector<std::filesystem::path> conflicting_files(common::FileSystem& fs, const GenConfPlan& plan) {
  std::vector<std::filesystem::path> conflicts;
  for (const PlannedConf& file : plan.files) {
    if (classify_existing(fs, file.path, file.text) == WriteStatus::kReplaced) conflicts.push_back(file.path);
  }
  return conflicts;
}

void write_file_atomically(common::FileSystem& fs, const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temp = temp_path_for(path);
  try {
    auto file = fs.open(temp, common::OpenMode::kCreateTruncate);
    file->append(common::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    file->sync();
    file.reset();
    fs.rename(temp, path);
  } catch (...) {
    try {
      if (fs.exists(temp)) fs.remove_file(temp);
    } catch (const common::IoError&) {
      // the first error is the one worth reporting; a stale temporary file is removed by the next run
    }
    throw;
  }
  fs.sync_dir(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

ConflictError::ConflictError(std::vector<std::filesystem::path> paths)
    : std::runtime_error([&paths] {
        std::string list;
        for (const auto& path : paths) list += (list.empty() ? "" : ", ") + path.string();
        return list + (paths.size() == 1 ? " exists" : " exist") +
               " with different content; pass --force to overwrite";
      }()),
      paths_(std::move(paths)) {}

std::vector<WriteStatus> write_gen_conf(common::FileSystem& fs, const GenConfPlan& plan, bool force) {
  std::vector<WriteStatus> statuses;
  std::vector<std::filesystem::path> conflicts;
  for (const PlannedConf& file : plan.files) {
    statuses.push_back(classify_existing(fs, file.path, file.text));
    if (statuses.back() == WriteStatus::kReplaced) conflicts.push_back(file.path);
  }
  if (!conflicts.empty() && !force) throw ConflictError(std::move(conflicts));
  common::create_dirs_durably(fs, plan.out_dir);
  for (std::size_t i = 0; i < plan.files.size(); ++i) {
    if (statuses[i] != WriteStatus::kUnchanged) write_file_atomically(fs, plan.files[i].path, plan.files[i].text);
  }
  return statuses;
}

}  // namespace rmq::migrate
