#include "broker/server/schedule_message_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <stdexcept>

#include "broker/common/io_error.h"
#include "broker/store/config_file.h"
#include "broker/store/message_properties.h"

namespace rmq::server {
namespace {

constexpr std::int32_t kBatchCount = 32;
constexpr std::int64_t kBatchBytes = 4 * 1024 * 1024;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The offsetTable of delayOffset.json text; throws std::invalid_argument / nlohmann errors on a bad shape.
std::map<std::int32_t, std::int64_t> decode_offsets(std::string_view text) {
  const nlohmann::json root = store::parse_fastjson(text);
  if (!root.is_object()) throw std::invalid_argument("delayOffset.json: the top level is not an object");
  std::map<std::int32_t, std::int64_t> offsets;
  auto table = root.find("offsetTable");
  if (table == root.end() || table->is_null()) return offsets;
  if (!table->is_object()) throw std::invalid_argument("delayOffset.json: offsetTable is not an object");
  for (auto it = table->begin(); it != table->end(); ++it) {
    std::size_t used = 0;
    const long level = std::stol(it.key(), &used);
    if (used != it.key().size() || level < -2147483648L || level > 2147483647L) {
      throw std::invalid_argument("delayOffset.json: offsetTable key '" + it.key() + "' is not a delay level");
    }
    if (!it.value().is_number_integer()) {
      throw std::invalid_argument("delayOffset.json: offsetTable value of level " + it.key() + " is not an integer");
    }
    offsets[static_cast<std::int32_t>(level)] = it.value().get<std::int64_t>();
  }
  return offsets;
}

bool file_has_content(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return !error && size > 0;
}

}  // namespace

ScheduleMessageService::ScheduleMessageService(store::MessageStore& store, std::vector<std::int64_t> delay_level_ms,
                                               std::string delay_offset_path)
    : store_(store),
      delay_level_ms_(std::move(delay_level_ms)),
      delay_offset_path_(std::move(delay_offset_path)),
      now_ms_(system_now_ms) {}

ScheduleMessageService::~ScheduleMessageService() {
  try {
    shutdown();
  } catch (const std::exception& error) {
    spdlog::error("schedule service: {}", error.what());
  }
}

void ScheduleMessageService::load_offsets() {
  const auto text = store::read_config_file(delay_offset_path_, [](std::string_view candidate) {
    try {
      decode_offsets(candidate);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  });
  std::map<std::int32_t, std::int64_t> loaded;
  if (text) {
    loaded = decode_offsets(*text);
  } else if (file_has_content(delay_offset_path_) || file_has_content(delay_offset_path_ + ".bak")) {
    throw std::runtime_error("cannot load " + delay_offset_path_ + ": neither it nor its .bak is a valid " +
                             "delayOffset.json ({\"offsetTable\":{1:0,...}})");
  }
  for (std::int32_t level = 1; level <= max_level(); ++level) loaded.emplace(level, 0);
  std::lock_guard lock(mutex_);
  offsets_ = loaded;
}

void ScheduleMessageService::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
  }
  load_offsets();
  {
    std::lock_guard persist_lock(persist_mutex_);
    persisted_ = offsets();
  }
  std::lock_guard lock(mutex_);
  started_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void ScheduleMessageService::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (!started_) return;
    started_ = false;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  persist();
}

std::map<std::int32_t, std::int64_t> ScheduleMessageService::offsets() const {
  std::lock_guard lock(mutex_);
  return offsets_;
}

std::string ScheduleMessageService::encode_offsets() const {
  nlohmann::json table = nlohmann::json::object();
  for (const auto& [level, offset] : offsets()) table[std::to_string(level)] = offset;
  nlohmann::json root = nlohmann::json::object();
  root["offsetTable"] = table;
  return store::dump_fastjson(root, [](const std::vector<std::string>& path) {
    return path.size() == 1 && path[0] == "offsetTable";
  });
}

void ScheduleMessageService::persist() {
  std::lock_guard persist_lock(persist_mutex_);
  const auto current = offsets();
  if (current == persisted_ && std::filesystem::exists(delay_offset_path_)) return;
  store::write_config_file(delay_offset_path_, encode_offsets());
  persisted_ = current;
}

void ScheduleMessageService::set_offset(std::int32_t level, std::int64_t offset) {
  std::lock_guard lock(mutex_);
  offsets_[level] = offset;
}

void ScheduleMessageService::run() {
  std::int64_t last_persist_ms = now_ms_();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    bool progress = false;
    for (std::int32_t level = 1; level <= max_level(); ++level) {
      try {
        progress = deliver_level(level) || progress;
      } catch (const std::exception& error) {
        spdlog::error("schedule service: level {}: {}", level, error.what());
      }
    }
    const std::int64_t now = now_ms_();
    if (now - last_persist_ms >= persist_interval_ms_ || now < last_persist_ms) {
      try {
        persist();
      } catch (const std::exception& error) {
        spdlog::error("schedule service: persisting delay offsets: {}", error.what());
      }
      last_persist_ms = now;
    }
    lock.lock();
    if (!progress && !stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(poll_interval_ms_), [this] { return stopping_; });
    }
  }
}

