#include "broker/store/default_message_store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "broker/common/io_error.h"
#include "broker/store/message_properties.h"

namespace rmq::store {

namespace fs = std::filesystem;

namespace {

// messageDelayLevel's default: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h.
const std::vector<std::int64_t>& default_delay_levels_ms() {
  static const std::vector<std::int64_t> levels = {
      1000,    5000,    10000,   30000,   60000,   120000,  180000,  240000,  300000,
      360000,  420000,  480000,  540000,  600000,  1200000, 1800000, 3600000, 7200000};
  return levels;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string queue_key(std::string_view topic, std::int32_t queue_id) {
  return std::string(topic) + "-" + std::to_string(queue_id);
}

bool goes_to_consume_queue(std::int32_t sys_flag) {
  const std::int32_t tx = sys_flag & sysflag::kTransactionMask;
  return tx != sysflag::kTransactionPrepared && tx != sysflag::kTransactionRollback;
}

PutResult failure(PutStatus status, std::string detail) {
  PutResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

// Java String.length() of UTF-8 text: UTF-16 code units.
std::size_t utf16_length(std::string_view text) {
  std::size_t units = 0;
  for (const unsigned char c : text) {
    if ((c & 0xC0) == 0x80) continue;
    units += (c >= 0xF0) ? 2 : 1;
  }
  return units;
}

bool has_key(std::string_view properties, std::string_view key) {
  if (const auto uniq = property_value(properties, property::kUniqKey); uniq && *uniq == key) return true;
  const auto keys = property_value(properties, property::kKeys);
  if (!keys) return false;
  std::string_view rest = *keys;
  while (!rest.empty()) {
    const std::size_t space = rest.find(kKeySeparator);
    if (rest.substr(0, space) == key) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

}  // namespace

DefaultMessageStore::DefaultMessageStore(StoreConfig config) : config_(std::move(config)) {}

std::unique_ptr<DefaultMessageStore> DefaultMessageStore::open(StoreConfig config) {
  if (config.root_dir.empty()) throw std::runtime_error("storePathRootDir is empty");
  if (config.commitlog_file_size_bytes < 4096) {
    throw std::runtime_error("mappedFileSizeCommitLog " + std::to_string(config.commitlog_file_size_bytes) +
                             " is too small (at least 4096)");
  }
  if (config.store_host.ip.empty()) config.store_host = HostAddress{{127, 0, 0, 1}, 10911};
  if (config.delay_level_ms.empty()) config.delay_level_ms = default_delay_levels_ms();
  std::unique_ptr<DefaultMessageStore> store(new DefaultMessageStore(std::move(config)));
  auto& self = *store;
  self.root_ = self.config_.root_dir;
  std::error_code ec;
  fs::create_directories(self.root_, ec);
  if (ec) throw common::IoError("create directory " + self.root_.string() + ": " + ec.message());
  self.lock_ = std::make_unique<StoreLock>(self.root_);
  self.last_exit_clean_ = !abort_file_exists(self.root_);
  self.checkpoint_ = std::make_unique<StoreCheckpoint>(self.root_ / "checkpoint");
  const fs::path commitlog_dir =
      self.config_.commitlog_dir.empty() ? self.root_ / "commitlog" : fs::path(self.config_.commitlog_dir);
  self.commitlog_ =
      std::make_unique<CommitLog>(commitlog_dir, self.config_.commitlog_file_size_bytes, self.config_.store_host);
  self.disk_guard_ = std::make_unique<DiskSpaceGuard>(std::vector<fs::path>{self.root_, commitlog_dir},
                                                      self.config_.disk_space_warning_level_percent);
  self.commitlog_->load();
  self.load_consume_queues();
  if (self.config_.message_index_enable) {
    self.index_ = std::make_unique<IndexService>((self.root_ / "index").string(), self.config_.max_hash_slot_num,
                                                 self.config_.max_index_num);
    self.index_->load(self.last_exit_clean_, self.checkpoint_->index_msg_timestamp());
  }
  self.recover();
  create_abort_file(self.root_);
  // From now on a new commitlog file must leave the disk reserve alone. (Recovery creates none.)
  self.commitlog_->set_create_check([guard = self.disk_guard_.get()](const fs::path& file, std::int64_t size) {
    guard->check_new_file(file, size);
  });
  self.start_threads();
  self.opened_ = true;
  return store;
}

DefaultMessageStore::~DefaultMessageStore() {
  try {
    shutdown();
  } catch (...) {
    // A destructor cannot report; the abort file stays, so the next start recovers as after a crash.
  }
}

void DefaultMessageStore::check_stop_requested(const char* during) {
  if (!config_.stop_requested || !config_.stop_requested()) return;
  create_abort_file(root_);
  throw StoreOpenCancelled(std::string("stop requested while ") + during + " in " + root_.string() +
                           "; the next start recovers again");
}

void DefaultMessageStore::load_consume_queues() {
  const fs::path cq_root = root_ / "consumequeue";
  std::error_code ec;
  fs::create_directories(cq_root, ec);
  if (ec) throw common::IoError("create directory " + cq_root.string() + ": " + ec.message());
  for (const auto& topic_dir : fs::directory_iterator(cq_root)) {
    if (!topic_dir.is_directory()) continue;
    const std::string topic = topic_dir.path().filename().string();
    for (const auto& queue_dir : fs::directory_iterator(topic_dir.path())) {
      if (!queue_dir.is_directory()) continue;
      const std::string name = queue_dir.path().filename().string();
      std::int32_t queue_id = 0;
      const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), queue_id);
      if (err != std::errc() || end != name.data() + name.size() || queue_id < 0) continue;  // not a queue dir
      check_stop_requested("loading consume queues");
      auto queue = std::make_unique<ConsumeQueue>(queue_dir.path(), topic, queue_id,
                                                  config_.consume_queue_file_size_bytes);
      queue->load_and_recover();
      queues_[topic][queue_id] = std::move(queue);
    }
  }
}

void DefaultMessageStore::recover() {
  const bool abnormal = !last_exit_clean_;
  const std::int64_t start = commitlog_->recovery_start(abnormal, checkpoint_->min_timestamp());
  const std::int64_t end =
      commitlog_->scan(start, config_.check_crc_on_recover, nullptr, &recovery_stop_detail_);
  commitlog_->truncate_dirty(end);
  // The recovered tail may exist only in the page cache of the killed process: make it durable once, before
  // `abort` is created and before anything new is acked on top of it.
  if (abnormal && end > start) commitlog_->resync_from(start);

  std::int64_t reput_from = commitlog_->min_offset();
  for (ConsumeQueue* queue : all_queues()) {
    check_stop_requested("recovering consume queues");
    queue->truncate_by_commitlog_end(end);
    queue->correct_min_offset(commitlog_->min_offset());
    reput_from = std::max(reput_from, queue->max_physical_offset());
  }
  // After a crash everything from the recovery start file is dispatched again (covered entries are ignored),
  // so a queue that lagged the others is completed too.
  if (abnormal) reput_from = std::min(reput_from, start);
  reput_from = std::max(reput_from, commitlog_->min_offset());
  if (reput_from < end) {
    commitlog_->scan(reput_from, /*check_crc=*/false,
                     [&](const MessageRecord& record, std::int64_t offset, std::int32_t size) {
                       check_stop_requested("rebuilding consume queues");
                       if (offset + size <= end) dispatch(record, offset, size);
                     });
  }
  for (ConsumeQueue* queue : all_queues()) {
    queue_offsets_[queue_key(queue->topic(), queue->queue_id())] = queue->max_offset();
  }
}

void DefaultMessageStore::start_threads() {
  background_flush_thread_ = std::thread([this] { background_flush_loop(); });
  if (config_.sync_flush) {
    group_commit_thread_ = std::thread([this] { group_commit_loop(); });
    flush_watcher_thread_ = std::thread([this] { flush_watcher_loop(); });
  }
}

std::int64_t DefaultMessageStore::tags_code(const MessageRecord& record) const {
  std::int64_t code = 0;
  if (const auto tags = property_value(record.properties, property::kTags)) code = tags_hash_code(*tags);
  if (record.topic == kScheduleTopic) {
    if (const auto delay = property_value(record.properties, property::kDelayTimeLevel)) {
      std::int32_t level = 0;
      const auto [end, err] = std::from_chars(delay->data(), delay->data() + delay->size(), level);
      if (err == std::errc() && end == delay->data() + delay->size() && level > 0) {
        level = std::min<std::int32_t>(level, static_cast<std::int32_t>(config_.delay_level_ms.size()));
        code = record.store_timestamp_ms + config_.delay_level_ms[static_cast<std::size_t>(level - 1)];
      }
    }
  }
  return code;
}

ConsumeQueue& DefaultMessageStore::find_or_create_queue(const std::string& topic, std::int32_t queue_id) {
  {
    std::shared_lock lock(queues_mutex_);
    auto t = queues_.find(topic);
    if (t != queues_.end()) {
      auto q = t->second.find(queue_id);
      if (q != t->second.end()) return *q->second;
    }
  }
  std::unique_lock lock(queues_mutex_);
  auto& slot = queues_[topic][queue_id];
  if (!slot) {
    slot = std::make_unique<ConsumeQueue>(root_ / "consumequeue" / topic / std::to_string(queue_id), topic, queue_id,
                                          config_.consume_queue_file_size_bytes);
  }
  return *slot;
}

ConsumeQueue* DefaultMessageStore::find_queue(std::string_view topic, std::int32_t queue_id) const {
  std::shared_lock lock(queues_mutex_);
  auto t = queues_.find(topic);
  if (t == queues_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

std::vector<ConsumeQueue*> DefaultMessageStore::all_queues() const {
  std::shared_lock lock(queues_mutex_);
  std::vector<ConsumeQueue*> out;
  for (const auto& [topic, by_id] : queues_) {
    for (const auto& [id, queue] : by_id) out.push_back(queue.get());
  }
  return out;
}

void DefaultMessageStore::dispatch(const MessageRecord& record, std::int64_t offset, std::int32_t size) {
  if (goes_to_consume_queue(record.sys_flag)) {
    find_or_create_queue(record.topic, record.queue_id)
        .put(ConsumeQueueEntry{offset, size, tags_code(record)}, record.queue_offset);
  }
  if (index_) {
    index_->build_index(record.topic, record.properties, record.sys_flag, offset, record.store_timestamp_ms);
  }
  last_dispatched_store_timestamp_ms_.store(record.store_timestamp_ms);
}

void DefaultMessageStore::put_message(MessageRecord message, PutCallback done) {
  std::vector<MessageRecord> records;
  records.push_back(std::move(message));
  put_records(std::move(records), std::move(done));
}

void DefaultMessageStore::put_messages(std::vector<MessageRecord> batch, PutCallback done) {
  put_records(std::move(batch), std::move(done));
}

void DefaultMessageStore::put_records(std::vector<MessageRecord> records, PutCallback done) {
  if (records.empty()) return done(failure(PutStatus::kMessageIllegal, "empty batch"));
  for (const auto& record : records) {
    if (record.topic.empty() || utf16_length(record.topic) > 127) {
      return done(failure(PutStatus::kMessageIllegal, "topic length " + std::to_string(record.topic.size()) +
                                                          " is not within 1..127"));
    }
    if (record.topic.find_first_of(std::string_view("/\0", 2)) != std::string::npos || record.topic == "." ||
        record.topic == "..") {
      return done(failure(PutStatus::kMessageIllegal, "topic '" + record.topic + "' cannot name a directory"));
    }
    if (record.topic != records.front().topic || record.queue_id != records.front().queue_id) {
      return done(failure(PutStatus::kMessageIllegal, "a batch must go to one topic and queue"));
    }
    if (static_cast<std::int64_t>(record.body.size()) > config_.max_message_size_bytes) {
      return done(failure(PutStatus::kMessageIllegal,
                          "body of " + std::to_string(record.body.size()) + " bytes exceeds maxMessageSize " +
                              std::to_string(config_.max_message_size_bytes)));
    }
    if (record.properties.size() > 32767) {
      return done(failure(PutStatus::kPropertiesSizeExceeded,
                          "properties of " + std::to_string(record.properties.size()) + " bytes exceed 32767"));
    }
    if (record.queue_id < 0) return done(failure(PutStatus::kMessageIllegal, "negative queue id"));
  }

  // The disk reserve: refused before anything is assigned; the store stays writeable for later puts.
  if (auto problem = disk_guard_->problem()) return done(failure(PutStatus::kServiceNotAvailable, *problem));

  PutResult result;
  std::int64_t end_offset = 0;
  std::int64_t next_queue_offset = 0;
  bool notify = false;
  // The locked part; a failure is reported after the lock is released, so a callback may put again.
  std::optional<PutResult> failed = [&]() -> std::optional<PutResult> {
    std::lock_guard lock(put_mutex_);
    if (shut_down_.load()) return failure(PutStatus::kServiceNotAvailable, "message store is shut down");
    if (!writeable_.load()) return failure(PutStatus::kServiceNotAvailable, "message store is not writeable");
    // Store times never go backwards within a run, so a queue stays sorted by time (offset_by_timestamp).
    const std::int64_t store_time = std::max(now_ms(), last_store_timestamp_ms_);
    const std::string key = queue_key(records.front().topic, records.front().queue_id);
    const bool to_queue = goes_to_consume_queue(records.front().sys_flag);
    std::int64_t& queue_offset = queue_offsets_[key];
    for (std::size_t i = 0; i < records.size(); ++i) {
      const bool counted = goes_to_consume_queue(records[i].sys_flag);
      records[i].queue_offset = counted ? queue_offset + static_cast<std::int64_t>(i) : 0;
    }
    std::vector<AppendedRecord> placed;
    try {
      placed = commitlog_->append(records, store_time);
    } catch (const std::invalid_argument& e) {
      return failure(PutStatus::kMessageIllegal, e.what());
    } catch (const std::length_error& e) {
      return failure(PutStatus::kMessageIllegal, e.what());
    } catch (const DiskReserveError& e) {
      // The next commitlog file was refused before anything was written: nothing to repair.
      return failure(PutStatus::kServiceNotAvailable, e.what());
    } catch (const std::exception& e) {
      writeable_.store(false);
      return failure(PutStatus::kServiceNotAvailable, e.what());
    }
    last_store_timestamp_ms_ = store_time;
    if (to_queue) queue_offset += static_cast<std::int64_t>(records.size());
    next_queue_offset = queue_offset;
    try {
      for (std::size_t i = 0; i < records.size(); ++i) dispatch(records[i], placed[i].physical_offset, placed[i].size_bytes);
    } catch (const std::exception& e) {
      // The record is in the commitlog; the next start re-dispatches it. Refuse further puts meanwhile.
      writeable_.store(false);
      return failure(PutStatus::kServiceNotAvailable, std::string("dispatch failed: ") + e.what());
    }
    notify = to_queue;
    result.status = PutStatus::kOk;
    result.physical_offset = placed.front().physical_offset;
    result.queue_offset = records.front().queue_offset;
    result.store_timestamp_ms = store_time;
    for (std::size_t i = 0; i < records.size(); ++i) {
      result.size_bytes += placed[i].size_bytes;
      result.msg_ids.push_back(message_id(records[i].store_host, placed[i].physical_offset));
    }
    end_offset = placed.back().physical_offset + placed.back().size_bytes;
    return std::nullopt;
  }();
  if (failed) return done(*failed);
  put_message_count_.fetch_add(static_cast<std::int64_t>(records.size()));
  if (notify) {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& listener : listeners_) listener(records.front().topic, records.front().queue_id, next_queue_offset);
  }
  bool wait_for_flush = config_.sync_flush;
  if (wait_for_flush) {
    const auto wait = property_value(records.front().properties, property::kWaitStoreMsgOk);
    if (wait && *wait == "false") wait_for_flush = false;
  }
  if (!wait_for_flush) return done(result);  // under SYNC_FLUSH the group-commit thread flushes it within ~10 ms
  auto request = std::make_shared<FlushRequest>();
  request->end_offset = end_offset;
  request->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.sync_flush_timeout_ms);
  request->result = std::move(result);
  request->done = std::move(done);
  {
    std::lock_guard lock(commit_mutex_);
    if (!commit_stopping_) {
      flush_requests_.push_back(request);
      watched_.push_back(request);
      commit_cv_.notify_one();
      if (watched_.size() == 1) watcher_cv_.notify_one();
      return;
    }
  }
  // Shutting down: the group-commit thread is gone, so sync here before answering.
  flush_commitlog();
  std::string detail;
  const PutStatus status = flushed_status(request->end_offset, &detail);
  complete(*request, status, detail);
}

void DefaultMessageStore::complete(FlushRequest& request, PutStatus status, const std::string& detail) {
  if (request.completed.exchange(true)) return;
  request.result.status = status;
  if (status != PutStatus::kOk) request.result.detail = detail;
  try {
    request.done(request.result);
  } catch (const std::exception& e) {
    spdlog::error("message store: a put callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("message store: a put callback threw a non-standard exception");
  }
}

bool DefaultMessageStore::flush_commitlog() {
  std::lock_guard lock(commitlog_flush_mutex_);
  if (commitlog_flush_failed_.load()) return false;
  std::int64_t store_time = 0;
  {
    std::lock_guard put_lock(put_mutex_);
    store_time = last_store_timestamp_ms_;
  }
  try {
    if (commitlog_->flush()) {
      commitlog_sync_count_.fetch_add(1);
      checkpoint_->set_physic_msg_timestamp(store_time);
    }
    return true;
  } catch (const std::exception& e) {
    // After a failed msync the kernel may have dropped the dirty pages and report the next msync as a
    // success: nothing above the last good flush can be promised any more, so stop writing and flushing.
    commitlog_good_flushed_offset_ = commitlog_->flushed_offset();
    commitlog_flush_error_ = std::string("commitlog flush failed: ") + e.what();
    commitlog_flush_failed_.store(true);
    writeable_.store(false);
    spdlog::error("message store: {}; the store is no longer writeable", commitlog_flush_error_);
    return false;
  }
}

PutStatus DefaultMessageStore::flushed_status(std::int64_t end_offset, std::string* detail) {
  std::lock_guard lock(commitlog_flush_mutex_);
  if (commitlog_flush_failed_.load() && end_offset > commitlog_good_flushed_offset_) {
    *detail = commitlog_flush_error_;
    return PutStatus::kFlushDiskTimeout;
  }
  if (commitlog_->flushed_offset() < end_offset) {
    *detail = "commitlog not flushed";
    return PutStatus::kFlushDiskTimeout;
  }
  return PutStatus::kOk;
}

void DefaultMessageStore::flush_logics_and_checkpoint() {
  std::lock_guard lock(logics_flush_mutex_);
  const std::int64_t logics_time = last_dispatched_store_timestamp_ms_.load();
  for (ConsumeQueue* queue : all_queues()) queue->flush();
  if (logics_time > 0) checkpoint_->set_logics_msg_timestamp(logics_time);
  if (index_) {
    index_->flush();
    checkpoint_->set_index_msg_timestamp(index_->index_msg_timestamp());
  }
  checkpoint_->flush();
}

void DefaultMessageStore::background_flush_loop() {
  const auto interval = std::chrono::milliseconds(std::max<std::int64_t>(1, config_.flush_interval_ms));
  auto next = std::chrono::steady_clock::now() + interval;
  std::unique_lock lock(background_mutex_);
  bool reported = false;
  while (true) {
    // Only the deadline or stop end the wait: puts never wake this thread.
    if (background_cv_.wait_until(lock, next, [this] { return background_stopping_; })) break;
    next = std::max(next + interval, std::chrono::steady_clock::now());
    lock.unlock();
    background_flush_rounds_.fetch_add(1);
    if (!config_.sync_flush) flush_commitlog();
    try {
      flush_logics_and_checkpoint();
    } catch (const std::exception& e) {
      writeable_.store(false);  // an I/O error on flush: stop taking puts that could not be made durable
      if (!reported) spdlog::error("message store: flush of consume queues/index/checkpoint failed: {}", e.what());
      reported = true;
    }
    lock.lock();
  }
}

void DefaultMessageStore::group_commit_loop() {
  std::unique_lock lock(commit_mutex_);
  while (true) {
    // GroupCommitService: wake for requests, and at least every 10 ms so that data appended by puts that do
    // not wait (WAIT=false) is flushed too.
    commit_cv_.wait_for(lock, std::chrono::milliseconds(10),
                        [this] { return commit_stopping_ || !flush_requests_.empty(); });
    std::vector<FlushRequestPtr> batch;
    batch.swap(flush_requests_);
    const bool stop = commit_stopping_;
    lock.unlock();
    if (!batch.empty() || commitlog_->flushed_offset() < commitlog_->max_offset()) flush_commitlog();
    const auto now = std::chrono::steady_clock::now();
    for (auto& request : batch) {
      std::string detail;
      PutStatus status = flushed_status(request->end_offset, &detail);
      if (status == PutStatus::kOk && now > request->deadline) {
        status = PutStatus::kFlushDiskTimeout;
        detail = "flush finished after syncFlushTimeout";
      }
      complete(*request, status, detail);
    }
    lock.lock();
    while (!watched_.empty() && watched_.front()->completed.load()) watched_.pop_front();
    if (stop && flush_requests_.empty()) return;
  }
}

void DefaultMessageStore::flush_watcher_loop() {
  std::unique_lock lock(commit_mutex_);
  while (true) {
    watcher_cv_.wait(lock, [this] { return commit_stopping_ || !watched_.empty(); });
    if (commit_stopping_) return;
    FlushRequestPtr front = watched_.front();
    if (front->completed.load()) {
      watched_.pop_front();
      continue;
    }
    if (std::chrono::steady_clock::now() < front->deadline) {
      watcher_cv_.wait_until(lock, front->deadline, [this] { return commit_stopping_; });
      continue;
    }
    watched_.pop_front();
    lock.unlock();
    complete(*front, PutStatus::kFlushDiskTimeout, "commitlog flush did not finish within syncFlushTimeout");
    lock.lock();
  }
}

GetResult DefaultMessageStore::get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset,
                                            std::int32_t max_count, std::int64_t max_bytes,
                                            const TagsCodeFilter& filter) {
  GetResult result;
  ConsumeQueue* queue = find_queue(topic, queue_id);
  if (queue == nullptr) {
    result.status = GetStatus::kNoMatchedLogicQueue;
    result.next_begin_offset = 0;
    return result;
  }
  result.min_offset = queue->min_offset();
  result.max_offset = queue->max_offset();
  if (result.max_offset == 0) {
    result.status = GetStatus::kNoMessageInQueue;
    result.next_begin_offset = 0;
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
  // DefaultMessageStore.getMessage: maxFilterMessageCount = max(16000, maxMsgNums * 20) BYTES of consume
  // queue, i.e. at least 800 entries, scanned per pull (int64: maxMsgNums * 20 must not overflow).
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
      const auto bytes = commitlog_->read_record(entry.commitlog_offset, entry.size_bytes);
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
  get_message_count_.fetch_add(result.message_count);
  return result;
}

std::int64_t DefaultMessageStore::max_offset_in_queue(std::string_view topic, std::int32_t queue_id) {
  ConsumeQueue* queue = find_queue(topic, queue_id);
  return queue ? queue->max_offset() : 0;
}

std::int64_t DefaultMessageStore::min_offset_in_queue(std::string_view topic, std::int32_t queue_id) {
  ConsumeQueue* queue = find_queue(topic, queue_id);
  return queue ? queue->min_offset() : 0;
}

std::int64_t DefaultMessageStore::store_time_at(const ConsumeQueueEntry& entry) const {
  const auto record = commitlog_->decode_at(entry.commitlog_offset);
  return record ? record->store_timestamp_ms : -1;
}

std::int64_t DefaultMessageStore::offset_by_timestamp(std::string_view topic, std::int32_t queue_id,
                                                      std::int64_t timestamp_ms) {
  ConsumeQueue* queue = find_queue(topic, queue_id);
  if (queue == nullptr) return 0;
  const std::int64_t min = queue->min_offset();
  const std::int64_t max = queue->max_offset();
  if (max <= min) return 0;
  auto time_at = [&](std::int64_t queue_offset) {
    const auto entry = queue->entry(queue_offset);
    return entry ? store_time_at(*entry) : -1;
  };
  // First queue offset whose store time is >= timestamp_ms (store times grow along a queue).
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

std::int64_t DefaultMessageStore::earliest_message_time(std::string_view topic, std::int32_t queue_id) {
  ConsumeQueue* queue = find_queue(topic, queue_id);
  if (queue == nullptr) return -1;
  return message_store_time(topic, queue_id, queue->min_offset());
}

std::int64_t DefaultMessageStore::message_store_time(std::string_view topic, std::int32_t queue_id,
                                                     std::int64_t queue_offset) {
  ConsumeQueue* queue = find_queue(topic, queue_id);
  if (queue == nullptr) return -1;
  const auto entry = queue->entry(queue_offset);
  return entry ? store_time_at(*entry) : -1;
}

std::optional<common::Bytes> DefaultMessageStore::read_record(std::int64_t physical_offset) {
  return commitlog_->read_record(physical_offset);
}

QueryResult DefaultMessageStore::query_messages(std::string_view topic, std::string_view key, std::int32_t max_count,
                                                std::int64_t begin_ms, std::int64_t end_ms) {
  QueryResult result;
  if (!index_ || max_count <= 0) return result;
  const IndexService::Hits hits = index_->query(topic, key, max_count, begin_ms, end_ms);
  result.index_last_update_timestamp_ms = hits.last_update_timestamp_ms;
  result.index_last_update_phy_offset = hits.last_update_phy_offset;
  for (const std::int64_t offset : hits.physical_offsets) {
    if (result.message_count >= max_count) break;
    const auto bytes = commitlog_->read_record(offset);
    if (!bytes) continue;
    MessageRecord record;
    if (decode_record(*bytes, false, &record).status != DecodeStatus::kOk) continue;
    if (record.topic != topic || !has_key(record.properties, key)) continue;
    result.records.insert(result.records.end(), bytes->begin(), bytes->end());
    ++result.message_count;
  }
  return result;
}

std::vector<std::pair<std::string, std::int32_t>> DefaultMessageStore::queues() {
  std::vector<std::pair<std::string, std::int32_t>> out;
  for (ConsumeQueue* queue : all_queues()) out.emplace_back(queue->topic(), queue->queue_id());
  return out;
}

void DefaultMessageStore::add_arrival_listener(ArrivalListener listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

std::optional<std::string> DefaultMessageStore::disk_space_problem() {
  return disk_guard_ ? disk_guard_->problem() : std::nullopt;
}

StoreStats DefaultMessageStore::stats() {
  StoreStats s;
  s.min_physical_offset = commitlog_->min_offset();
  s.max_physical_offset = commitlog_->max_offset();
  s.flushed_physical_offset = commitlog_->flushed_offset();
  s.dispatch_behind_bytes = 0;  // dispatch runs inside the put, so nothing appended is ever undispatched
  s.put_message_count = put_message_count_.load();
  s.get_message_count = get_message_count_.load();
  s.earliest_message_time_ms = commitlog_->earliest_store_time();
  const fs::path dir = config_.commitlog_dir.empty() ? root_ / "commitlog" : fs::path(config_.commitlog_dir);
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) == 0) {
    s.commitlog_disk_total_bytes = static_cast<std::int64_t>(vfs.f_blocks) * static_cast<std::int64_t>(vfs.f_frsize);
    s.commitlog_disk_free_bytes = static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
  }
  return s;
}

void DefaultMessageStore::shutdown() {
  if (!opened_) return;  // open() failed half-way: nothing was started, and `abort` must stay
  {
    std::lock_guard lock(put_mutex_);
    if (shut_down_.exchange(true)) return;
  }
  {
    std::lock_guard lock(commit_mutex_);
    commit_stopping_ = true;
  }
  commit_cv_.notify_all();
  watcher_cv_.notify_all();
  if (group_commit_thread_.joinable()) group_commit_thread_.join();
  if (flush_watcher_thread_.joinable()) flush_watcher_thread_.join();
  {
    std::lock_guard lock(background_mutex_);
    background_stopping_ = true;
  }
  background_cv_.notify_all();
  if (background_flush_thread_.joinable()) background_flush_thread_.join();
  flush_commitlog();
  flush_logics_and_checkpoint();
  if (index_) index_->shutdown();
  if (writeable_.load()) remove_abort_file(root_);
  lock_->release();
}

}  // namespace rmq::store
