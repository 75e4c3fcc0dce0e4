#include "broker/store/consume_queue_set.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "broker/common/io_error.h"
#include "broker/store/message_properties.h"

namespace rmq::store {

namespace fs = std::filesystem;

bool goes_to_consume_queue(std::int32_t sys_flag) {
  const std::int32_t tx = sys_flag & sysflag::kTransactionMask;
  return tx != sysflag::kTransactionPrepared && tx != sysflag::kTransactionRollback;
}

std::string queue_key(std::string_view topic, std::int32_t queue_id) {
  return std::string(topic) + "-" + std::to_string(queue_id);
}

ConsumeQueueSet::ConsumeQueueSet(fs::path dir, std::int64_t file_size_bytes, std::vector<std::int64_t> delay_level_ms)
    : dir_(std::move(dir)), file_size_bytes_(file_size_bytes), delay_level_ms_(std::move(delay_level_ms)) {}

void ConsumeQueueSet::load() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw common::IoError("create directory " + dir_.string() + ": " + ec.message());
  std::unique_lock lock(mutex_);
  for (const auto& topic_dir : fs::directory_iterator(dir_)) {
    if (!topic_dir.is_directory()) continue;
    const std::string topic = topic_dir.path().filename().string();
    for (const auto& queue_dir : fs::directory_iterator(topic_dir.path())) {
      if (!queue_dir.is_directory()) continue;
      const std::string name = queue_dir.path().filename().string();
      std::int32_t queue_id = 0;
      const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), queue_id);
      if (err != std::errc() || end != name.data() + name.size() || queue_id < 0) continue;  // not a queue dir
      auto queue = std::make_unique<ConsumeQueue>(queue_dir.path(), topic, queue_id, file_size_bytes_);
      queue->load_and_recover();
      queues_[topic][queue_id] = std::move(queue);
    }
  }
}

ConsumeQueue& ConsumeQueueSet::find_or_create(const std::string& topic, std::int32_t queue_id) {
  if (ConsumeQueue* queue = find(topic, queue_id)) return *queue;
  std::unique_lock lock(mutex_);
  auto& slot = queues_[topic][queue_id];
  if (!slot) slot = std::make_unique<ConsumeQueue>(dir_ / topic / std::to_string(queue_id), topic, queue_id, file_size_bytes_);
  return *slot;
}

