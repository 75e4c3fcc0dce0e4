// The broker's topic table (4.9.x TopicConfigManager), persisted as {root}/config/topics.json.
//
// A fresh broker starts with the system topics of remoting.md 4.12; topics.json entries loaded over them
// win. Topics are added by UPDATE_AND_CREATE_TOPIC, by a send to an unknown topic (auto-create from an
// INHERIT template such as TBW102), and by heartbeats / send-backs (%RETRY%, %DLQ%). Every change bumps the
// DataVersion, is persisted at once, and calls the change listener (the controller re-registers with the
// name servers, remoting.md 6 rule 13).
//
// Crash: the file is written with write_config_file (.tmp/.bak), so a crash leaves the old or new table;
// a topic auto-created just before a crash may be lost from the file, and is recreated on the next send.
//
// Cost of a create: topics.json holds every topic, so writing it is O(topics). UPDATE_AND_CREATE_TOPIC writes
// it at once; auto-creates (send, %RETRY%, %DLQ%) write it at most once per kAutoCreatePersistIntervalMs and
// otherwise leave it to persist_if_dirty() (the broker's housekeeping, every flushConsumerOffsetInterval) or
// shutdown. Writing it on every auto-create made creating topics quadratic: 17 s for the first 1,000 topics,
// 45 s for the second, 56 s for the third.
//
// Limits (man rmq-broker(8) "Topic, queue and disk limits"): no topic gets more than maxTopicQueueNums read
// or write queues, and a send auto-creates a topic only while the table holds fewer than
// autoCreateTopicMaxNums topics (the first refusal is logged, then every power-of-two-th one).
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/server/broker_config.h"
#include "broker/server/topic_config.h"

namespace rmq::server {

class TopicConfigManager {
 public:
  // `config_path` is {root}/config/topics.json; empty: never persisted (tests).
  TopicConfigManager(const BrokerConfig& config, std::string config_path);

  // Loads topics.json (or .bak). Missing is fine. Throws std::runtime_error naming the file when it exists
  // but neither it nor its .bak parses; one bad entry is skipped with a warning naming it.
  void load();
  void persist();
  // Writes the file when an auto-create left it behind the table. Returns true when it wrote.
  bool persist_if_dirty();

  void set_change_listener(std::function<void()> listener);

  std::optional<TopicConfig> select(const std::string& topic) const;

  // createTopicInSendMessageMethod: a new topic from the template `default_topic` (must exist with
  // INHERIT); queues = min(queue_nums, template write queues); perm = template perm without INHERIT.
  // Returns the existing config when the topic already exists, nullopt when it cannot be made.
  // Also nullopt (with `refused` set to a one-line reason) when the autoCreateTopicMaxNums limit is reached.
  // Queues are capped at maxTopicQueueNums.
  std::optional<TopicConfig> create_topic_in_send(const std::string& topic, const std::string& default_topic,
                                                  std::int32_t queue_nums, std::int32_t topic_sys_flag,
                                                  std::string* refused = nullptr);
  // Why a send may not auto-create one more topic (autoCreateTopicMaxNums reached), or nullopt.
  std::optional<std::string> auto_create_refusal() const;
  // Why a topic may not have this many queues (over maxTopicQueueNums, or negative), or nullopt.
  std::optional<std::string> queue_nums_problem(const std::string& topic, std::int32_t read_queue_nums,
                                                std::int32_t write_queue_nums) const;
  // createTopicInSendMessageBackMethod and the %RETRY%/%DLQ% creation: the topic with the given shape if it
  // does not exist yet (queues capped at maxTopicQueueNums); returns the (existing or new) config.
  TopicConfig create_if_absent(const std::string& topic, std::int32_t queue_nums, std::int32_t perm_bits,
                               std::int32_t topic_sys_flag);
  // UPDATE_AND_CREATE_TOPIC: create or overwrite; std::invalid_argument for a bad name or queue count.
  void update(const TopicConfig& config);

  // Follower sync in DLedger mode (slave_synchronize.h, upstream SlaveSynchronize.syncTopicConfig): when
  // `version` differs from ours, the whole table and its DataVersion become the leader's and are persisted.
  // Returns whether anything changed. The change listener is not called (a follower's topics are not routes).
  bool replace_from_master(std::map<std::string, TopicConfig> table, const DataVersion& version);

  std::map<std::string, TopicConfig> snapshot() const;
  DataVersion data_version() const;
  // {"dataVersion":{...},"topicConfigTable":{...}}: the TopicConfigSerializeWrapper (file and registration).
  nlohmann::json wrapper_json() const;
  // The topics.json text (fastjson pretty).
  std::string encode_pretty() const;

 private:
  void changed_locked();  // bump version (caller holds mutex_)
  std::optional<std::string> auto_create_refusal_locked() const;
  // persist (at once, or for an auto-create at most once per kAutoCreatePersistIntervalMs) + notify; without
  // the mutex.
  void after_change(bool auto_created = false);

  static constexpr std::int64_t kAutoCreatePersistIntervalMs = 1000;

  const std::string config_path_;
  const std::int32_t max_topic_queue_nums_;
  const std::int32_t auto_create_topic_max_nums_;
  std::atomic<std::uint64_t> auto_create_refusals_{0};  // sends refused by autoCreateTopicMaxNums (log throttle)
  std::atomic<bool> dirty_{false};                 // the table has changes the file lacks
  std::atomic<std::int64_t> last_persist_ms_{0};   // steady clock, ms; 0: never
  mutable std::mutex mutex_;
  std::mutex persist_mutex_;  // held across snapshot + write + rename in persist()
  std::map<std::string, TopicConfig> table_;
  DataVersion data_version_;
  std::function<void()> change_listener_;
};

}  // namespace rmq::server
