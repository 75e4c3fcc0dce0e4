// Subscription groups and subscriptionGroup.json (see subscription_group_manager.h).
#include "broker/server/subscription_group_manager.h"

#include <cassert>
#include <chrono>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "broker/store/config_file.h"

namespace rmq::server {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

nlohmann::json to_json(const SubscriptionGroupConfig& c) {
  return nlohmann::json{{"brokerId", c.broker_id},
                        {"consumeBroadcastEnable", c.consume_broadcast_enable},
                        {"consumeEnable", c.consume_enable},
                        {"consumeFromMinEnable", c.consume_from_min_enable},
                        {"groupName", c.group_name},
                        {"notifyConsumerIdsChangedEnable", c.notify_consumer_ids_changed_enable},
                        {"retryMaxTimes", c.retry_max_times},
                        {"retryQueueNums", c.retry_queue_nums},
                        {"whichBrokerWhenConsumeSlowly", c.which_broker_when_consume_slowly}};
}

SubscriptionGroupConfig subscription_group_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw std::invalid_argument("group config is not an object");
  SubscriptionGroupConfig c;
  c.group_name = store::config_field<std::string>(json, "groupName", "");
  if (c.group_name.empty()) throw std::invalid_argument("group config without groupName");
  c.broker_id = store::config_field<std::int64_t>(json, "brokerId", 0);
  c.consume_broadcast_enable = store::config_field<bool>(json, "consumeBroadcastEnable", true);
  c.consume_enable = store::config_field<bool>(json, "consumeEnable", true);
  c.consume_from_min_enable = store::config_field<bool>(json, "consumeFromMinEnable", true);
  c.notify_consumer_ids_changed_enable = store::config_field<bool>(json, "notifyConsumerIdsChangedEnable", true);
  c.retry_max_times = store::config_field<std::int32_t>(json, "retryMaxTimes", 16);
  c.retry_queue_nums = store::config_field<std::int32_t>(json, "retryQueueNums", 1);
  c.which_broker_when_consume_slowly = store::config_field<std::int64_t>(json, "whichBrokerWhenConsumeSlowly", 1);
  return c;
}

SubscriptionGroupManager::SubscriptionGroupManager(bool auto_create, std::string config_path,
                                                   std::int32_t auto_create_max_nums)
    : auto_create_(auto_create), config_path_(std::move(config_path)), auto_create_max_nums_(auto_create_max_nums) {
  assert(auto_create_max_nums >= 0);
  // 4.9.x SubscriptionGroupManager.init: the built-in groups.
  for (const char* name : {"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
                           "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_RMQ_SYS_TRANS"}) {
    SubscriptionGroupConfig c;
    c.group_name = name;
    table_[name] = c;
  }
}

void SubscriptionGroupManager::load() {
  if (config_path_.empty()) return;
  const auto file_json = store::load_config_object(config_path_);
  if (!file_json) return;
  const nlohmann::json& json = *file_json;
  std::lock_guard lock(mutex_);
  auto table = json.find("subscriptionGroupTable");
  if (table != json.end() && table->is_object()) {
    for (auto it = table->begin(); it != table->end(); ++it) {
      // One bad entry (a group without a name, a field of the wrong type) is skipped with a warning: it must
      // not keep the broker from starting. A file that does not parse at all is still refused (load_config_object).
      try {
        auto c = subscription_group_from_json(it.value());
        table_[c.group_name] = c;
      } catch (const std::exception& e) {
        spdlog::warn("broker: {}: subscriptionGroupTable.\"{}\" skipped: {}", config_path_, it.key(), e.what());
      }
    }
  }
  auto version = json.find("dataVersion");
  if (version != json.end()) data_version_ = data_version_from_json(*version);
}

void SubscriptionGroupManager::persist() {
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

bool SubscriptionGroupManager::persist_if_dirty() {
  if (!dirty_.load()) return false;
  persist();
  return true;
}

std::optional<SubscriptionGroupConfig> SubscriptionGroupManager::find_or_create(const std::string& group,
                                                                                 std::string* refused) {
  SubscriptionGroupConfig created;
  {
    std::lock_guard lock(mutex_);
    auto it = table_.find(group);
    if (it != table_.end()) return it->second;
    if (!auto_create_) return std::nullopt;
    // Never create (and persist) a group the loader or a client could not use again.
    if (auto problem = validate_group_name(group)) {
      spdlog::warn("broker: subscription group \"{}\" not created: {}", group, *problem);
      return std::nullopt;
    }
    if (table_.size() >= static_cast<std::size_t>(auto_create_max_nums_)) {
      std::string reason = "the broker holds " + std::to_string(table_.size()) +
                           " subscription groups, the limit autoCreateSubscriptionGroupMaxNums=" +
                           std::to_string(auto_create_max_nums_) +
                           " for auto-creating groups; create the group with UPDATE_AND_CREATE_SUBSCRIPTIONGROUP "
                           "(mqadmin updateSubGroup) instead";
      const std::uint64_t n = refusals_.fetch_add(1) + 1;
      if ((n & (n - 1)) == 0) {
        spdlog::warn("broker: subscription group {} not auto-created ({} refused so far): {}", group, n, reason);
      }
      if (refused != nullptr) *refused = std::move(reason);
      return std::nullopt;
    }
    created.group_name = group;
    table_[group] = created;
    data_version_.next_version(now_ms());
  }
  spdlog::info("broker: auto-created subscription group {}", group);
  try {
    const std::int64_t last = last_persist_ms_.load();
    if (last == 0 || steady_ms() - last >= kAutoCreatePersistIntervalMs) {
      persist();
    } else {
      dirty_.store(true);
    }
  } catch (const std::exception& e) {
    spdlog::error("broker: cannot persist {}: {}", config_path_, e.what());
  }
  return created;
}

std::optional<SubscriptionGroupConfig> SubscriptionGroupManager::select(const std::string& group) const {
  std::lock_guard lock(mutex_);
  auto it = table_.find(group);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

void SubscriptionGroupManager::update(const SubscriptionGroupConfig& config) {
  if (auto problem = validate_group_name(config.group_name)) {
    throw std::invalid_argument("subscription group \"" + config.group_name + "\": " + *problem);
  }
  {
    std::lock_guard lock(mutex_);
    table_[config.group_name] = config;
    data_version_.next_version(now_ms());
  }
  persist();
}

bool SubscriptionGroupManager::replace_from_master(std::map<std::string, SubscriptionGroupConfig> table,
                                                   const DataVersion& version) {
  {
    std::lock_guard lock(mutex_);
    if (data_version_ == version) return false;
    table_ = std::move(table);
    data_version_ = version;
  }
  persist();
  return true;
}

nlohmann::json SubscriptionGroupManager::to_json_document() const {
  std::lock_guard lock(mutex_);
  nlohmann::json table = nlohmann::json::object();
  for (const auto& [name, config] : table_) table[name] = to_json(config);
  return nlohmann::json{{"dataVersion", to_json(data_version_)}, {"subscriptionGroupTable", table}};
}

std::string SubscriptionGroupManager::encode_pretty() const {
  return store::dump_fastjson(to_json_document(), [](const std::vector<std::string>&) { return false; });
}

}  // namespace rmq::server
