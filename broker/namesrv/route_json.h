// The JSON bodies the name server writes (remoting.md 2.5, 2.6): TopicRouteData, ClusterInfo, TopicList,
// DataVersion, KVTable.
//
// Every body is standard, compact JSON (no whitespace at all) with numeric map keys quoted: the Go client
// splits the raw brokerAddrs text on ',' and ':', so a single space would corrupt an id, and every client
// accepts quoted ids (2.6). Object keys come out sorted, which is also what fastjson's MapSortField does.
// Both queueDatas and brokerDatas are always present, and filterServerTable is always {}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/namesrv/route_types.h"

namespace rmq::namesrv {

// Without orderTopicConf, as the Java name server with its default orderMessageEnable=false.
std::string topic_route_json(const TopicRoute& route);
std::string cluster_info_json(const ClusterInfo& info);
std::string topic_list_json(const std::vector<std::string>& topics);
std::string data_version_json(const DataVersion& version);
std::string kv_table_json(const std::map<std::string, std::string>& table);

// {"timestamp":..,"counter":..} (other keys ignored, missing ones 0). Throws BodyError naming `what`.
DataVersion parse_data_version(std::string_view json_text, std::string_view what);

}  // namespace rmq::namesrv
