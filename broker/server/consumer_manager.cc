// Consumer and producer tables (see consumer_manager.h).
#include "broker/server/consumer_manager.h"

#include <algorithm>
#include <set>
#include <spdlog/spdlog.h>

#include "broker/remoting/remoting_codes.h"
#include "broker/remoting/remoting_command.h"

namespace rmq::server {

ConsumerManager::ConsumerManager(std::function<bool(const std::string&)> notify_enabled)
    : notify_enabled_(std::move(notify_enabled)) {}

bool ConsumerManager::register_consumer(const std::string& group, const ClientChannel& channel,
                                        const std::string& consume_type, const std::string& message_model,
                                        const std::string& consume_from_where,
                                        const std::vector<SubscriptionData>& subscriptions, std::int64_t now_ms) {
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    ConsumerGroupInfo& info = table_[group];
    info.group_name = group;
    info.consume_type = consume_type;
    info.message_model = message_model;
    info.consume_from_where = consume_from_where;
    info.last_update_ms = now_ms;
    auto it = info.channels.find(channel.connection_id);
    if (it == info.channels.end()) {
      info.channels[channel.connection_id] = channel;
      changed = true;
      spdlog::info("broker: new consumer {} in group {} on connection {}", channel.client_id, group,
                   channel.connection_id);
    } else {
      if (it->second.client_id != channel.client_id) changed = true;
      it->second = channel;
    }
    it = info.channels.find(channel.connection_id);
    it->second.last_update_ms = now_ms;
    // updateSubscription: add new and changed ones (a newer subVersion wins), drop topics no longer listed.
    std::set<std::string> listed;
    for (const SubscriptionData& sub : subscriptions) {
      listed.insert(sub.topic);
      auto existing = info.subscriptions.find(sub.topic);
      // 4.9.x ConsumerGroupInfo.updateSubscription: only a newer subVersion replaces (an older heartbeat
      // delivered late must not roll a subscription back).
      if (existing == info.subscriptions.end() || sub.sub_version > existing->second.sub_version) {
        info.subscriptions[sub.topic] = sub;
      }
    }
    if (!subscriptions.empty()) {
      for (auto s = info.subscriptions.begin(); s != info.subscriptions.end();) {
        s = listed.count(s->first) != 0 ? std::next(s) : info.subscriptions.erase(s);
      }
    }
  }
  if (changed) notify_group(group);
  return changed;
}

void ConsumerManager::unregister_consumer(const std::string& group, std::uint64_t connection_id,
                                          const std::string& client_id) {
  bool removed = false;
  {
    std::lock_guard lock(mutex_);
    auto it = table_.find(group);
    if (it == table_.end()) return;
    auto ch = it->second.channels.find(connection_id);
    if (ch == it->second.channels.end()) {
      // A client may unregister from another connection: match by client id.
      ch = std::find_if(it->second.channels.begin(), it->second.channels.end(),
                        [&](const auto& entry) { return entry.second.client_id == client_id; });
    }
    if (ch != it->second.channels.end()) {
      it->second.channels.erase(ch);
      removed = true;
    }
    if (it->second.channels.empty()) table_.erase(it);
  }
  if (removed) {
    spdlog::info("broker: consumer {} left group {}", client_id, group);
    notify_group(group);
  }
}

void ConsumerManager::on_connection_closed(std::uint64_t connection_id) {
  std::vector<std::string> changed_groups;
  {
    std::lock_guard lock(mutex_);
    for (auto it = table_.begin(); it != table_.end();) {
      if (it->second.channels.erase(connection_id) > 0) changed_groups.push_back(it->first);
      it = it->second.channels.empty() ? table_.erase(it) : std::next(it);
    }
  }
  for (const auto& group : changed_groups) notify_group(group);
}

