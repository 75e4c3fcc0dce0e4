#include "ctl/node_config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>
#include <system_error>

#include "broker/common/java_properties.h"

namespace rmq::ctl {

namespace fs = std::filesystem;
using common::ConfigError;

NodeConfig load_node_config(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  absolute = absolute.lexically_normal();
  if (!fs::exists(absolute, ec)) throw ConfigError(absolute.string() + ": no such config file");
  const common::JavaProperties properties = common::JavaProperties::load(absolute);
  // The broker reads NAMESRV_ADDR when the file has no namesrvAddr; so does rmqctl, to find the same one.
  std::optional<std::string> env_namesrv;
  if (const char* env = std::getenv("NAMESRV_ADDR"); env != nullptr && *env != '\0') env_namesrv = env;
  server::BrokerConfigLoad load = server::parse_broker_config(properties, absolute.string(), std::nullopt, env_namesrv);
  NodeConfig node;
  node.config_path = absolute;
  node.broker = std::move(load.config);
  node.node_id = node.dledger() ? node.broker.dleger_self_id
                                : node.broker.broker_name + ":" + std::to_string(node.broker.broker_id);
  return node;
}

std::vector<fs::path> conf_files_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ConfigError(dir.string() + ": --conf-dir is not a directory");
  std::vector<fs::path> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    // Every *.conf is a node, whatever its type: a FIFO, a directory or a dangling symlink under that name is
    // then refused by the config reader with its own one-line error, instead of being skipped, which would
    // start, stop or check a group with a node missing and say nothing.
    if (it->path().extension() == ".conf") out.push_back(it->path());
  }
  if (ec) throw ConfigError(dir.string() + ": cannot list: " + ec.message());
  if (out.empty()) throw ConfigError(dir.string() + ": no *.conf file in --conf-dir");
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<NodeConfig> load_group(const std::vector<fs::path>& paths) {
  if (paths.empty()) throw ConfigError("no config given (-c FILE or --conf-dir DIR)");
  std::vector<NodeConfig> nodes;
  for (const auto& p : paths) nodes.push_back(load_node_config(p));
  std::map<std::string, std::string> ids, roots, ports;
  for (const auto& n : nodes) {
    const std::string file = n.config_path.string();
    auto check = [&](std::map<std::string, std::string>& seen, const std::string& key, const char* what) {
      auto [it, inserted] = seen.emplace(key, file);
      if (!inserted) throw ConfigError(file + ": " + what + " " + key + " is also used by " + it->second);
    };
    check(ids, n.node_id, "node");
    check(roots, fs::weakly_canonical(n.store_root()).string(), "storePathRootDir");
    check(ports, n.address(), "listen address");
    if (n.dledger() != nodes.front().dledger()) {
      throw ConfigError(file + ": enableDLegerCommitLog differs from " + nodes.front().config_path.string());
    }
    if (n.dledger() && (n.broker.dleger_group != nodes.front().broker.dleger_group ||
                        n.broker.dleger_peers != nodes.front().broker.dleger_peers)) {
      throw ConfigError(file + ": dLegerGroup/dLegerPeers (" + n.broker.dleger_group + ", " + n.broker.dleger_peers +
                        ") differ from " + nodes.front().config_path.string() + " (" +
                        nodes.front().broker.dleger_group + ", " + nodes.front().broker.dleger_peers + ")");
    }
  }
  return nodes;
}

std::vector<std::string> group_namesrv_addresses(const std::vector<NodeConfig>& nodes) {
  if (nodes.empty()) return {};
  const auto first = nodes.front().broker.namesrv_addresses();
  for (const auto& n : nodes) {
    if (n.broker.namesrv_addresses() != first) {
      throw ConfigError(n.config_path.string() + ": namesrvAddr " + n.broker.namesrv_addr + " differs from " +
                        nodes.front().config_path.string() + " (" + nodes.front().broker.namesrv_addr + ")");
    }
  }
  return first;
}

HostPort split_host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    throw ConfigError("address " + address + ": expected HOST:PORT");
  }
  HostPort hp;
  hp.host = address.substr(0, colon);
  unsigned value = 0;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, err] = std::from_chars(begin, end, value);
  if (err != std::errc() || ptr != end || value == 0 || value > 65535) {
    throw ConfigError("address " + address + ": port is not in [1, 65535]");
  }
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

bool is_local_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr parsed{};
  if (::inet_pton(AF_INET, host.c_str(), &parsed) != 1) return false;
  if ((ntohl(parsed.s_addr) >> 24) == 127) return true;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* it = list; it != nullptr && !found; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    found = reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr.s_addr == parsed.s_addr;
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace rmq::ctl
