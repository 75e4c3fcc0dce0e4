// A topic's configuration (4.9.x TopicConfig), its JSON shape in topics.json and in the RegisterBrokerBody
// (storage.md 4, remoting.md 2.5), the permission bits (PermName) and the name rules (TopicValidator).
//
// Kept apart from the manager so that processors, registration and tests share one definition of what a
// topic is and how it is spelled on disk and on the wire. Pure data and functions; nothing survives a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rmq::server {

namespace perm {
inline constexpr std::int32_t kPriority = 0x8;
inline constexpr std::int32_t kRead = 0x4;
inline constexpr std::int32_t kWrite = 0x2;
inline constexpr std::int32_t kInherit = 0x1;
inline bool readable(std::int32_t p) { return (p & kRead) != 0; }
inline bool writeable(std::int32_t p) { return (p & kWrite) != 0; }
inline bool inherited(std::int32_t p) { return (p & kInherit) != 0; }
}  // namespace perm

inline constexpr std::string_view kRetryGroupTopicPrefix = "%RETRY%";
inline constexpr std::string_view kDlqGroupTopicPrefix = "%DLQ%";
inline constexpr std::string_view kDefaultTopic = "TBW102";  // TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC
inline constexpr std::string_view kSelfTestTopic = "SELF_TEST_TOPIC";
inline constexpr std::string_view kBenchmarkTopic = "BenchmarkTest";
inline constexpr std::string_view kOffsetMovedEvent = "OFFSET_MOVED_EVENT";
inline constexpr std::string_view kTransHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";
inline constexpr std::string_view kTransOpHalfTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
inline constexpr std::string_view kTransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC";
inline constexpr std::int32_t kMaxTopicLength = 127;

std::string retry_topic(std::string_view group);  // %RETRY%<group>
std::string dlq_topic(std::string_view group);    // %DLQ%<group>

struct TopicConfig {
  std::string topic_name;
  std::int32_t read_queue_nums = 16;
  std::int32_t write_queue_nums = 16;
  std::int32_t perm = perm::kRead | perm::kWrite;
  std::string topic_filter_type = "SINGLE_TAG";  // SINGLE_TAG / MULTI_TAG
  std::int32_t topic_sys_flag = 0;
  bool order = false;

  bool operator==(const TopicConfig&) const = default;
};

// {"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,
//  "writeQueueNums":8}
nlohmann::json to_json(const TopicConfig& config);
// Throws std::invalid_argument naming the field for a missing topicName or a value of the wrong type.
TopicConfig topic_config_from_json(const nlohmann::json& json);

// DataVersion: {"counter":N,"timestamp":ms}. Bumped on every change of a table so that the name server
// (and the config file) can tell new content from old.
struct DataVersion {
  std::int64_t timestamp_ms = 0;
  std::int64_t counter = 0;
  void next_version(std::int64_t now_ms) {
    timestamp_ms = now_ms;
    ++counter;
  }
  bool operator==(const DataVersion&) const = default;
};
nlohmann::json to_json(const DataVersion& version);
DataVersion data_version_from_json(const nlohmann::json& json);

// TopicValidator.validateTopic: empty, longer than 127, or characters outside [%|a-zA-Z0-9_-] give the
// remark Java writes; nullopt when the name is fine.
std::optional<std::string> validate_topic_name(std::string_view topic);
// A consumer group name must make a valid %RETRY%<group> / %DLQ%<group> topic: same characters as a
// topic, and short enough for the prefix (127 - 7). Checked before any group/topic is created from client
// input, so raw bytes from a ROCKETMQ binary header never reach a table or a JSON dump. nullopt when fine.
std::optional<std::string> validate_group_name(std::string_view group);
// The group a %RETRY%<group> or %DLQ%<group> topic belongs to (the text after the prefix, possibly empty);
// nullopt for any other topic. Every path that derives a group from a topic validates it with
// validate_group_name before the group or the topic is created.
std::optional<std::string> group_of_group_topic(std::string_view topic);
// JSON text for the wire and the files: invalid UTF-8 is replaced (U+FFFD), never thrown.
std::string dump_json(const nlohmann::json& value);
// Topics no client may send to (TopicValidator.isNotAllowedSendTopic).
bool is_not_allowed_send_topic(std::string_view topic);
// System topics (TopicValidator.isSystemTopic): the schedule, transaction, trace, benchmark ... topics.
bool is_system_topic(std::string_view topic, std::string_view cluster_name, std::string_view broker_name);

std::int64_t now_ms();  // wall clock, ms since the epoch

}  // namespace rmq::server