ConsumeQueue* ConsumeQueueSet::find(std::string_view topic, std::int32_t queue_id) const {
  std::shared_lock lock(mutex_);
  auto t = queues_.find(topic);
  if (t == queues_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

std::vector<ConsumeQueue*> ConsumeQueueSet::all() const {
  std::shared_lock lock(mutex_);
  std::vector<ConsumeQueue*> out;
  for (const auto& [topic, by_id] : queues_) {
    for (const auto& [id, queue] : by_id) out.push_back(queue.get());
  }
  return out;
}

std::int64_t ConsumeQueueSet::tags_code(const MessageRecord& record) const {
  std::int64_t code = 0;
  if (const auto tags = property_value(record.properties, property::kTags)) code = tags_hash_code(*tags);
  if (record.topic == kScheduleTopic && !delay_level_ms_.empty()) {
    if (const auto delay = property_value(record.properties, property::kDelayTimeLevel)) {
      std::int32_t level = 0;
      const auto [end, err] = std::from_chars(delay->data(), delay->data() + delay->size(), level);
      if (err == std::errc() && end == delay->data() + delay->size() && level > 0) {
        level = std::min<std::int32_t>(level, static_cast<std::int32_t>(delay_level_ms_.size()));
        code = record.store_timestamp_ms + delay_level_ms_[static_cast<std::size_t>(level - 1)];
      }
    }
  }
  return code;
}

bool ConsumeQueueSet::dispatch(const MessageRecord& record, std::int64_t offset, std::int32_t size) {
  if (!goes_to_consume_queue(record.sys_flag)) return false;
  return find_or_create(record.topic, record.queue_id)
      .put(ConsumeQueueEntry{offset, size, tags_code(record)}, record.queue_offset);
}

void ConsumeQueueSet::truncate_by_commitlog_end(std::int64_t commitlog_end) {
  for (ConsumeQueue* queue : all()) queue->truncate_by_commitlog_end(commitlog_end);
}

void ConsumeQueueSet::correct_min_offset(std::int64_t commitlog_min_offset) {
  for (ConsumeQueue* queue : all()) queue->correct_min_offset(commitlog_min_offset);
}

std::int64_t ConsumeQueueSet::max_physical_offset() const {
  std::int64_t max = 0;
  for (ConsumeQueue* queue : all()) max = std::max(max, queue->max_physical_offset());
  return max;
}

std::unordered_map<std::string, std::int64_t> ConsumeQueueSet::next_queue_offsets() const {
  std::unordered_map<std::string, std::int64_t> out;
  for (ConsumeQueue* queue : all()) out[queue_key(queue->topic(), queue->queue_id())] = queue->max_offset();
  return out;
}

void ConsumeQueueSet::flush() {
  for (ConsumeQueue* queue : all()) queue->flush();
}

GetResult ConsumeQueueSet::get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset,
                                        std::int32_t max_count, std::int64_t max_bytes, const TagsCodeFilter& filter,
                                        const RecordReader& read) const {
  GetResult result;
  ConsumeQueue* queue = find(topic, queue_id);
  if (queue == nullptr) {
    result.status = GetStatus::kNoMatchedLogicQueue;
    return result;
  }
  result.min_offset = queue->min_offset();
  result.max_offset = queue->max_offset();
  if (result.max_offset == 0) {
    result.status = GetStatus::kNoMessageInQueue;
    return result;
  }
  if (offset < result.min_offset) {
    result.status = GetStatus::kOffsetTooSmall;
    result.next_begin_offset = result.min_offset;
    return result;
  }
  if (offset == result.max_offset) {
    result.status = GetStatus::kOffsetOverflowOne;
    result.next_begin_offset = offset;
    return result;
  }
  if (offset > result.max_offset) {
    result.status = GetStatus::kOffsetOverflowBadly;
    result.next_begin_offset = result.max_offset;
    return result;
  }
  // maxFilterMessageCount = max(16000, maxMsgNums * 20) bytes of consume queue scanned per pull.
  const std::int64_t scan_limit_bytes =
      std::max<std::int64_t>(16000, static_cast<std::int64_t>(std::max<std::int32_t>(1, max_count)) *
                                        static_cast<std::int64_t>(kConsumeQueueEntrySize));
  const std::int64_t scan_limit = scan_limit_bytes / static_cast<std::int64_t>(kConsumeQueueEntrySize);
  result.status = GetStatus::kNoMatchedMessage;
  std::int64_t scanned = 0;
  bool full = false;
  while (!full && scanned < scan_limit) {
    const auto entries =
        queue->entries(offset + scanned, static_cast<std::int32_t>(std::min<std::int64_t>(256, scan_limit - scanned)));
    if (entries.empty()) break;
    for (const auto& entry : entries) {
      if (result.message_count > 0 &&
          (result.message_count >= max_count ||
           static_cast<std::int64_t>(result.records.size()) + entry.size_bytes > max_bytes)) {
        full = true;
        break;
      }
      ++scanned;
      if (filter && !filter(entry.tags_code)) continue;
      const auto bytes = read(entry.commitlog_offset, entry.size_bytes);
      if (!bytes) {
        if (result.message_count == 0) result.status = GetStatus::kMessageWasRemoving;
        continue;
      }
      result.records.insert(result.records.end(), bytes->begin(), bytes->end());
      ++result.message_count;
      result.status = GetStatus::kFound;
    }
  }
  result.next_begin_offset = offset + scanned;
  return result;
}

std::int64_t ConsumeQueueSet::max_offset_in_queue(std::string_view topic, std::int32_t queue_id) const {
  ConsumeQueue* queue = find(topic, queue_id);
  return queue ? queue->max_offset() : 0;
}

std::int64_t ConsumeQueueSet::min_offset_in_queue(std::string_view topic, std::int32_t queue_id) const {
  ConsumeQueue* queue = find(topic, queue_id);
  return queue ? queue->min_offset() : 0;
}

std::int64_t ConsumeQueueSet::offset_by_timestamp(std::string_view topic, std::int32_t queue_id,
                                                  std::int64_t timestamp_ms, const StoreTimeReader& store_time) const {
  ConsumeQueue* queue = find(topic, queue_id);
  if (queue == nullptr) return 0;
  const std::int64_t min = queue->min_offset();
  const std::int64_t max = queue->max_offset();
  if (max <= min) return 0;
  auto time_at = [&](std::int64_t queue_offset) {
    const auto entry = queue->entry(queue_offset);
    return entry ? store_time(entry->commitlog_offset) : -1;
  };
  // First queue offset whose store time is >= timestamp_ms.
  std::int64_t low = min;
  std::int64_t high = max;
  while (low < high) {
    const std::int64_t mid = low + (high - low) / 2;
    if (time_at(mid) < timestamp_ms) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == max) return max - 1;
  if (low == min) return min;
  const std::int64_t right_time = time_at(low);
  if (right_time == timestamp_ms) return low;
  const std::int64_t left_time = time_at(low - 1);
  return (timestamp_ms - left_time) > (right_time - timestamp_ms) ? low : low - 1;
}

std::int64_t ConsumeQueueSet::message_store_time(std::string_view topic, std::int32_t queue_id,
                                                 std::int64_t queue_offset, const StoreTimeReader& store_time) const {
  ConsumeQueue* queue = find(topic, queue_id);
  if (queue == nullptr) return -1;
  const auto entry = queue->entry(queue_offset);
  return entry ? store_time(entry->commitlog_offset) : -1;
}

std::int64_t ConsumeQueueSet::earliest_message_time(std::string_view topic, std::int32_t queue_id,
                                                    const StoreTimeReader& store_time) const {
  ConsumeQueue* queue = find(topic, queue_id);
  if (queue == nullptr) return -1;
  return message_store_time(topic, queue_id, queue->min_offset(), store_time);
}

std::vector<std::pair<std::string, std::int32_t>> ConsumeQueueSet::queues() const {
  std::vector<std::pair<std::string, std::int32_t>> out;
  for (ConsumeQueue* queue : all()) out.emplace_back(queue->topic(), queue->queue_id());
  return out;
}

}  // namespace rmq::store
