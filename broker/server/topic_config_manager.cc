// The topic table and topics.json (see topic_config_manager.h).
#include "broker/server/topic_config_manager.h"

#include <algorithm>
#include <chrono>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "broker/store/config_file.h"
#include "broker/store/message_store.h"

namespace rmq::server {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

TopicConfig make_topic(std::string name, std::int32_t queues, std::int32_t perm_bits) {
  TopicConfig c;
  c.topic_name = std::move(name);
  c.read_queue_nums = queues;
  c.write_queue_nums = queues;
  c.perm = perm_bits;
  return c;
}

}  // namespace

TopicConfigManager::TopicConfigManager(const BrokerConfig& config, std::string config_path)
    : config_path_(std::move(config_path)),
      max_topic_queue_nums_(config.max_topic_queue_nums),
      auto_create_topic_max_nums_(config.auto_create_topic_max_nums) {
  const std::int32_t rw = perm::kRead | perm::kWrite;
  auto put = [this](TopicConfig c) { table_[c.topic_name] = std::move(c); };
  put(make_topic(std::string(kSelfTestTopic), 1, rw));
  if (config.auto_create_topic_enable) {
    put(make_topic(std::string(kDefaultTopic), config.default_topic_queue_nums, rw | perm::kInherit));
  }
  put(make_topic(std::string(kBenchmarkTopic), 1024, rw));
  put(make_topic(config.broker_cluster_name, 16, perm::kInherit | (config.cluster_topic_enable ? rw : 0)));
  put(make_topic(config.broker_name, 1, perm::kInherit | (config.broker_topic_enable ? rw : 0)));
  put(make_topic(std::string(kOffsetMovedEvent), 1, rw));
  put(make_topic(std::string(store::kScheduleTopic), 18, rw));
  if (config.trace_topic_enable) put(make_topic(config.msg_trace_topic_name, 1, rw));
  put(make_topic(config.broker_cluster_name + "_REPLY_TOPIC", 1, rw));
}

void TopicConfigManager::load() {
  if (config_path_.empty()) return;
  const auto file_json = store::load_config_object(config_path_);
  if (!file_json) return;
  const nlohmann::json& json = *file_json;
  std::lock_guard lock(mutex_);
  auto table = json.find("topicConfigTable");
  if (table != json.end() && table->is_object()) {
    for (auto it = table->begin(); it != table->end(); ++it) {
      // One bad entry is skipped with a warning naming it; it must not keep the broker from starting.
      try {
        TopicConfig c = topic_config_from_json(it.value());
        table_[c.topic_name] = c;
      } catch (const std::exception& e) {
        spdlog::warn("broker: {}: topicConfigTable.\"{}\" skipped: {}", config_path_, it.key(), e.what());
      }
    }
  }
  auto version = json.find("dataVersion");
  if (version != json.end()) data_version_ = data_version_from_json(*version);
}

void TopicConfigManager::persist() {
  if (config_path_.empty()) return;
  // Snapshot and write under one lock: two writers (send, pull, admin pools, housekeeping) can then never
  // rename an older snapshot over a newer one.
  std::lock_guard persist_lock(persist_mutex_);
  // Cleared before the snapshot: a change made after it sets the flag again, so it is never lost.
  dirty_.store(false);
  last_persist_ms_.store(steady_ms());
  try {
    store::write_config_file(config_path_, encode_pretty());
  } catch (...) {
    dirty_.store(true);
    throw;
  }
}

bool TopicConfigManager::persist_if_dirty() {
  if (!dirty_.load()) return false;
  persist();
  return true;
}

std::optional<std::string> TopicConfigManager::auto_create_refusal() const {
  std::lock_guard lock(mutex_);
  return auto_create_refusal_locked();
}

std::optional<std::string> TopicConfigManager::auto_create_refusal_locked() const {
  if (table_.size() < static_cast<std::size_t>(auto_create_topic_max_nums_)) return std::nullopt;
  return "the broker holds " + std::to_string(table_.size()) + " topics, the limit autoCreateTopicMaxNums=" +
         std::to_string(auto_create_topic_max_nums_) + " for auto-creating topics; create the topic with "
         "UPDATE_AND_CREATE_TOPIC (mqadmin updateTopic) instead";
}

std::optional<std::string> TopicConfigManager::queue_nums_problem(const std::string& topic,
                                                                  std::int32_t read_queue_nums,
                                                                  std::int32_t write_queue_nums) const {
  if (read_queue_nums < 0 || write_queue_nums < 0) {
    return "the topic[" + topic + "] queue nums must not be negative (read " + std::to_string(read_queue_nums) +
           ", write " + std::to_string(write_queue_nums) + ")";
  }
  if (read_queue_nums > max_topic_queue_nums_ || write_queue_nums > max_topic_queue_nums_) {
    return "the topic[" + topic + "] queue nums (read " + std::to_string(read_queue_nums) + ", write " +
           std::to_string(write_queue_nums) + ") are over the limit maxTopicQueueNums=" +
           std::to_string(max_topic_queue_nums_);
  }
  return std::nullopt;
}

void TopicConfigManager::set_change_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  change_listener_ = std::move(listener);
}

