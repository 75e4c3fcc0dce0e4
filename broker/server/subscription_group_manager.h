// Consumer groups' settings (4.9.x SubscriptionGroupManager), persisted as {root}/config/subscriptionGroup.json.
//
// A group is needed by PULL_MESSAGE, HEART_BEAT and CONSUMER_SEND_MSG_BACK (retry queue count, max retries).
// With autoCreateSubscriptionGroup=true (the default) a group is created on first use with Java's defaults
// (retryQueueNums 1, retryMaxTimes 16, whichBrokerWhenConsumeSlowly 1). Each creation bumps the DataVersion
// and is persisted: an admin update at once, an auto-create at most once per kAutoCreatePersistIntervalMs
// (the file holds every group, so writing it per create made creating groups quadratic), the rest by
// persist_if_dirty() from the broker's housekeeping or at shutdown. Crash: .tmp/.bak writes; a group lost
// from the file is recreated on next use.
//
// Limit (man rmq-broker(8) "Topic, queue and disk limits"): a group is auto-created only while the table holds
// fewer than autoCreateSubscriptionGroupMaxNums groups (the built-in ones included), so that clients naming
// ever new groups in heartbeats or pulls cannot grow the table and its file without bound. Groups that exist
// and UPDATE_AND_CREATE_SUBSCRIPTIONGROUP are not limited. The first refusal is logged, then every
// power-of-two-th one.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <climits>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/server/topic_config.h"

namespace rmq::server {

struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  std::int32_t retry_queue_nums = 1;
  std::int32_t retry_max_times = 16;
  std::int64_t broker_id = 0;
  std::int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
  bool operator==(const SubscriptionGroupConfig&) const = default;
};

nlohmann::json to_json(const SubscriptionGroupConfig& config);
SubscriptionGroupConfig subscription_group_from_json(const nlohmann::json& json);

class SubscriptionGroupManager {
 public:
  // `auto_create_max_nums`: autoCreateSubscriptionGroupMaxNums (no auto-create once the table holds this many).
  SubscriptionGroupManager(bool auto_create, std::string config_path,
                           std::int32_t auto_create_max_nums = INT32_MAX);

  // Throws std::runtime_error naming the file when it and its .bak are unusable; one bad entry is skipped
  // with a warning naming it.
  void load();
  void persist();
  bool persist_if_dirty();  // writes the file when an auto-create left it behind; true when it wrote

  // findSubscriptionGroupConfig: the group, auto-created when allowed and its name is valid
  // (validate_group_name); nullopt otherwise. When the autoCreateSubscriptionGroupMaxNums limit kept it from
  // being created, `refused` (if given) gets a one-line reason naming the key.
  std::optional<SubscriptionGroupConfig> find_or_create(const std::string& group, std::string* refused = nullptr);
  std::optional<SubscriptionGroupConfig> select(const std::string& group) const;
  void update(const SubscriptionGroupConfig& config);  // std::invalid_argument for an invalid group name

  // Follower sync in DLedger mode (slave_synchronize.h, upstream SlaveSynchronize.syncSubscriptionGroupConfig):
  // when `version` differs from ours, the whole table and its DataVersion become the leader's and are
  // persisted. Returns whether anything changed.
  bool replace_from_master(std::map<std::string, SubscriptionGroupConfig> table, const DataVersion& version);

  nlohmann::json to_json_document() const;
  std::string encode_pretty() const;

 private:
  const bool auto_create_;
  const std::string config_path_;
  const std::int32_t auto_create_max_nums_;
  std::atomic<std::uint64_t> refusals_{0};  // auto-creates refused by the limit (log throttle)
  mutable std::mutex mutex_;
  static constexpr std::int64_t kAutoCreatePersistIntervalMs = 1000;
  std::atomic<bool> dirty_{false};                // the table has changes the file lacks
  std::atomic<std::int64_t> last_persist_ms_{0};  // steady clock, ms; 0: never
  std::mutex persist_mutex_;  // held across snapshot + write + rename in persist()
  std::map<std::string, SubscriptionGroupConfig> table_;
  DataVersion data_version_;
};

}  // namespace rmq::server
