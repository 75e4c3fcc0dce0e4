// Live consumers per group (4.9.x ConsumerManager / ConsumerGroupInfo): which clients, on which connections,
// with which subscriptions (remoting.md 4.5, 4.6).
//
// HEART_BEAT registers a client and its subscriptions; UNREGISTER_CLIENT, a closed connection, or 120 s
// without a heartbeat (scanned every 10 s) remove it. Whenever a group's set of clients changes, every
// remaining client of the group gets NOTIFY_CONSUMER_IDS_CHANGED (one-way, flag 2, the broker's own opaque)
// so that Java clients rebalance at once. State is only in memory: after a restart clients re-register
// within one heartbeat period. Thread-safe; notifications are sent outside the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/server/client_channel.h"
#include "broker/server/subscription_data.h"

namespace rmq::server {

inline constexpr std::int64_t kChannelExpiredTimeoutMs = 120000;

struct ConsumerGroupInfo {
  std::string group_name;
  std::string consume_type = "CONSUME_PASSIVELY";
  std::string message_model = "CLUSTERING";
  std::string consume_from_where = "CONSUME_FROM_LAST_OFFSET";
  std::map<std::uint64_t, ClientChannel> channels;  // by connection id
  std::map<std::string, SubscriptionData> subscriptions;  // by topic
  std::int64_t last_update_ms = 0;
};

class ConsumerManager {
 public:
  // `notify_enabled(group)` tells whether the group wants NOTIFY_CONSUMER_IDS_CHANGED (its subscription
  // group's notifyConsumerIdsChangedEnable); empty: always.
  explicit ConsumerManager(std::function<bool(const std::string& group)> notify_enabled = {});

  // Records (or refreshes) a client of `group`. Returns true when the group's client set changed.
  bool register_consumer(const std::string& group, const ClientChannel& channel, const std::string& consume_type,
                         const std::string& message_model, const std::string& consume_from_where,
                         const std::vector<SubscriptionData>& subscriptions, std::int64_t now_ms);
  // UNREGISTER_CLIENT for one group.
  void unregister_consumer(const std::string& group, std::uint64_t connection_id, const std::string& client_id);
  // The connection closed: drop it from every group.
  void on_connection_closed(std::uint64_t connection_id);
  // Drops channels whose last heartbeat is older than kChannelExpiredTimeoutMs; returns how many.
  std::size_t scan_expired(std::int64_t now_ms);

  std::optional<SubscriptionData> find_subscription(const std::string& group, const std::string& topic) const;
  std::optional<ConsumerGroupInfo> find_group(const std::string& group) const;
  std::vector<std::string> consumer_ids(const std::string& group) const;  // sorted
  std::vector<std::string> groups() const;

 private:
  void notify_group(const std::string& group);

  std::function<bool(const std::string&)> notify_enabled_;
  mutable std::mutex mutex_;
  std::map<std::string, ConsumerGroupInfo> table_;
};

class ProducerManager {
 public:
  void register_producer(const std::string& group, const ClientChannel& channel);
  void unregister_producer(const std::string& group, std::uint64_t connection_id);
  void on_connection_closed(std::uint64_t connection_id);
  std::size_t scan_expired(std::int64_t now_ms);
  std::vector<std::string> client_ids(const std::string& group) const;
  std::size_t group_count() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::uint64_t, ClientChannel>> table_;
};

}  // namespace rmq::server
