// An in-memory MessageStore for unit tests of the broker's processors and services.
//
// It behaves like the real store as far as a processor can see: queue offsets are assigned per (topic, queue id),
// physical offsets are the running sum of encoded record sizes, every record is sealed and encoded with the real
// codec (store/message_record.h) so read_record / get_messages / query_messages return real stored-record bytes,
// the consume-queue tags code is tags_hash_code(TAGS) (or, for SCHEDULE_TOPIC_XXXX, the delivery time = store time
// + the DELAY level's delay), and get_messages follows the status table of remoting.md 4.3 step 5.
//
// Test hooks: an injectable clock (store timestamps), fail_puts_with() to make puts fail with a given status,
// set_min_offset() to simulate deleted queue heads, and accessors for what was stored. Every put completes
// synchronously on the calling thread: the callback runs first, then the arrival listeners (outside the lock).
// Nothing survives the object, so "crash" tests must use the real store.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/store/message_properties.h"
#include "broker/store/message_record.h"
#include "broker/store/message_store.h"

namespace rmq::test_support {

class FakeMessageStore final : public rmq::store::MessageStore {
 public:
  using Clock = std::function<std::int64_t()>;

  // store_host: written as STOREHOST of every record. delay_level_ms: level 1 is [0]; empty = the default
  // "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".
  explicit FakeMessageStore(rmq::store::HostAddress store_host = {{127, 0, 0, 1}, 10911},
                            std::vector<std::int64_t> delay_level_ms = {}, Clock now_ms = {})
      : store_host_(std::move(store_host)), delay_level_ms_(std::move(delay_level_ms)), now_ms_(std::move(now_ms)) {
    if (delay_level_ms_.empty()) {
      delay_level_ms_ = {1000,   5000,   10000,  30000,  60000,  120000,  180000,  240000,  300000,
                         360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000, 7200000};
    }
    if (!now_ms_) {
      now_ms_ = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      };
    }
  }

  // ---- test hooks ----
  void set_clock(Clock now_ms) {
    std::lock_guard lock(mutex_);
    now_ms_ = std::move(now_ms);
  }
  // While set, every put fails with this status (and stores nothing). nullopt: puts succeed again.
  void fail_puts_with(std::optional<rmq::store::PutStatus> status) {
    std::lock_guard lock(mutex_);
    fail_status_ = status;
  }
  // Pretends the queue's entries below `min_offset` were deleted (OFFSET_TOO_SMALL below it).
  void set_min_offset(std::string_view topic, std::int32_t queue_id, std::int64_t min_offset) {
    std::lock_guard lock(mutex_);
    queues_[QueueKey{std::string(topic), queue_id}].min_offset = min_offset;
  }
  // Decoded copies of the records of one queue, in queue order (from the min offset).
  std::vector<rmq::store::MessageRecord> records_in_queue(std::string_view topic, std::int32_t queue_id) {
    std::lock_guard lock(mutex_);
    std::vector<rmq::store::MessageRecord> out;
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    if (it == queues_.end()) return out;
    for (std::size_t i = static_cast<std::size_t>(it->second.min_offset); i < it->second.entries.size(); ++i) {
      out.push_back(records_.at(it->second.entries[i].record_index).record);
    }
    return out;
  }
  // The consume-queue tags code of the entry at queue_offset, or nullopt.
  std::optional<std::int64_t> tags_code_at(std::string_view topic, std::int32_t queue_id, std::int64_t queue_offset) {
    std::lock_guard lock(mutex_);
    const QueueEntry* entry = find_entry(topic, queue_id, queue_offset);
    if (entry == nullptr) return std::nullopt;
    return entry->tags_code;
  }
  std::int64_t put_count() {
    std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(records_.size());
  }
  bool is_shut_down() {
    std::lock_guard lock(mutex_);
    return shut_down_;
  }

  // ---- MessageStore ----
  void put_message(rmq::store::MessageRecord message, rmq::store::PutCallback done) override {
    std::vector<rmq::store::MessageRecord> batch;
    batch.push_back(std::move(message));
    put_messages(std::move(batch), std::move(done));
  }

  void put_messages(std::vector<rmq::store::MessageRecord> batch, rmq::store::PutCallback done) override {
    rmq::store::PutResult result;
    std::vector<std::pair<QueueKey, std::int64_t>> arrivals;
    std::vector<rmq::store::ArrivalListener> listeners;
    {
      std::lock_guard lock(mutex_);
      result = put_locked(batch, arrivals);
      listeners = listeners_;
    }
    if (done) done(result);
    for (const auto& [key, next_offset] : arrivals) {
      for (const auto& listener : listeners) listener(key.topic, key.queue_id, next_offset);
    }
  }

