#include "broker/store/dledger_message_store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "broker/common/io_error.h"
#include "broker/store/dledger_entry.h"
#include "broker/store/message_properties.h"

namespace rmq::store {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kDispatchBatchEntries = 256;
constexpr std::size_t kDispatchBatchBytes = 4 * 1024 * 1024;
constexpr auto kDispatchPoll = std::chrono::milliseconds(100);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PutResult failure(PutStatus status, std::string detail) {
  PutResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

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

PutStatus put_status_of(ReplicateStatus status) {
  switch (status) {
    case ReplicateStatus::kOk: return PutStatus::kOk;
    case ReplicateStatus::kNotLeader: return PutStatus::kServiceNotAvailable;
    case ReplicateStatus::kStoreFailed: return PutStatus::kServiceNotAvailable;
    case ReplicateStatus::kBusy: return PutStatus::kOsPageCacheBusy;
    case ReplicateStatus::kTimeout: return PutStatus::kOsPageCacheBusy;
  }
  return PutStatus::kUnknownError;
}

std::optional<PutResult> validate(const std::vector<MessageRecord>& records, const StoreConfig& config) {
  if (records.empty()) return failure(PutStatus::kMessageIllegal, "empty batch");
  for (const auto& record : records) {
    if (record.topic.empty() || utf16_length(record.topic) > 127) {
      return failure(PutStatus::kMessageIllegal,
                     "topic length " + std::to_string(record.topic.size()) + " is not within 1..127");
    }
    if (record.topic.find_first_of(std::string_view("/\0", 2)) != std::string::npos || record.topic == "." ||
        record.topic == "..") {
      return failure(PutStatus::kMessageIllegal, "topic '" + record.topic + "' cannot name a directory");
    }
    if (record.topic != records.front().topic || record.queue_id != records.front().queue_id) {
      return failure(PutStatus::kMessageIllegal, "a batch must go to one topic and queue");
    }
    if (static_cast<std::int64_t>(record.body.size()) > config.max_message_size_bytes) {
      return failure(PutStatus::kMessageIllegal, "body of " + std::to_string(record.body.size()) +
                                                     " bytes exceeds maxMessageSize " +
                                                     std::to_string(config.max_message_size_bytes));
    }
    if (record.properties.size() > 32767) {
      return failure(PutStatus::kPropertiesSizeExceeded,
                     "properties of " + std::to_string(record.properties.size()) + " bytes exceed 32767");
    }
    if (record.queue_id < 0) return failure(PutStatus::kMessageIllegal, "negative queue id");
  }
  return std::nullopt;
}

void call_safely(const PutCallback& done, const PutResult& result) {
  try {
    done(result);
  } catch (const std::exception& e) {
    spdlog::error("DLedger message store: a put callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("DLedger message store: a put callback threw a non-standard exception");
  }
}

}  // namespace

// One put in flight: what the answer needs, and the hand-off between append() returning and done firing.
struct DLedgerMessageStore::PendingPut {
  PutCallback done;
  std::vector<HostAddress> store_hosts;
  std::vector<std::int32_t> sizes;
  std::int64_t first_queue_offset = 0;
  std::int64_t store_timestamp_ms = 0;
  std::mutex mutex;
  bool in_append = true;      // append() has not returned yet
  bool patched = false;       // the runtime fixed a position: some entry may exist
  std::optional<std::vector<ReplicatedEntry>> early_results;  // done fired inside append()
};

std::unique_ptr<DLedgerStoreStart> DLedgerMessageStore::prepare(common::FileSystem& fs, StoreConfig config,
                                                                DLedgerCommitLogOptions options) {
  if (config.root_dir.empty()) throw std::runtime_error("storePathRootDir is empty");
  if (config.commitlog_file_size_bytes < 4096) {
    throw std::runtime_error("mappedFileSizeCommitLog " + std::to_string(config.commitlog_file_size_bytes) +
                             " is too small (at least 4096)");
  }
  if (config.store_host.ip.empty()) config.store_host = HostAddress{{127, 0, 0, 1}, 10911};
  if (options.store_root.empty()) options.store_root = config.root_dir;
  if (options.legacy_dir.empty() && !config.commitlog_dir.empty()) options.legacy_dir = config.commitlog_dir;
  options.file_size_bytes = config.commitlog_file_size_bytes;
  options.check_crc_on_recover = config.check_crc_on_recover;
  auto start = std::make_unique<DLedgerStoreStart>();
  const fs::path root = config.root_dir;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw common::IoError("create directory " + root.string() + ": " + ec.message());
  start->lock = std::make_unique<StoreLock>(root);
  start->last_exit_clean = !abort_file_exists(root);
  start->adoption = prepare_dledger_commit_log(fs, options);
  start->config = std::move(config);
  start->options = std::move(options);
  return start;
}

DLedgerMessageStore::DLedgerMessageStore(std::unique_ptr<DLedgerStoreStart> start, DLedgerReplicator& replicator)
    : config_(std::move(start->config)),
      options_(std::move(start->options)),
      adoption_(std::move(start->adoption)),
      lock_(std::move(start->lock)),
      last_exit_clean_(start->last_exit_clean),
      root_(config_.root_dir),
      replicator_(replicator) {}

std::unique_ptr<DLedgerMessageStore> DLedgerMessageStore::open(std::unique_ptr<DLedgerStoreStart> start,
                                                               DLedgerReplicator& replicator) {
  if (!start || !start->lock) throw std::invalid_argument("DLedgerMessageStore::open needs the result of prepare()");
  std::unique_ptr<DLedgerMessageStore> store(new DLedgerMessageStore(std::move(start), replicator));
  auto& self = *store;
  if (self.config_.delay_level_ms.empty()) {
    self.config_.delay_level_ms = {1000,   5000,   10000,  30000,  60000,   120000,  180000,  240000,  300000,
                                   360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000, 7200000};
  }
  self.checkpoint_ = std::make_unique<StoreCheckpoint>(self.root_ / "checkpoint");
  self.disk_guard_ = std::make_unique<DiskSpaceGuard>(
      std::vector<fs::path>{self.root_, self.options_.dledger_data_path()}, self.config_.disk_space_warning_level_percent);
  self.commitlog_ = std::make_unique<DLedgerCommitLog>(self.options_, self.adoption_, replicator);
  self.queues_ = std::make_unique<ConsumeQueueSet>(self.root_ / "consumequeue", self.config_.consume_queue_file_size_bytes,
                                                   self.config_.delay_level_ms);
  self.queues_->load();
  if (self.config_.message_index_enable) {
    self.index_ = std::make_unique<IndexService>((self.root_ / "index").string(), self.config_.max_hash_slot_num,
                                                 self.config_.max_index_num);
    self.index_->load(self.last_exit_clean_, self.checkpoint_->index_msg_timestamp());
  }
  self.recover();
  create_abort_file(self.root_);
  replicator.set_commit_listener([raw = store.get()](std::int64_t committed_index) {
    raw->commit_hint_.store(committed_index);
    std::lock_guard lock(raw->dispatch_mutex_);
    raw->dispatch_cv_.notify_one();
  });
  self.dispatcher_thread_ = std::thread([raw = store.get()] { raw->dispatcher_loop(); });
  self.flush_thread_ = std::thread([raw = store.get()] { raw->flush_loop(); });
  self.opened_ = true;
  return store;
}

DLedgerMessageStore::~DLedgerMessageStore() {
  try {
    shutdown();
  } catch (...) {
    // The abort file stays; the next start recovers as after a crash.
  }
}

std::int64_t DLedgerMessageStore::entry_end(std::int64_t index) const {
  if (index < 0) return -1;
  const auto entries = replicator_.read_entries(index, 1, 1);
  if (entries.empty() || entries.front().index != index) return -1;
  return entries.front().pos + static_cast<std::int64_t>(entries.front().size_bytes());
}

std::int64_t DLedgerMessageStore::first_undispatched_index(std::int64_t reput_from) const {
  const ReplicaStatus st = replicator_.status();
  std::int64_t low = std::max<std::int64_t>(0, st.begin_index);
  std::int64_t high = st.committed_index + 1;  // answer in [low, high]
  while (low < high) {
    const std::int64_t mid = low + (high - low) / 2;
    const std::int64_t end = entry_end(mid);
    if (end < 0) return low;  // unreadable: dispatch from the lowest candidate; covered entries are ignored
    if (end <= reput_from) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

void DLedgerMessageStore::recover() {
  const ReplicaStatus st = replicator_.status();
  const std::int64_t divided = commitlog_->divided_offset();
  std::int64_t committed_end = entry_end(st.committed_index);
  if (committed_end < 0) committed_end = divided;
  if (adoption_.first_start && commitlog_->has_legacy()) {
    // Adoption may have cut a torn legacy tail: queue entries past the recovered legacy end point at nothing
    // (later starts find the legacy region as adoption left it, and the DLedger region above it).
    queues_->truncate_by_commitlog_end(commitlog_->legacy_data_end());
  }
  // Consume-queue entries beyond what is committed here are dropped; the dispatcher writes them again when the
  // commit index reaches them (the bytes are the same on every replica).
  queues_->truncate_by_commitlog_end(committed_end);
  queues_->correct_min_offset(commitlog_->min_offset());
  std::int64_t reput_from = std::max(commitlog_->min_offset(), queues_->max_physical_offset());
  if (!last_exit_clean_ && reput_from > divided) {
    // After a crash a queue may lag the others: start again at the data file that holds the resume point.
    reput_from = std::max(divided, reput_from - (reput_from - divided) % options_.file_size_bytes);
  }
  if (reput_from < commitlog_->legacy_data_end()) {
    commitlog_->scan_legacy(reput_from, [&](const MessageRecord& record, std::int64_t offset, std::int32_t size) {
      dispatch_record(record, offset, size);
    });
  }
  next_index_ = first_undispatched_index(std::max(reput_from, divided));
  dispatched_index_.store(next_index_ - 1);
  const std::int64_t end = next_index_ > 0 ? entry_end(next_index_ - 1) : -1;
  dispatched_end_pos_.store(end >= 0 ? end : divided);
  commit_hint_.store(st.committed_index);
  queue_offsets_ = queues_->next_queue_offsets();
  spdlog::info("DLedger message store: dividedCommitlogOffset {}, committed index {}, dispatch resumes at index {}",
               divided, st.committed_index, next_index_);
}

void DLedgerMessageStore::dispatch_record(const MessageRecord& record, std::int64_t offset, std::int32_t size) {
  queues_->dispatch(record, offset, size);
  if (index_) index_->build_index(record.topic, record.properties, record.sys_flag, offset, record.store_timestamp_ms);
  last_dispatched_store_timestamp_ms_.store(record.store_timestamp_ms);
}

std::int64_t DLedgerMessageStore::dispatch_batch() {
  const std::int64_t committed = std::max(commit_hint_.load(), replicator_.status().committed_index);
  if (next_index_ > committed) return 0;
  auto entries = replicator_.read_entries(next_index_, kDispatchBatchEntries, kDispatchBatchBytes);
  if (entries.empty()) {
    const ReplicaStatus st = replicator_.status();
    if (st.begin_index > next_index_) {
      spdlog::warn("DLedger dispatch: entries {}..{} are no longer in the log (it begins at {}); skipping them",
                   next_index_, st.begin_index - 1, st.begin_index);
      next_index_ = st.begin_index;
    }
    return 0;
  }
  std::unordered_map<std::string, std::pair<std::int32_t, std::int64_t>> arrivals;
  std::int64_t handled = 0;
  for (const DLedgerEntry& entry : entries) {
    if (entry.index > next_index_ && handled == 0) {
      // The log no longer holds the entries between (deleted by retention below the log's begin).
      spdlog::warn("DLedger dispatch: entries {}..{} are no longer in the log; resuming at {}", next_index_,
                   entry.index - 1, entry.index);
      next_index_ = entry.index;
    }
    if (entry.index != next_index_) {
      spdlog::error("DLedger dispatch: expected entry {} but read {}", next_index_, entry.index);
      break;
    }
    const std::int64_t offset = entry.pos + static_cast<std::int64_t>(kDLedgerHeaderBytes);
    MessageRecord record;
    const DecodeResult r = decode_record(entry.body, /*check_crc=*/false, &record);
    if (r.status != DecodeStatus::kOk || static_cast<std::size_t>(r.size) != entry.body.size()) {
      // As upstream's reput ([BUG]dispatch message to consume queue error): logged and skipped, never served.
      skipped_entries_.fetch_add(1);
      spdlog::error("[BUG] DLedger dispatch: committed entry {} at pos {} holds no commitlog record ({}{}); skipped",
                    entry.index, entry.pos, to_string(r.status), r.detail.empty() ? "" : ": " + r.detail);
    } else {
      if (record.physical_offset != offset) {
        spdlog::warn("DLedger dispatch: entry {} record PHYSICALOFFSET {} != pos + 48 = {}", entry.index,
                     record.physical_offset, offset);
      }
      dispatch_record(record, offset, r.size);
      if (goes_to_consume_queue(record.sys_flag)) {
        arrivals[queue_key(record.topic, record.queue_id)] = {record.queue_id, record.queue_offset + 1};
      }
    }
    ++next_index_;
    ++handled;
    dispatched_end_pos_.store(entry.pos + static_cast<std::int64_t>(entry.size_bytes()));
    dispatched_index_.store(entry.index);
  }
  if (!arrivals.empty()) notify_arrivals(arrivals);
  {
    std::lock_guard lock(dispatch_mutex_);
    dispatched_cv_.notify_all();
  }
  return handled;
}

void DLedgerMessageStore::notify_arrivals(
    const std::unordered_map<std::string, std::pair<std::int32_t, std::int64_t>>& arrivals) {
  std::vector<ArrivalListener> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    listeners = listeners_;
  }
  if (listeners.empty()) return;
  for (const auto& [key, value] : arrivals) {
    const std::string topic = key.substr(0, key.rfind('-'));
    for (const auto& listener : listeners) listener(topic, value.first, value.second);
  }
}

void DLedgerMessageStore::dispatcher_loop() {
  bool reported = false;
  while (true) {
    {
      std::unique_lock lock(dispatch_mutex_);
      if (dispatch_stopping_) return;
    }
    std::int64_t handled = 0;
    try {
      handled = dispatch_batch();
      reported = false;
    } catch (const std::exception& e) {
      if (!reported) spdlog::error("DLedger dispatch failed (retrying): {}", e.what());
      reported = true;
    }
    if (handled > 0) continue;
    std::unique_lock lock(dispatch_mutex_);
    dispatch_cv_.wait_for(lock, kDispatchPoll,
                          [this] { return dispatch_stopping_ || commit_hint_.load() >= next_index_; });
    if (dispatch_stopping_) return;
  }
}

bool DLedgerMessageStore::try_ready_locked(const ReplicaStatus& st) {
  if (st.role != ReplicaRole::kLeader) return false;
  if (st.end_index != st.committed_index) return false;
  if (dispatched_index_.load() < st.committed_index) return false;
  queue_offsets_ = queues_->next_queue_offsets();
  ready_term_.store(st.term);
  spdlog::info("DLedger message store: ready as leader of term {} (committed and dispatched up to index {})", st.term,
               st.committed_index);
  return true;
}

bool DLedgerMessageStore::ready_as_leader() {
  const ReplicaStatus st = replicator_.status();
  if (st.role != ReplicaRole::kLeader) return false;
  std::lock_guard lock(put_mutex_);
  if (ready_term_.load() == st.term) return true;
  return try_ready_locked(st);
}

DLedgerDispatchStatus DLedgerMessageStore::dispatch_status() const {
  DLedgerDispatchStatus s;
  s.committed_index = replicator_.status().committed_index;
  s.dispatched_index = dispatched_index_.load();
  s.dispatched_end_pos = dispatched_end_pos_.load();
  s.divided_offset = commitlog_->divided_offset();
  s.skipped_entries = skipped_entries_.load();
  return s;
}

bool DLedgerMessageStore::wait_dispatched(std::int64_t timeout_ms) {
  const std::int64_t target = replicator_.status().committed_index;
  std::unique_lock lock(dispatch_mutex_);
  return dispatched_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                 [&] { return dispatched_index_.load() >= target; });
}

void DLedgerMessageStore::put_message(MessageRecord message, PutCallback done) {
  std::vector<MessageRecord> records;
  records.push_back(std::move(message));
  put_records(std::move(records), std::move(done));
}

void DLedgerMessageStore::put_messages(std::vector<MessageRecord> batch, PutCallback done) {
  put_records(std::move(batch), std::move(done));
}

void DLedgerMessageStore::put_records(std::vector<MessageRecord> records, PutCallback done) {
  if (auto bad = validate(records, config_)) return done(*bad);
  if (auto problem = disk_guard_->problem()) return done(failure(PutStatus::kServiceNotAvailable, *problem));
  auto put = std::make_shared<PendingPut>();
  put->done = std::move(done);
  std::optional<PutResult> failed;
  std::optional<std::vector<ReplicatedEntry>> early;
  {
    std::lock_guard lock(put_mutex_);
    failed = [&]() -> std::optional<PutResult> {
      if (shut_down_.load()) return failure(PutStatus::kServiceNotAvailable, "message store is shut down");
      const ReplicaStatus st = replicator_.status();
      if (st.role != ReplicaRole::kLeader) {
        PutResult refused = failure(PutStatus::kServiceNotAvailable, "not the DLedger leader" +
                                                                         (st.leader_id.empty() ? "" : " (leader is " + st.leader_id + ")"));
        refused.not_leader = true;
        return refused;
      }
      if (ready_term_.load() != st.term && !try_ready_locked(st)) {
        PutResult refused = failure(PutStatus::kServiceNotAvailable,
                                    "the new leader is still committing and dispatching its log (term " +
                                        std::to_string(st.term) + ")");
        refused.not_leader = true;
        return refused;
      }
      const std::int64_t store_time = std::max(now_ms(), last_store_timestamp_ms_);
      const bool to_queue = goes_to_consume_queue(records.front().sys_flag);
      std::int64_t& queue_offset = queue_offsets_[queue_key(records.front().topic, records.front().queue_id)];
      std::vector<common::Bytes> bodies;
      bodies.reserve(records.size());
      for (std::size_t i = 0; i < records.size(); ++i) {
        MessageRecord& r = records[i];
        r.queue_offset = to_queue ? queue_offset + static_cast<std::int64_t>(i) : 0;
        r.physical_offset = 0;  // the append patch writes entry pos + 48
        r.store_timestamp_ms = store_time;
        r.store_host = config_.store_host;
        try {
          seal(r);
          common::Bytes body;
          encode(r, body);
          if (body.size() + kDLedgerHeaderBytes > kDLedgerMaxEntryBytes) {
            return failure(PutStatus::kMessageIllegal, "record of " + std::to_string(body.size()) +
                                                           " bytes does not fit in a DLedger entry (4 MiB)");
          }
          put->sizes.push_back(static_cast<std::int32_t>(body.size()));
          bodies.push_back(std::move(body));
        } catch (const std::invalid_argument& e) {
          return failure(PutStatus::kMessageIllegal, e.what());
        }
        put->store_hosts.push_back(r.store_host);
      }
      put->first_queue_offset = records.front().queue_offset;
      put->store_timestamp_ms = store_time;
      last_store_timestamp_ms_ = store_time;
      const std::int64_t count = to_queue ? static_cast<std::int64_t>(records.size()) : 0;
      queue_offset += count;
      replicator_.append(
          std::move(bodies),
          [put](std::int64_t entry_pos, std::span<std::uint8_t> body) {
            write_commitlog_physical_offset(entry_pos, body);
            std::lock_guard l(put->mutex);
            put->patched = true;
          },
          [this, put](std::vector<ReplicatedEntry> results) {
            {
              std::lock_guard l(put->mutex);
              if (put->in_append) {
                put->early_results = std::move(results);
                return;
              }
            }
            finish_put(put, results);
          });
      {
        std::lock_guard l(put->mutex);
        put->in_append = false;
        early = std::move(put->early_results);
        // Failed at once and nothing was written: the queue offsets were not used.
        if (early && !put->patched) queue_offset -= count;
      }
      return std::nullopt;
    }();
  }
  if (failed) return call_safely(put->done, *failed);
  if (early) finish_put(put, *early);
}

void DLedgerMessageStore::finish_put(const std::shared_ptr<PendingPut>& put,
                                     const std::vector<ReplicatedEntry>& results) {
  PutResult result;
  result.status = PutStatus::kOk;
  if (results.size() != put->sizes.size()) {
    result.status = PutStatus::kUnknownError;
    result.detail = "replicator answered " + std::to_string(results.size()) + " results for " +
                    std::to_string(put->sizes.size()) + " entries";
  }
  for (const ReplicatedEntry& e : results) {
    if (e.status != ReplicateStatus::kOk) {
      result.status = put_status_of(e.status);
      result.detail = std::string("DLedger append: ") + to_string(e.status);
      result.not_leader = e.status == ReplicateStatus::kNotLeader;
      break;
    }
  }
  if (result.status != PutStatus::kOk) {
    bool maybe_written = false;
    {
      std::lock_guard l(put->mutex);
      maybe_written = put->patched;
    }
    // Entries that may exist but did not commit (yet) used queue offsets: rebuild the table once the log
    // has settled (ready_as_leader), never guess.
    if (maybe_written || results.empty()) ready_term_.store(-1);
    return call_safely(put->done, result);
  }
  result.physical_offset = results.front().pos + static_cast<std::int64_t>(kDLedgerHeaderBytes);
  result.queue_offset = put->first_queue_offset;
  result.store_timestamp_ms = put->store_timestamp_ms;
  for (std::size_t i = 0; i < results.size(); ++i) {
    result.size_bytes += put->sizes[i];
    result.msg_ids.push_back(
        message_id(put->store_hosts[i], results[i].pos + static_cast<std::int64_t>(kDLedgerHeaderBytes)));
  }
  put_message_count_.fetch_add(static_cast<std::int64_t>(results.size()));
  call_safely(put->done, result);
}

GetResult DLedgerMessageStore::get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset,
                                            std::int32_t max_count, std::int64_t max_bytes,
                                            const TagsCodeFilter& filter) {
  GetResult result = queues_->get_messages(topic, queue_id, offset, max_count, max_bytes, filter,
                                           [this](std::int64_t off, std::int32_t size) {
                                             return commitlog_->read_record(off, size);
                                           });
  get_message_count_.fetch_add(result.message_count);
  return result;
}

std::int64_t DLedgerMessageStore::max_offset_in_queue(std::string_view topic, std::int32_t queue_id) {
  return queues_->max_offset_in_queue(topic, queue_id);
}

std::int64_t DLedgerMessageStore::min_offset_in_queue(std::string_view topic, std::int32_t queue_id) {
  return queues_->min_offset_in_queue(topic, queue_id);
}

std::int64_t DLedgerMessageStore::offset_by_timestamp(std::string_view topic, std::int32_t queue_id,
                                                      std::int64_t timestamp_ms) {
  return queues_->offset_by_timestamp(topic, queue_id, timestamp_ms,
                                      [this](std::int64_t off) { return commitlog_->store_time_at(off); });
}

std::int64_t DLedgerMessageStore::earliest_message_time(std::string_view topic, std::int32_t queue_id) {
  return queues_->earliest_message_time(topic, queue_id,
                                        [this](std::int64_t off) { return commitlog_->store_time_at(off); });
}

std::int64_t DLedgerMessageStore::message_store_time(std::string_view topic, std::int32_t queue_id,
                                                     std::int64_t queue_offset) {
  return queues_->message_store_time(topic, queue_id, queue_offset,
                                     [this](std::int64_t off) { return commitlog_->store_time_at(off); });
}

std::optional<common::Bytes> DLedgerMessageStore::read_record(std::int64_t physical_offset) {
  return commitlog_->read_record(physical_offset);
}

QueryResult DLedgerMessageStore::query_messages(std::string_view topic, std::string_view key, std::int32_t max_count,
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

std::vector<std::pair<std::string, std::int32_t>> DLedgerMessageStore::queues() { return queues_->queues(); }

std::optional<std::string> DLedgerMessageStore::disk_space_problem() {
  return disk_guard_ ? disk_guard_->problem() : std::nullopt;
}

void DLedgerMessageStore::add_arrival_listener(ArrivalListener listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

StoreStats DLedgerMessageStore::stats() {
  StoreStats s;
  const ReplicaStatus st = replicator_.status();
  s.min_physical_offset = commitlog_->min_offset();
  const std::int64_t committed_end = entry_end(st.committed_index);
  // getMaxOffset (storage.md 6.6): the committed end, else the divided offset.
  s.max_physical_offset = committed_end > 0 ? committed_end : commitlog_->divided_offset();
  s.flushed_physical_offset = s.max_physical_offset;
  const std::int64_t dispatched_end = dispatched_end_pos_.load();
  s.dispatch_behind_bytes = dispatched_index_.load() >= st.committed_index
                                ? 0
                                : std::max<std::int64_t>(1, s.max_physical_offset - dispatched_end);
  s.divided_commitlog_offset = commitlog_->divided_offset();
  s.put_message_count = put_message_count_.load();
  s.get_message_count = get_message_count_.load();
  s.earliest_message_time_ms = commitlog_->legacy_earliest_store_time();
  if (s.earliest_message_time_ms < 0 && st.begin_index >= 0 && st.begin_index <= st.committed_index) {
    const auto first = replicator_.read_entries(st.begin_index, 1, 1);
    MessageRecord record;
    if (!first.empty() && decode_record(first.front().body, false, &record).status == DecodeStatus::kOk) {
      s.earliest_message_time_ms = record.store_timestamp_ms;
    }
  }
  struct statvfs vfs {};
  if (::statvfs(options_.dledger_data_path().c_str(), &vfs) == 0) {
    s.commitlog_disk_total_bytes = static_cast<std::int64_t>(vfs.f_blocks) * static_cast<std::int64_t>(vfs.f_frsize);
    s.commitlog_disk_free_bytes = static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
  }
  return s;
}

void DLedgerMessageStore::flush_logics() {
  std::lock_guard lock(logics_flush_mutex_);
  const std::int64_t time = last_dispatched_store_timestamp_ms_.load();
  queues_->flush();
  if (time > 0) {
    // In DLedger mode the physic timestamp follows dispatch too (storage.md 2.5).
    checkpoint_->set_physic_msg_timestamp(time);
    checkpoint_->set_logics_msg_timestamp(time);
  }
  if (index_) {
    index_->flush();
    checkpoint_->set_index_msg_timestamp(index_->index_msg_timestamp());
  }
  checkpoint_->flush();
}

void DLedgerMessageStore::flush_loop() {
  const auto interval = std::chrono::milliseconds(std::max<std::int64_t>(1, config_.flush_interval_ms));
  bool reported = false;
  std::unique_lock lock(flush_mutex_);
  while (!flush_cv_.wait_for(lock, interval, [this] { return flush_stopping_; })) {
    lock.unlock();
    try {
      flush_logics();
      reported = false;
    } catch (const std::exception& e) {
      if (!reported) spdlog::error("DLedger message store: flush of consume queues/index/checkpoint failed: {}", e.what());
      reported = true;
    }
    lock.lock();
  }
}

void DLedgerMessageStore::shutdown() {
  if (!opened_) return;
  {
    std::lock_guard lock(put_mutex_);
    if (shut_down_.exchange(true)) return;
  }
  replicator_.set_commit_listener({});
  {
    std::lock_guard lock(dispatch_mutex_);
    dispatch_stopping_ = true;
  }
  dispatch_cv_.notify_all();
  if (dispatcher_thread_.joinable()) dispatcher_thread_.join();
  {
    std::lock_guard lock(flush_mutex_);
    flush_stopping_ = true;
  }
  flush_cv_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  flush_logics();
  if (index_) index_->shutdown();
  remove_abort_file(root_);
  lock_->release();
}

}  // namespace rmq::store