bool ScheduleMessageService::deliver_level(std::int32_t level) {
  const std::int64_t delay_ms = delay_level_ms_[static_cast<std::size_t>(level - 1)];
  if (auto retry = retry_at_ms_.find(level); retry != retry_at_ms_.end()) {
    if (now_ms_() < retry->second) return false;
    retry_at_ms_.erase(retry);
  }
  std::int64_t offset = 0;
  {
    std::lock_guard lock(mutex_);
    offset = offsets_[level];
  }
  const store::GetResult result =
      store_.get_messages(store::kScheduleTopic, level - 1, offset, kBatchCount, kBatchBytes, nullptr);
  switch (result.status) {
    case store::GetStatus::kFound:
      break;
    case store::GetStatus::kOffsetTooSmall:
    case store::GetStatus::kOffsetOverflowBadly:
    case store::GetStatus::kNoMatchedMessage:
      // Deleted head, a store that lost its tail, or nothing deliverable: continue where the queue is.
      if (result.next_begin_offset != offset) {
        spdlog::warn("schedule service: level {} offset {} corrected to {}", level, offset, result.next_begin_offset);
        set_offset(level, result.next_begin_offset);
        return true;
      }
      return false;
    default:
      return false;
  }

  bool progress = false;
  common::ByteSpan rest(result.records);
  while (!rest.empty()) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return progress;
    }
    store::MessageRecord scheduled;
    const store::DecodeResult decoded = store::decode_record(rest, false, &scheduled);
    if (decoded.status != store::DecodeStatus::kOk || decoded.size <= 0 ||
        static_cast<std::size_t>(decoded.size) > rest.size()) {
      if (rest.size() == result.records.size()) {
        // The first record of the batch cannot be read: skip that one entry, as Java skips a message it cannot
        // look up.
        spdlog::error("schedule service: level {} offset {}: unreadable record ({}), skipped", level, offset,
                      decoded.detail);
        set_offset(level, offset + 1);
        return true;
      }
      return progress;  // fetch again from this record next time
    }
    const std::int64_t now = now_ms_();
    std::int64_t deliver_at_ms = scheduled.store_timestamp_ms + delay_ms;
    if (deliver_at_ms > now + delay_ms) deliver_at_ms = now;  // correctDeliverTimestamp: the clock went back
    if (deliver_at_ms > now) return progress;
    if (!put_back(scheduled)) {
      retry_at_ms_[level] = now_ms_() + retry_interval_ms_;
      return progress;
    }
    ++offset;
    set_offset(level, offset);
    progress = true;
    rest = rest.subspan(static_cast<std::size_t>(decoded.size));
  }
  return progress;
}

bool ScheduleMessageService::put_back(const store::MessageRecord& scheduled) {
  const auto real_topic = store::property_value(scheduled.properties, store::property::kRealTopic);
  const auto real_queue = store::property_value(scheduled.properties, store::property::kRealQueueId);
  std::int32_t queue_id = 0;
  try {
    std::size_t used = 0;
    if (!real_topic || real_topic->empty() || !real_queue) throw std::invalid_argument("missing");
    queue_id = std::stoi(std::string(*real_queue), &used);
    if (used != real_queue->size() || queue_id < 0) throw std::invalid_argument("bad");
  } catch (const std::exception&) {
    // Nothing to deliver it to; Java would fail the put forever. Drop it loudly instead of blocking the level.
    spdlog::error("schedule service: message at {} on {} queue {} has no valid REAL_TOPIC/REAL_QID, dropped",
                  scheduled.physical_offset, scheduled.topic, scheduled.queue_id);
    return true;
  }

  store::MessageRecord message;
  message.topic = std::string(*real_topic);
  message.queue_id = queue_id;
  message.flag = scheduled.flag;
  message.sys_flag = scheduled.sys_flag;
  message.born_timestamp_ms = scheduled.born_timestamp_ms;
  message.born_host = scheduled.born_host;
  message.reconsume_times = scheduled.reconsume_times;
  message.body = scheduled.body;
  store::PropertyList properties;
  bool wait_set = false;
  for (auto& [key, value] : store::parse_properties(scheduled.properties)) {
    if (key == store::property::kDelayTimeLevel) continue;
    if (key == store::property::kWaitStoreMsgOk) {
      if (wait_set) continue;
      value = "false";
      wait_set = true;
    }
    properties.emplace_back(std::move(key), std::move(value));
  }
  if (!wait_set) properties.emplace_back(std::string(store::property::kWaitStoreMsgOk), "false");
  message.properties = store::format_properties(properties);

  auto done = std::make_shared<std::promise<store::PutResult>>();
  auto future = done->get_future();
  store_.put_message(std::move(message), [done](const store::PutResult& put) { done->set_value(put); });
  const store::PutResult put = future.get();
  if (put.status == store::PutStatus::kOk || put.status == store::PutStatus::kFlushDiskTimeout) return true;
  spdlog::warn("schedule service: putting back the message at {} to {} failed: {}", scheduled.physical_offset,
               *real_topic, put.detail);
  return false;
}

}  // namespace rmq::server
