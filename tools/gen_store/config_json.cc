#include "tools/gen_store/config_json.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tools/gen_store/output_file.h"

namespace rmq::tools {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kScheduleTopic = "SCHEDULE_TOPIC_XXXX";
constexpr std::int32_t kScheduleQueues = 18;  // one per default delay level
constexpr const char* kRetryPrefix = "%RETRY%";

bool is_integer_key(const std::string& key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// fastjson PrettyFormat: beans one field per line; a Map with Integer keys prints its entries on one line
// with unquoted keys and puts the closing brace on its own line.
void print(const Json& value, int depth, bool unquote_integer_keys, std::string& out) {
  const std::string closing_indent(static_cast<std::size_t>(depth), '\t');
  if (!value.is_object()) {
    out += value.dump();
    return;
  }
  if (value.empty()) {
    out += "{}";
    return;
  }
  bool integer_map = unquote_integer_keys;
  for (const auto& item : value.items()) integer_map = integer_map && is_integer_key(item.key());
  if (integer_map) {
    out += '{';
    bool first = true;
    for (const auto& item : value.items()) {
      if (!first) out += ',';
      first = false;
      out += item.key();
      out += ':';
      print(item.value(), depth + 1, unquote_integer_keys, out);
    }
    out += '\n' + closing_indent + '}';
    return;
  }
  out += "{\n";
  bool first = true;
  for (const auto& item : value.items()) {
    if (!first) out += ",\n";
    first = false;
    out += std::string(static_cast<std::size_t>(depth + 1), '\t');
    out += Json(item.key()).dump();
    out += ':';
    print(item.value(), depth + 1, unquote_integer_keys, out);
  }
  out += '\n' + closing_indent + '}';
}

std::string pretty(const Json& value, bool unquote_integer_keys) {
  std::string out;
  print(value, 0, unquote_integer_keys, out);
  return out;
}

Json data_version(std::int64_t timestamp_ms, std::int64_t counter) {
  Json v = Json::object();
  v["counter"] = counter;
  v["timestamp"] = timestamp_ms;
  return v;
}

Json topic_config(const std::string& name, std::int32_t queue_count) {
  Json t = Json::object();
  t["order"] = false;
  t["perm"] = 6;
  t["readQueueNums"] = queue_count;
  t["topicFilterType"] = "SINGLE_TAG";
  t["topicName"] = name;
  t["topicSysFlag"] = 0;
  t["writeQueueNums"] = queue_count;
  return t;
}

std::set<std::string> consumer_groups(const std::vector<TopicSpec>& topics) {
  std::set<std::string> groups;
  for (const TopicSpec& topic : topics) groups.insert(topic.consumer_group);
  return groups;
}

}  // namespace

std::string topics_json(const std::vector<TopicSpec>& topics, std::int64_t timestamp_ms) {
  std::map<std::string, std::int32_t> table;
  for (const TopicSpec& topic : topics) table[topic.name] = topic.queue_count;
  for (const std::string& group : consumer_groups(topics)) table[kRetryPrefix + group] = 1;
  table[kScheduleTopic] = kScheduleQueues;
  Json root = Json::object();
  root["dataVersion"] = data_version(timestamp_ms, static_cast<std::int64_t>(table.size()));
  Json configs = Json::object();
  for (const auto& [name, queues] : table) configs[name] = topic_config(name, queues);
  root["topicConfigTable"] = configs;
  return pretty(root, false);
}

std::string consumer_offset_json(const std::vector<TopicSpec>& topics, const QueueCounts& counts) {
  std::map<std::string, Json> table;
  for (std::size_t t = 0; t < topics.size(); ++t) {
    Json offsets = Json::object();
    for (std::size_t q = 0; q < counts[t].size(); ++q) offsets[std::to_string(q)] = counts[t][q] * 3 / 4;
    table[topics[t].name + "@" + topics[t].consumer_group] = offsets;
  }
  for (const std::string& group : consumer_groups(topics)) {
    table[kRetryPrefix + group + "@" + group] = Json{{"0", 0}};
  }
  Json offset_table = Json::object();
  for (auto& [key, offsets] : table) offset_table[key] = std::move(offsets);
  Json root = Json::object();
  root["offsetTable"] = offset_table;
  return pretty(root, true);
}

std::string subscription_group_json(const std::vector<TopicSpec>& topics, std::int64_t timestamp_ms) {
  const std::set<std::string> groups = consumer_groups(topics);
  Json table = Json::object();
  for (const std::string& group : groups) {
    Json g = Json::object();
    g["brokerId"] = 0;
    g["consumeBroadcastEnable"] = true;
    g["consumeEnable"] = true;
    g["consumeFromMinEnable"] = true;
    g["groupName"] = group;
    g["notifyConsumerIdsChangedEnable"] = true;
    g["retryMaxTimes"] = 16;
    g["retryQueueNums"] = 1;
    g["whichBrokerWhenConsumeSlowly"] = 1;
    table[group] = g;
  }
  Json root = Json::object();
  root["dataVersion"] = data_version(timestamp_ms, static_cast<std::int64_t>(groups.size()));
  root["subscriptionGroupTable"] = table;
  return pretty(root, false);
}

std::string delay_offset_json() {
  Json root = Json::object();
  root["offsetTable"] = Json{{"1", 0}, {"2", 0}, {"3", 0}};
  return pretty(root, true);
}

void write_config_dir(const std::filesystem::path& config_dir, const std::vector<TopicSpec>& topics,
                      const QueueCounts& counts, std::int64_t timestamp_ms) {
  std::filesystem::create_directories(config_dir);
  write_new_text_file(config_dir / "topics.json", topics_json(topics, timestamp_ms));
  write_new_text_file(config_dir / "consumerOffset.json", consumer_offset_json(topics, counts));
  write_new_text_file(config_dir / "subscriptionGroup.json", subscription_group_json(topics, timestamp_ms));
  write_new_text_file(config_dir / "delayOffset.json", delay_offset_json());
}

}  // namespace rmq::tools
