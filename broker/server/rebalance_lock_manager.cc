#include "broker/server/rebalance_lock_manager.h"

#include <chrono>

namespace rmq::server {

RebalanceLockManager::RebalanceLockManager(std::int64_t lock_max_live_ms, std::function<std::int64_t()> now_ms)
    : lock_max_live_ms_(lock_max_live_ms), now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

bool RebalanceLockManager::expired(const LockEntry& entry, std::int64_t now) const {
  return now - entry.last_update_ms > lock_max_live_ms_;
}

std::set<MessageQueueId> RebalanceLockManager::try_lock_batch(const std::string& group,
                                                              const std::set<MessageQueueId>& mqs,
                                                              const std::string& client_id) {
  std::set<MessageQueueId> locked;
  std::lock_guard lock(mutex_);
  const std::int64_t now = now_ms_();
  auto& group_table = table_[group];
  for (const auto& mq : mqs) {
    auto it = group_table.find(mq);
    if (it == group_table.end()) {
      group_table.emplace(mq, LockEntry{client_id, now});
      locked.insert(mq);
    } else if (it->second.client_id == client_id || expired(it->second, now)) {
      it->second.client_id = client_id;
      it->second.last_update_ms = now;
      locked.insert(mq);
    }
  }
  return locked;
}

void RebalanceLockManager::unlock_batch(const std::string& group, const std::set<MessageQueueId>& mqs,
                                        const std::string& client_id) {
  std::lock_guard lock(mutex_);
  auto group_it = table_.find(group);
  if (group_it == table_.end()) return;
  for (const auto& mq : mqs) {
    auto it = group_it->second.find(mq);
    if (it != group_it->second.end() && it->second.client_id == client_id) group_it->second.erase(it);
  }
  if (group_it->second.empty()) table_.erase(group_it);
}

bool RebalanceLockManager::is_locked_by(const std::string& group, const MessageQueueId& mq,
                                        const std::string& client_id) const {
  std::lock_guard lock(mutex_);
  auto group_it = table_.find(group);
  if (group_it == table_.end()) return false;
  auto it = group_it->second.find(mq);
  return it != group_it->second.end() && it->second.client_id == client_id && !expired(it->second, now_ms_());
}

}  // namespace rmq::server
