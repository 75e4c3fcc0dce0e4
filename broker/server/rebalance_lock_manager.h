// Queue locks for orderly consumers (4.9.x RebalanceLockManager; LOCK_BATCH_MQ 41 / UNLOCK_BATCH_MQ 42,
// remoting.md 4.9).
//
// A client of a consumer group holds a queue while it renews the lock within lock_max_live_ms; a lock not
// renewed for longer than that is free for any other client of the group. State is only in memory: after a
// broker restart every queue is unlocked, as in Java (clients re-lock every 20 s). Thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace rmq::server {

struct MessageQueueId {
  std::string topic;
  std::string broker_name;
  std::int32_t queue_id = 0;
  auto operator<=>(const MessageQueueId&) const = default;
  bool operator==(const MessageQueueId&) const = default;
};

class RebalanceLockManager {
 public:
  // now_ms: the clock (ms); empty = steady clock.
  explicit RebalanceLockManager(std::int64_t lock_max_live_ms = 60000, std::function<std::int64_t()> now_ms = {});

  // Grants each mq that is unlocked, held by client_id already, or whose lock expired; refreshes the
  // timestamp of every granted one. Returns the mqs client_id now holds (of those asked for).
  std::set<MessageQueueId> try_lock_batch(const std::string& group, const std::set<MessageQueueId>& mqs,
                                          const std::string& client_id);

  // Releases the locks of `mqs` that client_id holds; locks held by others are left alone.
  void unlock_batch(const std::string& group, const std::set<MessageQueueId>& mqs, const std::string& client_id);

  // Whether client_id holds a live lock on mq (for tests and diagnostics).
  bool is_locked_by(const std::string& group, const MessageQueueId& mq, const std::string& client_id) const;

 private:
  struct LockEntry {
    std::string client_id;
    std::int64_t last_update_ms = 0;
  };
  bool expired(const LockEntry& entry, std::int64_t now) const;

  std::int64_t lock_max_live_ms_;
  std::function<std::int64_t()> now_ms_;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<MessageQueueId, LockEntry>> table_;  // group -> mq -> lock
};

}  // namespace rmq::server
