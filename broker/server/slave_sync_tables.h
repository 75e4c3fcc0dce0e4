// The bodies a DLedger follower copies from its leader (upstream SlaveSynchronize over BrokerOuterAPI), parsed
// into the tables the managers hold, and the leader's address taken from the name server's cluster table.
//
// Why a separate parser: these bodies come from the network. Each is checked completely before anything is
// applied (a body that does not parse changes nothing and names the request and the field), so a truncated or
// foreign answer can never empty a follower's table. Bodies:
// - GET_ALL_TOPIC_CONFIG (21): TopicConfigSerializeWrapper {"dataVersion":{..},"topicConfigTable":{name:{..}}}
// - GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): {"dataVersion":{..},"subscriptionGroupTable":{name:{..}}}
// - GET_ALL_CONSUMER_OFFSET (43): {"offsetTable":{"topic@group":{0:12,1:5}}} (fastjson unquoted keys)
// - GET_ALL_DELAY_OFFSET (45): delayOffset.json text {"offsetTable":{1:0,...}}, written to the file as is
// - GET_BROKER_CLUSTER_INFO (106, name server): {"brokerAddrTable":{name:{"brokerAddrs":{0:"ip:port"}}},..}
// Nothing here touches the disk.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "broker/server/subscription_group_manager.h"
#include "broker/server/topic_config.h"

namespace rmq::server {

struct TopicTableBody {
  DataVersion version;
  std::map<std::string, TopicConfig> table;
};
struct GroupTableBody {
  DataVersion version;
  std::map<std::string, SubscriptionGroupConfig> table;
};
using OffsetTable = std::map<std::string, std::map<std::int32_t, std::int64_t>>;

// Each throws std::invalid_argument naming the first bad field.
TopicTableBody parse_topic_table_body(std::string_view body);
GroupTableBody parse_group_table_body(std::string_view body);
OffsetTable parse_offset_table_body(std::string_view body);
// Checks a delayOffset.json text (level -> offset, both integers); returns the table.
std::map<std::int32_t, std::int64_t> parse_delay_offset_body(std::string_view body);
// The address registered as brokerId 0 under `broker_name`, or nullopt when there is none. Throws
// std::invalid_argument when the body is not a cluster table.
std::optional<std::string> master_address_from_cluster_info(std::string_view body, const std::string& broker_name);

}  // namespace rmq::server