std::optional<TopicConfig> TopicConfigManager::select(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  auto it = table_.find(topic);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

std::optional<TopicConfig> TopicConfigManager::create_topic_in_send(const std::string& topic,
                                                                    const std::string& default_topic,
                                                                    std::int32_t queue_nums,
                                                                    std::int32_t topic_sys_flag,
                                                                    std::string* refused) {
  TopicConfig created;
  {
    std::lock_guard lock(mutex_);
    auto existing = table_.find(topic);
    if (existing != table_.end()) return existing->second;
    if (auto problem = validate_topic_name(topic)) {
      spdlog::warn("broker: topic \"{}\" not created: {}", topic, *problem);
      return std::nullopt;
    }
    if (auto reason = auto_create_refusal_locked()) {
      // Logged the first time and then every power-of-two-th time: a client looping over new topics must not
      // flood the log.
      const std::uint64_t n = auto_create_refusals_.fetch_add(1) + 1;
      if ((n & (n - 1)) == 0) spdlog::warn("broker: topic {} not auto-created ({} refused so far): {}", topic, n, *reason);
      if (refused != nullptr) *refused = *reason;
      return std::nullopt;
    }
    auto tmpl = table_.find(default_topic);
    if (tmpl == table_.end() || !perm::inherited(tmpl->second.perm)) {
      spdlog::warn("broker: cannot auto-create topic {}: template {} {}", topic, default_topic,
                   tmpl == table_.end() ? "does not exist" : "has no INHERIT permission");
      return std::nullopt;
    }
    created.topic_name = topic;
    const std::int32_t queues =
        std::max(1, std::min({queue_nums, tmpl->second.write_queue_nums, max_topic_queue_nums_}));
    created.read_queue_nums = queues;
    created.write_queue_nums = queues;
    created.perm = tmpl->second.perm & ~perm::kInherit;
    created.topic_sys_flag = topic_sys_flag;
    table_[topic] = created;
    changed_locked();
  }
  spdlog::info("broker: auto-created topic {} from {} with {} queues", topic, default_topic, created.write_queue_nums);
  after_change(true);
  return created;
}

TopicConfig TopicConfigManager::create_if_absent(const std::string& topic, std::int32_t queue_nums,
                                                 std::int32_t perm_bits, std::int32_t topic_sys_flag) {
  TopicConfig created;
  {
    std::lock_guard lock(mutex_);
    auto existing = table_.find(topic);
    if (existing != table_.end()) return existing->second;
    if (auto problem = validate_topic_name(topic)) {
      throw std::invalid_argument("topic \"" + topic + "\" not created: " + *problem);
    }
    created = make_topic(topic, std::min(queue_nums, max_topic_queue_nums_), perm_bits);
    created.topic_sys_flag = topic_sys_flag;
    table_[topic] = created;
    changed_locked();
  }
  spdlog::info("broker: created topic {} with {} queues", topic, created.write_queue_nums);
  after_change(true);
  return created;
}

void TopicConfigManager::update(const TopicConfig& config) {
  if (auto problem = validate_topic_name(config.topic_name)) {
    throw std::invalid_argument("topic \"" + config.topic_name + "\": " + *problem);
  }
  if (auto problem = queue_nums_problem(config.topic_name, config.read_queue_nums, config.write_queue_nums)) {
    throw std::invalid_argument(*problem);
  }
  {
    std::lock_guard lock(mutex_);
    table_[config.topic_name] = config;
    changed_locked();
  }
  spdlog::info("broker: topic {} updated (read {} write {} perm {})", config.topic_name, config.read_queue_nums,
               config.write_queue_nums, config.perm);
  after_change();
}

bool TopicConfigManager::replace_from_master(std::map<std::string, TopicConfig> table, const DataVersion& version) {
  {
    std::lock_guard lock(mutex_);
    if (data_version_ == version) return false;
    table_ = std::move(table);
    data_version_ = version;
  }
  try {
    persist();
  } catch (const std::exception& e) {
    spdlog::error("broker: cannot persist {}: {}", config_path_, e.what());
  }
  return true;
}

std::map<std::string, TopicConfig> TopicConfigManager::snapshot() const {
  std::lock_guard lock(mutex_);
  return table_;
}

DataVersion TopicConfigManager::data_version() const {
  std::lock_guard lock(mutex_);
  return data_version_;
}

nlohmann::json TopicConfigManager::wrapper_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json table = nlohmann::json::object();
  for (const auto& [name, config] : table_) table[name] = to_json(config);
  return nlohmann::json{{"dataVersion", to_json(data_version_)}, {"topicConfigTable", table}};
}

std::string TopicConfigManager::encode_pretty() const {
  return store::dump_fastjson(wrapper_json(), [](const std::vector<std::string>&) { return false; });
}

void TopicConfigManager::changed_locked() { data_version_.next_version(now_ms()); }

void TopicConfigManager::after_change(bool auto_created) {
  try {
    const std::int64_t last = last_persist_ms_.load();
    if (!auto_created || last == 0 || steady_ms() - last >= kAutoCreatePersistIntervalMs) {
      persist();
    } else {
      dirty_.store(true);
    }
  } catch (const std::exception& e) {
    spdlog::error("broker: cannot persist {}: {}", config_path_, e.what());
  }
  std::function<void()> listener;
  {
    std::lock_guard lock(mutex_);
    listener = change_listener_;
  }
  if (listener) listener();
}

}  // namespace rmq::server
