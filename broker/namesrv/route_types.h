// The name server's view of the cluster (remoting.md 2.5, 3.2): what a broker registers and what clients get
// back. Plain values with no behaviour, shared by the route table, the body decoders and the JSON writers.
//
// Nothing here is persisted: a name server forgets every route when it stops, and brokers re-register within
// 30 s of its restart (remoting.md 3.2), exactly as with the Java name server.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rmq::namesrv {

// PermName bits (4.9.x common/constant/PermName.java).
inline constexpr std::int32_t kPermInherit = 1;
inline constexpr std::int32_t kPermWrite = 2;
inline constexpr std::int32_t kPermRead = 4;

// MixAll.MASTER_ID: the master, or in DLedger mode the Raft leader (remoting.md 3.4).
inline constexpr std::int64_t kMasterId = 0;

// A broker's topic-table version (4.9.x DataVersion). Equal versions mean the topic table is unchanged, so the
// name server keeps the queue data it already has.
struct DataVersion {
  std::int64_t timestamp = 0;
  std::int64_t counter = 0;
  bool operator==(const DataVersion&) const = default;
};

// One TopicConfig from a broker's registration, reduced to what becomes a QueueData.
struct TopicQueueConfig {
  std::string topic_name;
  std::int32_t read_queue_nums = 0;
  std::int32_t write_queue_nums = 0;
  std::int32_t perm = 0;
  std::int32_t topic_sys_flag = 0;
  bool operator==(const TopicQueueConfig&) const = default;
};

// TopicConfigSerializeWrapper: the broker's topic table and its version.
struct TopicConfigWrapper {
  DataVersion data_version;
  std::vector<TopicQueueConfig> topics;
};

// The decoded REGISTER_BROKER body (RegisterBrokerBody).
struct RegisterBrokerBody {
  TopicConfigWrapper topic_config_wrapper;
  std::vector<std::string> filter_server_list;
};

// One broker name's queues of one topic.
struct QueueData {
  std::string broker_name;
  std::int32_t read_queue_nums = 0;
  std::int32_t write_queue_nums = 0;
  std::int32_t perm = 0;
  std::int32_t topic_sys_flag = 0;
  bool operator==(const QueueData&) const = default;
};

// The addresses of one broker name (a master-slave pair, or a DLedger group): brokerId -> "ip:port".
struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<std::int64_t, std::string> broker_addrs;
  bool operator==(const BrokerData&) const = default;
};

// TopicRouteData without the fields we never fill (filterServerTable is always empty).
struct TopicRoute {
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
};

// ClusterInfo: brokerName -> BrokerData, cluster -> {brokerName}.
struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;
  std::map<std::string, std::set<std::string>> cluster_addr_table;
};

}  // namespace rmq::namesrv
