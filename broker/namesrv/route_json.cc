#include "broker/namesrv/route_json.h"

#include <nlohmann/json.hpp>
#include <string>

#include "broker/namesrv/body_error.h"

namespace rmq::namesrv {
namespace {

using nlohmann::json;

json broker_data_json(const BrokerData& data) {
  json addrs = json::object();
  for (const auto& [id, addr] : data.broker_addrs) addrs[std::to_string(id)] = addr;
  return json{{"brokerAddrs", std::move(addrs)}, {"brokerName", data.broker_name}, {"cluster", data.cluster}};
}

json queue_data_json(const QueueData& queue) {
  return json{{"brokerName", queue.broker_name},
              {"perm", queue.perm},
              {"readQueueNums", queue.read_queue_nums},
              {"topicSysFlag", queue.topic_sys_flag},
              {"writeQueueNums", queue.write_queue_nums}};
}

// Compact (no indent, no spaces), with UTF-8 errors replaced rather than thrown: a broker name with a bad
// byte must not take the name server's answer down.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::int64_t integer_field(const json& object, const char* key, std::string_view what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) {
    throw BodyError(std::string(what) + ": field '" + key + "' is not an integer");
  }
  return it->get<std::int64_t>();
}

}  // namespace

std::string topic_route_json(const TopicRoute& route) {
  json broker_datas = json::array();
  for (const BrokerData& data : route.broker_datas) broker_datas.push_back(broker_data_json(data));
  json queue_datas = json::array();
  for (const QueueData& queue : route.queue_datas) queue_datas.push_back(queue_data_json(queue));
  return dump(json{{"brokerDatas", std::move(broker_datas)},
                   {"filterServerTable", json::object()},
                   {"queueDatas", std::move(queue_datas)}});
}

std::string cluster_info_json(const ClusterInfo& info) {
  json brokers = json::object();
  for (const auto& [name, data] : info.broker_addr_table) brokers[name] = broker_data_json(data);
  json clusters = json::object();
  for (const auto& [cluster, names] : info.cluster_addr_table) {
    json list = json::array();
    for (const std::string& name : names) list.push_back(name);
    clusters[cluster] = std::move(list);
  }
  return dump(json{{"brokerAddrTable", std::move(brokers)}, {"clusterAddrTable", std::move(clusters)}});
}

std::string topic_list_json(const std::vector<std::string>& topics) {
  json list = json::array();
  for (const std::string& topic : topics) list.push_back(topic);
  return dump(json{{"topicList", std::move(list)}});
}

std::string data_version_json(const DataVersion& version) {
  return dump(json{{"counter", version.counter}, {"timestamp", version.timestamp}});
}

std::string kv_table_json(const std::map<std::string, std::string>& table) {
  json entries = json::object();
  for (const auto& [key, value] : table) entries[key] = value;
  return dump(json{{"table", std::move(entries)}});
}

DataVersion parse_data_version(std::string_view json_text, std::string_view what) {
  json value = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (value.is_discarded()) throw BodyError(std::string(what) + ": not valid JSON");
  if (!value.is_object()) throw BodyError(std::string(what) + ": not a JSON object");
  DataVersion version;
  version.timestamp = integer_field(value, "timestamp", what);
  version.counter = integer_field(value, "counter", what);
  return version;
}

}  // namespace rmq::namesrv
