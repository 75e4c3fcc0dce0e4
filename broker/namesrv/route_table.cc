#include "broker/namesrv/route_table.h"

#include <chrono>
#include <utility>

namespace rmq::namesrv {

Clock system_clock_ms() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

RouteTable::RouteTable(Clock clock) : clock_(std::move(clock)) {}

RegisterResult RouteTable::register_broker(const RegisterRequest& request) {
  RegisterResult result;
  // 1. The cluster knows the broker name.
  clusters_[request.cluster_name].insert(request.broker_name);

  // 2. The name's address map: the same address under another id goes (a promoted slave or follower moves
  //    from id n to id 0), then id -> addr.
  bool register_first = false;
  auto broker_it = brokers_.find(request.broker_name);
  if (broker_it == brokers_.end()) {
    register_first = true;
    BrokerData data;
    data.cluster = request.cluster_name;
    data.broker_name = request.broker_name;
    broker_it = brokers_.emplace(request.broker_name, std::move(data)).first;
  }
  auto& addrs = broker_it->second.broker_addrs;
  for (auto it = addrs.begin(); it != addrs.end();) {
    if (it->second == request.broker_addr && it->first != request.broker_id) {
      it = addrs.erase(it);
    } else {
      ++it;
    }
  }
  const bool had_id = addrs.count(request.broker_id) != 0;
  addrs[request.broker_id] = request.broker_addr;
  register_first = register_first || !had_id;

  // 3. Queue data only from the master, and only when its topic table is new or changed.
  if (request.broker_id == kMasterId &&
      (register_first || data_version_changed(request.broker_addr, request.topic_config_wrapper.data_version))) {
    for (const TopicQueueConfig& topic : request.topic_config_wrapper.topics) {
      QueueData queue;
      queue.broker_name = request.broker_name;
      queue.read_queue_nums = topic.read_queue_nums;
      queue.write_queue_nums = topic.write_queue_nums;
      queue.perm = topic.perm;
      queue.topic_sys_flag = topic.topic_sys_flag;
      topics_[topic.topic_name][request.broker_name] = queue;
    }
  }

  // 4. The live entry, refreshed.
  BrokerLiveInfo live;
  live.last_update_ms = clock_();
  live.data_version = request.topic_config_wrapper.data_version;
  live.connection_id = request.connection_id;
  live.ha_server_addr = request.ha_server_addr;
  result.first_registration = live_.count(request.broker_addr) == 0;
  live_[request.broker_addr] = std::move(live);

  // 5. A slave learns where its master is.
  if (request.broker_id != kMasterId) {
    auto master = addrs.find(kMasterId);
    if (master != addrs.end()) {
      auto master_live = live_.find(master->second);
      if (master_live != live_.end()) {
        result.master_addr = master->second;
        result.ha_server_addr = master_live->second.ha_server_addr;
      }
    }
  }
  return result;
}

bool RouteTable::unregister_broker(const std::string& cluster_name, const std::string& broker_addr,
                                   const std::string& broker_name, std::int64_t broker_id) {
  live_.erase(broker_addr);
  auto broker_it = brokers_.find(broker_name);
  if (broker_it == brokers_.end()) return false;
  auto& addrs = broker_it->second.broker_addrs;
  auto id_it = addrs.find(broker_id);
  if (id_it == addrs.end() || id_it->second != broker_addr) return false;
  addrs.erase(id_it);
  if (addrs.empty()) {
    brokers_.erase(broker_it);
    auto cluster_it = clusters_.find(cluster_name);
    if (cluster_it != clusters_.end()) {
      cluster_it->second.erase(broker_name);
      if (cluster_it->second.empty()) clusters_.erase(cluster_it);
    }
    // The name may also be listed under another cluster name; it has no addresses anywhere now.
    remove_broker_name(broker_name);
  }
  return true;
}

std::vector<std::string> RouteTable::drop_connection(std::uint64_t connection_id) {
  std::vector<std::string> dropped;
  for (const auto& [addr, live] : live_) {
    if (live.connection_id == connection_id) dropped.push_back(addr);
  }
  for (const std::string& addr : dropped) {
    live_.erase(addr);
    remove_address_everywhere(addr);
  }
  return dropped;
}

std::vector<ExpiredBroker> RouteTable::expire(std::int64_t expire_after_ms) {
  const std::int64_t now_ms = clock_();
  std::vector<ExpiredBroker> expired;
  for (const auto& [addr, live] : live_) {
    if (live.last_update_ms + expire_after_ms < now_ms) {
      expired.push_back(ExpiredBroker{addr, live.connection_id, live.last_update_ms});
    }
  }
  for (const ExpiredBroker& broker : expired) {
    live_.erase(broker.broker_addr);
    remove_address_everywhere(broker.broker_addr);
  }
  return expired;
}

void RouteTable::remove_address_everywhere(const std::string& broker_addr) {
  std::vector<std::string> emptied;
  for (auto& [name, data] : brokers_) {
    for (auto it = data.broker_addrs.begin(); it != data.broker_addrs.end();) {
      if (it->second == broker_addr) {
        it = data.broker_addrs.erase(it);
      } else {
        ++it;
      }
    }
    if (data.broker_addrs.empty()) emptied.push_back(name);
  }
  for (const std::string& name : emptied) {
    brokers_.erase(name);
    remove_broker_name(name);
  }
}

void RouteTable::remove_broker_name(const std::string& broker_name) {
  for (auto it = clusters_.begin(); it != clusters_.end();) {
    it->second.erase(broker_name);
    if (it->second.empty()) {
      it = clusters_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = topics_.begin(); it != topics_.end();) {
    it->second.erase(broker_name);
    if (it->second.empty()) {
      it = topics_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<TopicRoute> RouteTable::route(const std::string& topic) const {
  auto topic_it = topics_.find(topic);
  if (topic_it == topics_.end() || topic_it->second.empty()) return std::nullopt;
  TopicRoute route;
  for (const auto& [name, queue] : topic_it->second) {
    route.queue_datas.push_back(queue);
    auto broker_it = brokers_.find(name);
    if (broker_it != brokers_.end()) route.broker_datas.push_back(broker_it->second);
  }
  if (route.broker_datas.empty()) return std::nullopt;
  return route;
}

ClusterInfo RouteTable::cluster_info() const {
  ClusterInfo info;
  info.broker_addr_table = brokers_;
  info.cluster_addr_table = clusters_;
  return info;
}

std::vector<std::string> RouteTable::topic_names() const {
  std::vector<std::string> names;
  names.reserve(topics_.size());
  for (const auto& entry : topics_) names.push_back(entry.first);
  return names;
}

bool RouteTable::data_version_changed(const std::string& broker_addr, const DataVersion& version) const {
  auto it = live_.find(broker_addr);
  return it == live_.end() || !(it->second.data_version == version);
}

void RouteTable::touch(const std::string& broker_addr) {
  auto it = live_.find(broker_addr);
  if (it != live_.end()) it->second.last_update_ms = clock_();
}

std::optional<DataVersion> RouteTable::data_version(const std::string& broker_addr) const {
  auto it = live_.find(broker_addr);
  if (it == live_.end()) return std::nullopt;
  return it->second.data_version;
}

int RouteTable::wipe_write_perm(const std::string& broker_name) {
  int changed = 0;
  for (auto& [topic, queues] : topics_) {
    auto it = queues.find(broker_name);
    if (it == queues.end()) continue;
    it->second.perm &= ~kPermWrite;
    ++changed;
  }
  return changed;
}

int RouteTable::add_write_perm(const std::string& broker_name) {
  int changed = 0;
  for (auto& [topic, queues] : topics_) {
    auto it = queues.find(broker_name);
    if (it == queues.end()) continue;
    it->second.perm = kPermRead | kPermWrite;
    ++changed;
  }
  return changed;
}

}  // namespace rmq::namesrv
