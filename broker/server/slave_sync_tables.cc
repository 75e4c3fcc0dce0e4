// Parsing the leader's tables for the follower sync (see slave_sync_tables.h).
#include "broker/server/slave_sync_tables.h"

#include <stdexcept>

#include "broker/remoting/ext_fields.h"
#include "broker/store/config_file.h"

namespace rmq::server {
namespace {

nlohmann::json parse_object(std::string_view body, const char* what) {
  nlohmann::json json;
  try {
    json = store::parse_fastjson(body);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(what) + ": body is not JSON: " + e.what());
  }
  if (!json.is_object()) throw std::invalid_argument(std::string(what) + ": body is not a JSON object");
  return json;
}

const nlohmann::json& object_field(const nlohmann::json& json, const char* name, const char* what) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_object()) {
    throw std::invalid_argument(std::string(what) + ": field " + name + " is missing or not an object");
  }
  return *it;
}

DataVersion version_field(const nlohmann::json& json, const char* what) {
  const nlohmann::json& version = object_field(json, "dataVersion", what);
  auto counter = version.find("counter");
  auto timestamp = version.find("timestamp");
  if (counter == version.end() || !counter->is_number_integer() || timestamp == version.end() ||
      !timestamp->is_number_integer()) {
    throw std::invalid_argument(std::string(what) + ": dataVersion needs integer counter and timestamp");
  }
  return data_version_from_json(version);
}

std::int64_t integer_key(const std::string& key, const char* what) {
  const auto value = remoting::parse_java_long(key);
  if (!value) throw std::invalid_argument(std::string(what) + ": key \"" + key + "\" is not an integer");
  return *value;
}

}  // namespace

TopicTableBody parse_topic_table_body(std::string_view body) {
  constexpr const char* kWhat = "GET_ALL_TOPIC_CONFIG";
  const nlohmann::json json = parse_object(body, kWhat);
  TopicTableBody out;
  out.version = version_field(json, kWhat);
  for (const auto& [name, value] : object_field(json, "topicConfigTable", kWhat).items()) {
    TopicConfig config;
    try {
      config = topic_config_from_json(value);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string(kWhat) + ": topicConfigTable.\"" + name + "\": " + e.what());
    }
    if (auto problem = validate_topic_name(config.topic_name)) {
      throw std::invalid_argument(std::string(kWhat) + ": topicConfigTable.\"" + name + "\": " + *problem);
    }
    out.table[config.topic_name] = config;
  }
  return out;
}

GroupTableBody parse_group_table_body(std::string_view body) {
  constexpr const char* kWhat = "GET_ALL_SUBSCRIPTIONGROUP_CONFIG";
  const nlohmann::json json = parse_object(body, kWhat);
  GroupTableBody out;
  out.version = version_field(json, kWhat);
  for (const auto& [name, value] : object_field(json, "subscriptionGroupTable", kWhat).items()) {
    SubscriptionGroupConfig config;
    try {
      config = subscription_group_from_json(value);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string(kWhat) + ": subscriptionGroupTable.\"" + name + "\": " + e.what());
    }
    out.table[config.group_name] = config;
  }
  return out;
}

OffsetTable parse_offset_table_body(std::string_view body) {
  constexpr const char* kWhat = "GET_ALL_CONSUMER_OFFSET";
  const nlohmann::json json = parse_object(body, kWhat);
  OffsetTable out;
  for (const auto& [key, queues] : object_field(json, "offsetTable", kWhat).items()) {
    if (key.find('@') == std::string::npos) {
      throw std::invalid_argument(std::string(kWhat) + ": offsetTable key \"" + key + "\" is not topic@group");
    }
    if (!queues.is_object()) {
      throw std::invalid_argument(std::string(kWhat) + ": offsetTable.\"" + key + "\" is not an object");
    }
    auto& entry = out[key];
    for (const auto& [queue, offset] : queues.items()) {
      const std::int64_t queue_id = integer_key(queue, kWhat);
      if (queue_id < INT32_MIN || queue_id > INT32_MAX || !offset.is_number_integer()) {
        throw std::invalid_argument(std::string(kWhat) + ": offsetTable.\"" + key + "\".\"" + queue +
                                    "\" needs an int queue id and an integer offset");
      }
      entry[static_cast<std::int32_t>(queue_id)] = offset.get<std::int64_t>();
    }
  }
  return out;
}

std::map<std::int32_t, std::int64_t> parse_delay_offset_body(std::string_view body) {
  constexpr const char* kWhat = "GET_ALL_DELAY_OFFSET";
  const nlohmann::json json = parse_object(body, kWhat);
  std::map<std::int32_t, std::int64_t> out;
  for (const auto& [level, offset] : object_field(json, "offsetTable", kWhat).items()) {
    const std::int64_t value = integer_key(level, kWhat);
    if (value < 1 || value > INT32_MAX || !offset.is_number_integer()) {
      throw std::invalid_argument(std::string(kWhat) + ": offsetTable.\"" + level +
                                  "\" needs a level >= 1 and an integer offset");
    }
    out[static_cast<std::int32_t>(value)] = offset.get<std::int64_t>();
  }
  return out;
}

std::optional<std::string> master_address_from_cluster_info(std::string_view body, const std::string& broker_name) {
  constexpr const char* kWhat = "GET_BROKER_CLUSTER_INFO";
  const nlohmann::json json = parse_object(body, kWhat);
  const nlohmann::json& brokers = object_field(json, "brokerAddrTable", kWhat);
  auto data = brokers.find(broker_name);
  if (data == brokers.end() || !data->is_object()) return std::nullopt;
  auto addrs = data->find("brokerAddrs");
  if (addrs == data->end() || !addrs->is_object()) return std::nullopt;
  for (const auto& [id, address] : addrs->items()) {
    if (integer_key(id, kWhat) == 0 && address.is_string() && !address.get<std::string>().empty()) {
      return address.get<std::string>();
    }
  }
  return std::nullopt;
}

}  // namespace rmq::server
