// TopicConfig JSON and the topic name rules (see topic_config.h).
#include "broker/server/topic_config.h"

#include <chrono>
#include <stdexcept>

#include "broker/store/config_file.h"
#include "broker/store/dledger_noop.h"
#include "broker/store/message_store.h"

namespace rmq::server {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string retry_topic(std::string_view group) { return std::string(kRetryGroupTopicPrefix) + std::string(group); }
std::string dlq_topic(std::string_view group) { return std::string(kDlqGroupTopicPrefix) + std::string(group); }

nlohmann::json to_json(const TopicConfig& c) {
  return nlohmann::json{{"order", c.order},
                        {"perm", c.perm},
                        {"readQueueNums", c.read_queue_nums},
                        {"topicFilterType", c.topic_filter_type},
                        {"topicName", c.topic_name},
                        {"topicSysFlag", c.topic_sys_flag},
                        {"writeQueueNums", c.write_queue_nums}};
}

TopicConfig topic_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw std::invalid_argument("topic config is not an object");
  TopicConfig c;
  c.topic_name = store::config_field<std::string>(json, "topicName", "");
  if (c.topic_name.empty()) throw std::invalid_argument("topic config without topicName");
  c.read_queue_nums = store::config_field<std::int32_t>(json, "readQueueNums", 16);
  c.write_queue_nums = store::config_field<std::int32_t>(json, "writeQueueNums", 16);
  c.perm = store::config_field<std::int32_t>(json, "perm", 6);
  c.topic_filter_type = store::config_field<std::string>(json, "topicFilterType", "SINGLE_TAG");
  c.topic_sys_flag = store::config_field<std::int32_t>(json, "topicSysFlag", 0);
  c.order = store::config_field<bool>(json, "order", false);
  if (c.read_queue_nums < 0 || c.write_queue_nums < 0) {
    throw std::invalid_argument("topic " + c.topic_name + ": negative queue count");
  }
  return c;
}

nlohmann::json to_json(const DataVersion& v) {
  return nlohmann::json{{"counter", v.counter}, {"timestamp", v.timestamp_ms}};
}

DataVersion data_version_from_json(const nlohmann::json& json) {
  DataVersion v;
  if (!json.is_object()) return v;
  v.counter = store::config_field<std::int64_t>(json, "counter", 0);
  v.timestamp_ms = store::config_field<std::int64_t>(json, "timestamp", 0);
  return v;
}

std::optional<std::string> validate_topic_name(std::string_view topic) {
  if (topic.empty()) return std::string("The specified topic is blank.");
  if (topic.size() > static_cast<std::size_t>(kMaxTopicLength)) {
    return std::string("The specified topic is longer than topic max length.");
  }
  for (char ch : topic) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '%' ||
                    ch == '|' || ch == '_' || ch == '-';
    if (!ok) {
      return "The specified topic[" + std::string(topic) + "] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$";
    }
  }
  return std::nullopt;
}

std::optional<std::string> validate_group_name(std::string_view group) {
  if (group.empty()) return std::string("The specified group is blank.");
  if (group.size() + kRetryGroupTopicPrefix.size() > static_cast<std::size_t>(kMaxTopicLength)) {
    return "The specified group is longer than " +
           std::to_string(static_cast<std::size_t>(kMaxTopicLength) - kRetryGroupTopicPrefix.size()) + " bytes.";
  }
  for (char ch : group) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '%' ||
                    ch == '|' || ch == '_' || ch == '-';
    if (!ok) return std::string("The specified group contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$");
  }
  return std::nullopt;
}

std::optional<std::string> group_of_group_topic(std::string_view topic) {
  if (topic.starts_with(kRetryGroupTopicPrefix)) return std::string(topic.substr(kRetryGroupTopicPrefix.size()));
  if (topic.starts_with(kDlqGroupTopicPrefix)) return std::string(topic.substr(kDlqGroupTopicPrefix.size()));
  return std::nullopt;
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Upstream's TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET (4.9.x: the schedule, transaction, self-test and
// offset-moved topics), plus the topic of the DLedger no-op entries, which only the Raft leader writes
// (dledger_noop.h): a client message there would look like a no-op to every tool that reads the store.
bool is_not_allowed_send_topic(std::string_view topic) {
  return topic == store::kScheduleTopic || topic == kTransHalfTopic || topic == kTransOpHalfTopic ||
         topic == kTransCheckMaxTimeTopic || topic == "RMQ_SYS_TRANS_OP_HALF_TOPIC" || topic == kSelfTestTopic ||
         topic == kOffsetMovedEvent || topic == store::kDLedgerNoopTopic;
}

bool is_system_topic(std::string_view topic, std::string_view cluster_name, std::string_view broker_name) {
  if (is_not_allowed_send_topic(topic)) return true;
  if (topic == kDefaultTopic || topic == kSelfTestTopic || topic == kBenchmarkTopic || topic == kOffsetMovedEvent ||
      topic == "RMQ_SYS_TRACE_TOPIC" || topic == cluster_name || topic == broker_name) {
    return true;
  }
  return topic.starts_with("rmq_sys_") || topic.starts_with("RMQ_SYS_");
}

}  // namespace rmq::server
