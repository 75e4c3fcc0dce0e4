// The name server's route table (4.9.x RouteInfoManager, remoting.md 3.2 and 3.3) as a pure class: no locks,
// threads, sockets or clock of its own. The clock is injected, so expiry is tested without sleeping; the
// caller (NameServer) serializes calls with one mutex and closes the connections of expired brokers.
//
// Tables:
//   cluster    -> {brokerName}
//   brokerName -> BrokerData(cluster, brokerAddrs{id -> addr})
//   topic      -> {brokerName -> QueueData}
//   brokerAddr -> live info (last update, DataVersion, connection id, haServerAddr)
//
// Dropping a broker address (connection closed, expiry) removes it from every brokerAddrs map; a BrokerData
// left empty is removed with its name from the cluster sets and its queue data from every topic, and topics
// left with no queue data disappear. Everything lives in memory only: after a crash brokers re-register
// within their 30 s registration period.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/namesrv/route_types.h"

namespace rmq::namesrv {

// Milliseconds since the epoch (System.currentTimeMillis in Java); injected for tests.
using Clock = std::function<std::int64_t()>;
Clock system_clock_ms();

struct RegisterRequest {
  std::string cluster_name;
  std::string broker_addr;
  std::string broker_name;
  std::int64_t broker_id = 0;
  std::string ha_server_addr;
  TopicConfigWrapper topic_config_wrapper;  // no body: empty topics, DataVersion{0, 0}, as Java
  std::uint64_t connection_id = 0;          // the connection the request came on (dropped when it closes)
};

// What a slave learns from its registration: the master's address and HA address, when the master is
// registered and alive (empty otherwise, and always empty for the master itself).
struct RegisterResult {
  std::string master_addr;
  std::string ha_server_addr;
  bool first_registration = false;  // this address was not live before (for the log line)
};

struct BrokerLiveInfo {
  std::int64_t last_update_ms = 0;
  DataVersion data_version;
  std::uint64_t connection_id = 0;
  std::string ha_server_addr;
};

// A broker address dropped by expire(): its connection is to be closed by the caller.
struct ExpiredBroker {
  std::string broker_addr;
  std::uint64_t connection_id = 0;
  std::int64_t last_update_ms = 0;
};

class RouteTable {
 public:
  explicit RouteTable(Clock clock);

  // REGISTER_BROKER (remoting.md 3.2, steps 1-5).
  RegisterResult register_broker(const RegisterRequest& request);
  // UNREGISTER_BROKER: drops the live entry of broker_addr and the id's address under broker_name. Unlike
  // 4.9.x the id's entry is only removed while it still holds broker_addr, so that a late unregister of a
  // demoted DLedger leader cannot remove the new leader's id 0. Returns true when an address was removed.
  bool unregister_broker(const std::string& cluster_name, const std::string& broker_addr,
                         const std::string& broker_name, std::int64_t broker_id);
  // The connection closed: drops every address registered on it. Returns the dropped addresses.
  std::vector<std::string> drop_connection(std::uint64_t connection_id);
  // Drops every address whose last registration is older than expire_after_ms (strictly, as Java).
  std::vector<ExpiredBroker> expire(std::int64_t expire_after_ms);

  // GET_ROUTEINFO_BY_TOPIC: nullopt when the topic has no queue data or none of its broker names has a
  // BrokerData (remoting.md 3.3).
  std::optional<TopicRoute> route(const std::string& topic) const;
  ClusterInfo cluster_info() const;
  std::vector<std::string> topic_names() const;  // sorted

  // QUERY_DATA_VERSION support (4.9.x isBrokerTopicConfigChanged / updateBrokerInfoUpdateTimestamp).
  bool data_version_changed(const std::string& broker_addr, const DataVersion& version) const;
  void touch(const std::string& broker_addr);
  std::optional<DataVersion> data_version(const std::string& broker_addr) const;

  // WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER: number of topics changed.
  int wipe_write_perm(const std::string& broker_name);
  int add_write_perm(const std::string& broker_name);

  const std::map<std::string, BrokerLiveInfo>& live_table() const { return live_; }

 private:
  // Removes broker_addr from every BrokerData and cleans up what becomes empty.
  void remove_address_everywhere(const std::string& broker_addr);
  // BrokerData of broker_name is gone: remove the name from the clusters and its queue data from the topics.
  void remove_broker_name(const std::string& broker_name);

  Clock clock_;
  std::map<std::string, std::set<std::string>> clusters_;
  std::map<std::string, BrokerData> brokers_;
  std::map<std::string, std::map<std::string, QueueData>> topics_;
  std::map<std::string, BrokerLiveInfo> live_;
};

}  // namespace rmq::namesrv