  rmq::store::GetResult get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset,
                                     std::int32_t max_count, std::int64_t max_bytes,
                                     const rmq::store::TagsCodeFilter& filter) override {
    using rmq::store::GetStatus;
    std::lock_guard lock(mutex_);
    ++get_message_count_;
    rmq::store::GetResult result;
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    if (it == queues_.end()) {
      result.status = GetStatus::kNoMatchedLogicQueue;
      result.next_begin_offset = 0;
      return result;
    }
    const Queue& queue = it->second;
    const std::int64_t min = queue.min_offset;
    const std::int64_t max = static_cast<std::int64_t>(queue.entries.size());
    result.min_offset = min;
    result.max_offset = max;
    if (max == 0) {
      result.status = GetStatus::kNoMessageInQueue;
      result.next_begin_offset = 0;
    } else if (offset < min) {
      result.status = GetStatus::kOffsetTooSmall;
      result.next_begin_offset = min;
    } else if (offset == max) {
      result.status = GetStatus::kOffsetOverflowOne;
      result.next_begin_offset = offset;
    } else if (offset > max) {
      result.status = GetStatus::kOffsetOverflowBadly;
      result.next_begin_offset = max;
    } else {
      // Java scans at most max(16000 bytes of consume queue, maxMsgNums entries) per pull.
      const std::int64_t scan_limit = std::max<std::int64_t>(800, max_count);
      std::int64_t position = offset;
      std::int64_t total_bytes = 0;
      while (position < max && position - offset < scan_limit && result.message_count < max_count) {
        const QueueEntry& entry = queue.entries[static_cast<std::size_t>(position)];
        if (filter && !filter(entry.tags_code)) {
          ++position;
          continue;
        }
        const common::Bytes& bytes = records_.at(entry.record_index).bytes;
        if (result.message_count > 0 && total_bytes + static_cast<std::int64_t>(bytes.size()) > max_bytes) break;
        result.records.insert(result.records.end(), bytes.begin(), bytes.end());
        total_bytes += static_cast<std::int64_t>(bytes.size());
        ++result.message_count;
        ++position;
      }
      result.next_begin_offset = position;
      result.status = result.message_count > 0 ? GetStatus::kFound : GetStatus::kNoMatchedMessage;
    }
    return result;
  }

  std::int64_t max_offset_in_queue(std::string_view topic, std::int32_t queue_id) override {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    return it == queues_.end() ? 0 : static_cast<std::int64_t>(it->second.entries.size());
  }

  std::int64_t min_offset_in_queue(std::string_view topic, std::int32_t queue_id) override {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    return it == queues_.end() ? 0 : it->second.min_offset;
  }

  std::int64_t offset_by_timestamp(std::string_view topic, std::int32_t queue_id, std::int64_t timestamp_ms) override {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    if (it == queues_.end()) return 0;
    const Queue& queue = it->second;
    const auto size = static_cast<std::int64_t>(queue.entries.size());
    if (queue.min_offset >= size) return 0;
    // The first entry stored at exactly timestamp_ms; else the nearer of the last one before and the first one
    // after (the earlier on a tie), as ConsumeQueue.getOffsetInQueueByTime.
    std::int64_t left = -1;
    std::int64_t right = -1;
    for (std::int64_t i = queue.min_offset; i < size; ++i) {
      const std::int64_t time = store_time_of(queue.entries[static_cast<std::size_t>(i)]);
      if (time == timestamp_ms) return i;
      if (time < timestamp_ms) left = i;
      if (time > timestamp_ms && right < 0) right = i;
    }
    if (left < 0) return right;
    if (right < 0) return left;
    const std::int64_t left_gap = timestamp_ms - store_time_of(queue.entries[static_cast<std::size_t>(left)]);
    const std::int64_t right_gap = store_time_of(queue.entries[static_cast<std::size_t>(right)]) - timestamp_ms;
    return left_gap > right_gap ? right : left;
  }

  std::int64_t earliest_message_time(std::string_view topic, std::int32_t queue_id) override {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    if (it == queues_.end()) return -1;
    const QueueEntry* entry = find_entry(topic, queue_id, it->second.min_offset);
    return entry == nullptr ? -1 : store_time_of(*entry);
  }

  std::int64_t message_store_time(std::string_view topic, std::int32_t queue_id, std::int64_t queue_offset) override {
    std::lock_guard lock(mutex_);
    const QueueEntry* entry = find_entry(topic, queue_id, queue_offset);
    return entry == nullptr ? -1 : store_time_of(*entry);
  }

  std::optional<common::Bytes> read_record(std::int64_t physical_offset) override {
    std::lock_guard lock(mutex_);
    auto it = by_physical_offset_.find(physical_offset);
    if (it == by_physical_offset_.end()) return std::nullopt;
    return records_.at(it->second).bytes;
  }

  rmq::store::QueryResult query_messages(std::string_view topic, std::string_view key, std::int32_t max_count,
                                         std::int64_t begin_ms, std::int64_t end_ms) override {
    std::lock_guard lock(mutex_);
    rmq::store::QueryResult result;
    if (!records_.empty()) {
      result.index_last_update_timestamp_ms = records_.back().record.store_timestamp_ms;
      result.index_last_update_phy_offset = records_.back().record.physical_offset;
    }
    for (auto it = records_.rbegin(); it != records_.rend() && result.message_count < max_count; ++it) {
      const rmq::store::MessageRecord& record = it->record;
      if (record.topic != topic) continue;
      if (record.store_timestamp_ms < begin_ms || record.store_timestamp_ms > end_ms) continue;
      if ((record.sys_flag & rmq::store::sysflag::kTransactionMask) == rmq::store::sysflag::kTransactionRollback) {
        continue;
      }
      if (!has_key(record.properties, key)) continue;
      result.records.insert(result.records.end(), it->bytes.begin(), it->bytes.end());
      ++result.message_count;
    }
    return result;
  }

  std::vector<std::pair<std::string, std::int32_t>> queues() override {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::int32_t>> out;
    for (const auto& [key, queue] : queues_) out.emplace_back(key.topic, key.queue_id);
    return out;
  }

  void add_arrival_listener(rmq::store::ArrivalListener listener) override {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(listener));
  }

  rmq::store::StoreStats stats() override {
    std::lock_guard lock(mutex_);
    rmq::store::StoreStats stats;
    stats.min_physical_offset = 0;
    stats.max_physical_offset = next_physical_offset_;
    stats.flushed_physical_offset = next_physical_offset_;
    stats.put_message_count = static_cast<std::int64_t>(records_.size());
    stats.get_message_count = get_message_count_;
    stats.earliest_message_time_ms = records_.empty() ? -1 : records_.front().record.store_timestamp_ms;
    return stats;
  }

  void shutdown() override {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
  }

 private:
  struct QueueKey {
    std::string topic;
    std::int32_t queue_id = 0;
    auto operator<=>(const QueueKey&) const = default;
  };
  struct QueueEntry {
    std::size_t record_index = 0;
    std::int64_t tags_code = 0;
  };
  struct Queue {
    std::int64_t min_offset = 0;
    std::vector<QueueEntry> entries;  // index = queue offset
  };
  struct Stored {
    rmq::store::MessageRecord record;
    common::Bytes bytes;
  };

  rmq::store::PutResult put_locked(std::vector<rmq::store::MessageRecord>& batch,
                                   std::vector<std::pair<QueueKey, std::int64_t>>& arrivals) {
    using rmq::store::PutStatus;
    rmq::store::PutResult result;
    if (shut_down_) {
      result.status = PutStatus::kServiceNotAvailable;
      result.detail = "message store has been shut down";
      return result;
    }
    if (fail_status_) {
      result.status = *fail_status_;
      result.detail = "put failure injected by the test";
      return result;
    }
    if (batch.empty()) {
      result.status = PutStatus::kMessageIllegal;
      result.detail = "empty batch";
      return result;
    }
    // Encode everything first so a bad record stores nothing of the batch.
    const std::int64_t now = now_ms_();
    std::vector<Stored> encoded;
    std::vector<std::int64_t> tags_codes;
    std::map<QueueKey, std::int64_t> next_offsets;
    std::int64_t physical_offset = next_physical_offset_;
    for (auto& message : batch) {
      if (message.properties.size() > 32767) {
        result.status = PutStatus::kPropertiesSizeExceeded;
        result.detail = "properties of " + std::to_string(message.properties.size()) + " bytes";
        return result;
      }
      QueueKey key{message.topic, message.queue_id};
      auto next = next_offsets.find(key);
      if (next == next_offsets.end()) {
        auto queue = queues_.find(key);
        next = next_offsets
                   .emplace(key, queue == queues_.end() ? 0 : static_cast<std::int64_t>(queue->second.entries.size()))
                   .first;
      }
      message.queue_offset = next->second++;
      message.physical_offset = physical_offset;
      message.store_timestamp_ms = now;
      message.store_host = store_host_;
      rmq::store::seal(message);
      Stored stored{message, {}};
      try {
        rmq::store::encode(message, stored.bytes);
      } catch (const std::exception& error) {
        result.status = PutStatus::kMessageIllegal;
        result.detail = error.what();
        return result;
      }
      physical_offset += static_cast<std::int64_t>(stored.bytes.size());
      tags_codes.push_back(tags_code_of(message));
      encoded.push_back(std::move(stored));
    }
    result.status = PutStatus::kOk;
    result.physical_offset = encoded.front().record.physical_offset;
    result.queue_offset = encoded.front().record.queue_offset;
    result.store_timestamp_ms = now;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      Stored& stored = encoded[i];
      result.size_bytes += static_cast<std::int32_t>(stored.bytes.size());
      result.msg_ids.push_back(rmq::store::message_id(store_host_, stored.record.physical_offset));
      QueueKey key{stored.record.topic, stored.record.queue_id};
      const std::size_t record_index = records_.size();
      by_physical_offset_[stored.record.physical_offset] = record_index;
      queues_[key].entries.push_back(QueueEntry{record_index, tags_codes[i]});
      records_.push_back(std::move(stored));
    }
    next_physical_offset_ = physical_offset;
    for (const auto& [key, next_offset] : next_offsets) arrivals.emplace_back(key, next_offset);
    return result;
  }

  // CommitLog.checkMessageAndReturnSize: schedule topic -> delivery time, else hash of TAGS (0 without tags).
  std::int64_t tags_code_of(const rmq::store::MessageRecord& message) const {
    if (message.topic == rmq::store::kScheduleTopic) {
      auto delay = rmq::store::property_value(message.properties, rmq::store::property::kDelayTimeLevel);
      if (delay) {
        std::int64_t level = 0;
        try {
          level = std::stoll(std::string(*delay));
        } catch (const std::exception&) {
          level = 0;
        }
        level = std::min<std::int64_t>(level, static_cast<std::int64_t>(delay_level_ms_.size()));
        if (level > 0) return message.store_timestamp_ms + delay_level_ms_[static_cast<std::size_t>(level - 1)];
      }
    }
    auto tags = rmq::store::property_value(message.properties, rmq::store::property::kTags);
    return tags ? rmq::store::tags_hash_code(*tags) : 0;
  }

  static bool has_key(std::string_view properties, std::string_view key) {
    if (auto uniq = rmq::store::property_value(properties, rmq::store::property::kUniqKey); uniq && *uniq == key) {
      return true;
    }
    auto keys = rmq::store::property_value(properties, rmq::store::property::kKeys);
    if (!keys) return false;
    std::string_view rest = *keys;
    while (!rest.empty()) {
      const std::size_t space = rest.find(rmq::store::kKeySeparator);
      if (rest.substr(0, space) == key) return true;
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
    return false;
  }

  const QueueEntry* find_entry(std::string_view topic, std::int32_t queue_id, std::int64_t queue_offset) const {
    auto it = queues_.find(QueueKey{std::string(topic), queue_id});
    if (it == queues_.end()) return nullptr;
    if (queue_offset < it->second.min_offset || queue_offset >= static_cast<std::int64_t>(it->second.entries.size())) {
      return nullptr;
    }
    return &it->second.entries[static_cast<std::size_t>(queue_offset)];
  }
  std::int64_t store_time_of(const QueueEntry& entry) const {
    return records_.at(entry.record_index).record.store_timestamp_ms;
  }

  std::mutex mutex_;
  rmq::store::HostAddress store_host_;
  std::vector<std::int64_t> delay_level_ms_;
  Clock now_ms_;
  std::optional<rmq::store::PutStatus> fail_status_;
  bool shut_down_ = false;
  std::vector<Stored> records_;                        // in commitlog order
  std::map<std::int64_t, std::size_t> by_physical_offset_;
  std::map<QueueKey, Queue> queues_;
  std::vector<rmq::store::ArrivalListener> listeners_;
  std::int64_t next_physical_offset_ = 0;
  std::int64_t get_message_count_ = 0;
};

}  // namespace rmq::test_support
