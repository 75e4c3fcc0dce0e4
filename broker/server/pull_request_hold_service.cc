// Parked pulls (see pull_request_hold_service.h).
#include "broker/server/pull_request_hold_service.h"

#include "broker/remoting/connection.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace rmq::server {
namespace {

std::string key_of(const std::string& topic, std::int32_t queue_id) { return topic + "@" + std::to_string(queue_id); }

}  // namespace

std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

PullRequestHoldService::PullRequestHoldService(
    std::function<void(HeldPull)> rerun, std::function<std::int64_t(const std::string&, std::int32_t)> max_offset,
    std::int64_t check_interval_ms)
    : rerun_(std::move(rerun)), max_offset_(std::move(max_offset)), check_interval_ms_(check_interval_ms) {}

PullRequestHoldService::~PullRequestHoldService() { shutdown(); }

void PullRequestHoldService::start() {
  std::lock_guard lock(mutex_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void PullRequestHoldService::hold(HeldPull pull) {
  const std::string key = key_of(pull.topic, pull.queue_id);
  const std::string topic = pull.topic;
  const std::int32_t queue_id = pull.queue_id;
  const std::int64_t offset = pull.offset;
  pull.on_connection = pull.responder.connection() != nullptr;
  {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      rerun_(std::move(pull));
      return;
    }
    table_[key].push_back(std::move(pull));
    wake_.notify_all();
  }
  // A message that arrived between the empty read and the parking above woke nobody: look again.
  if (max_offset_(topic, queue_id) > offset) notify_arrival(topic, queue_id, max_offset_(topic, queue_id));
}

void PullRequestHoldService::notify_arrival(const std::string& topic, std::int32_t queue_id,
                                            std::int64_t next_queue_offset) {
  auto woken = take(key_of(topic, queue_id), [next_queue_offset](const HeldPull& p) { return next_queue_offset > p.offset; });
  for (auto& pull : woken) rerun_(std::move(pull));
}

std::vector<HeldPull> PullRequestHoldService::take(const std::string& key,
                                                   const std::function<bool(const HeldPull&)>& should_wake) {
  std::vector<HeldPull> out;
  std::lock_guard lock(mutex_);
  auto it = table_.find(key);
  if (it == table_.end()) return out;
  auto& list = it->second;
  for (auto p = list.begin(); p != list.end();) {
    if (should_wake(*p)) {
      out.push_back(std::move(*p));
      p = list.erase(p);
    } else {
      ++p;
    }
  }
  if (list.empty()) table_.erase(it);
  return out;
}

void PullRequestHoldService::shutdown() {
  std::map<std::string, std::vector<HeldPull>> remaining;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && table_.empty() && !thread_.joinable()) return;
    stopping_ = true;
    remaining.swap(table_);
    wake_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  for (auto& [key, list] : remaining) {
    for (auto& pull : list) rerun_(std::move(pull));
  }
}

std::size_t PullRequestHoldService::held_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [key, list] : table_) n += list.size();
  return n;
}

static bool held_connection_gone(const HeldPull& pull) {
  if (!pull.on_connection) return false;
  auto connection = pull.responder.connection();
  return !connection || !connection->is_open();
}

void PullRequestHoldService::run() {
  // One bad round (an exception from a store read or a rerun) must not end the thread: parked pulls would
  // then never be answered. Log and go on.
  for (;;) {
    try {
      run_loop();
      return;
    } catch (const std::exception& e) {
      spdlog::error("broker: pull hold service: {}; continuing", e.what());
    } catch (...) {
      spdlog::error("broker: pull hold service: unknown exception; continuing");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void PullRequestHoldService::run_loop() {
  std::int64_t last_scan_ms = steady_now_ms();
  for (;;) {
    std::vector<std::string> keys;
    std::int64_t next_deadline = INT64_MAX;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      for (const auto& [key, list] : table_) {
        for (const auto& p : list) next_deadline = std::min(next_deadline, p.deadline_ms);
      }
      const std::int64_t now = steady_now_ms();
      const std::int64_t next_scan = last_scan_ms + check_interval_ms_;
      const std::int64_t wait_until = std::min(next_deadline, next_scan);
      if (wait_until > now) {
        wake_.wait_for(lock, std::chrono::milliseconds(wait_until - now));
        if (stopping_) return;
      }
      for (const auto& [key, list] : table_) keys.push_back(key);
    }
    const std::int64_t now = steady_now_ms();
    const bool scan = now - last_scan_ms >= check_interval_ms_;
    if (scan) last_scan_ms = now;
    for (const auto& key : keys) {
      // Split "topic@queueId" back (topic names cannot contain '@').
      const auto at = key.rfind('@');
      const std::string topic = key.substr(0, at);
      const std::int32_t queue_id = static_cast<std::int32_t>(std::stol(key.substr(at + 1)));
      // The periodic scan drops pulls whose connection is gone: nobody can read their answer.
      if (scan) {
        const auto dropped = take(key, held_connection_gone);
        if (!dropped.empty()) spdlog::debug("broker: dropped {} held pulls of closed connections", dropped.size());
      }
      const std::int64_t max_offset = scan ? max_offset_(topic, queue_id) : -1;
      auto woken = take(key, [&](const HeldPull& p) { return p.deadline_ms <= now || (scan && max_offset > p.offset); });
      for (auto& pull : woken) rerun_(std::move(pull));
    }
  }
}

}  // namespace rmq::server