std::size_t ConsumerManager::scan_expired(std::int64_t now_ms) {
  std::vector<std::string> changed_groups;
  std::vector<std::shared_ptr<remoting::Connection>> to_close;
  std::size_t removed = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto it = table_.begin(); it != table_.end();) {
      bool group_changed = false;
      for (auto ch = it->second.channels.begin(); ch != it->second.channels.end();) {
        if (now_ms - ch->second.last_update_ms > kChannelExpiredTimeoutMs) {
          spdlog::warn("broker: consumer {} of group {} sent no heartbeat for {} ms; removed", ch->second.client_id,
                       it->first, now_ms - ch->second.last_update_ms);
          if (auto conn = ch->second.connection.lock()) to_close.push_back(conn);
          ch = it->second.channels.erase(ch);
          group_changed = true;
          ++removed;
        } else {
          ++ch;
        }
      }
      if (group_changed) changed_groups.push_back(it->first);
      it = it->second.channels.empty() ? table_.erase(it) : std::next(it);
    }
  }
  for (auto& conn : to_close) conn->close();
  for (const auto& group : changed_groups) notify_group(group);
  return removed;
}

std::optional<SubscriptionData> ConsumerManager::find_subscription(const std::string& group,
                                                                   const std::string& topic) const {
  std::lock_guard lock(mutex_);
  auto it = table_.find(group);
  if (it == table_.end()) return std::nullopt;
  auto sub = it->second.subscriptions.find(topic);
  if (sub == it->second.subscriptions.end()) return std::nullopt;
  return sub->second;
}

std::optional<ConsumerGroupInfo> ConsumerManager::find_group(const std::string& group) const {
  std::lock_guard lock(mutex_);
  auto it = table_.find(group);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ConsumerManager::consumer_ids(const std::string& group) const {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    auto it = table_.find(group);
    if (it == table_.end()) return ids;
    for (const auto& [id, channel] : it->second.channels) ids.push_back(channel.client_id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::string> ConsumerManager::groups() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, info] : table_) out.push_back(name);
  return out;
}

void ConsumerManager::notify_group(const std::string& group) {
  if (notify_enabled_ && !notify_enabled_(group)) return;
  std::vector<std::shared_ptr<remoting::Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    auto it = table_.find(group);
    if (it == table_.end()) return;
    for (const auto& [id, channel] : it->second.channels) {
      if (auto conn = channel.connection.lock()) connections.push_back(conn);
    }
  }
  for (auto& conn : connections) {
    remoting::RemotingCommand request = remoting::make_oneway_request(remoting::request_code::kNotifyConsumerIdsChanged);
    request.ext_fields.set("consumerGroup", group);
    conn->invoke_oneway(std::move(request));
  }
}

void ProducerManager::register_producer(const std::string& group, const ClientChannel& channel) {
  std::lock_guard lock(mutex_);
  table_[group][channel.connection_id] = channel;
}

void ProducerManager::unregister_producer(const std::string& group, std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  auto it = table_.find(group);
  if (it == table_.end()) return;
  it->second.erase(connection_id);
  if (it->second.empty()) table_.erase(it);
}

void ProducerManager::on_connection_closed(std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  for (auto it = table_.begin(); it != table_.end();) {
    it->second.erase(connection_id);
    it = it->second.empty() ? table_.erase(it) : std::next(it);
  }
}

std::size_t ProducerManager::scan_expired(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    for (auto ch = it->second.begin(); ch != it->second.end();) {
      if (now_ms - ch->second.last_update_ms > kChannelExpiredTimeoutMs) {
        ch = it->second.erase(ch);
        ++removed;
      } else {
        ++ch;
      }
    }
    it = it->second.empty() ? table_.erase(it) : std::next(it);
  }
  return removed;
}

std::vector<std::string> ProducerManager::client_ids(const std::string& group) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  auto it = table_.find(group);
  if (it != table_.end()) {
    for (const auto& [id, channel] : it->second) ids.push_back(channel.client_id);
  }
  return ids;
}

std::size_t ProducerManager::group_count() const {
  std::lock_guard lock(mutex_);
  return table_.size();
}

}  // namespace rmq::server
