// The plain (non-DLedger) message store of rmq-broker (DefaultMessageStore.java with a plain CommitLog):
// commitlog + consume queues + index under storePathRootDir (storage.md 2-4), behind MessageStore.
//
// A put, under one put lock: assign queue offsets from the topic-queueId table, append to the commitlog
// (which assigns PHYSICALOFFSET and store time), then dispatch synchronously in commitlog order: the
// consume-queue entry (not for PREPARED/ROLLBACK transaction records), the index (when enabled), and after the
// lock is released the arrival listeners. So QUEUEOFFSET in a record always equals its consume-queue slot,
// and a record is readable through its queue as soon as its put returns.
//
// Durability: ASYNC_FLUSH acks right after the append (page cache) and a background thread msyncs every
// flush_interval_ms. SYNC_FLUSH acks from the group-commit thread (GroupCommitService), which takes all
// waiting puts, does one msync covering the highest of them and completes them all; it also flushes, at least
// every 10 ms, data appended by puts that do not wait (WAIT=false). A watcher thread (FlushDiskWatcher)
// answers kFlushDiskTimeout to a put whose sync_flush_timeout_ms passed while the msync still hangs; each
// put is answered exactly once. Once a commitlog msync failed, the store stops flushing and taking puts,
// and every put above the last good flushed offset is answered kFlushDiskTimeout (a later msync "success"
// proves nothing: the kernel may have dropped the dirty pages). Consume queues, index and checkpoint are
// flushed by the background thread strictly every flush_interval_ms, under a lock of their own, so it never
// delays a group commit.
//
// Start (open): lock file, abort-file check, checkpoint, load commitlog and consume queues, recover the
// commitlog end (normal: from the 3rd-last file; after a crash: from the newest file stored before the
// checkpoint, with CRC checks when check_crc_on_recover), truncate the torn tail and any consume-queue entry
// past it, re-dispatch the records the queues miss, rebuild the queue offset table, create `abort`.
// Shutdown: flush everything, write the checkpoint, remove `abort`, release `lock`. A stop requested during
// open (StoreConfig::stop_requested, polled per consume queue loaded and per record re-dispatched) ends it
// with StoreOpenCancelled and leaves `abort`, so the next start recovers in full.
//
// Disk: consume-queue files are sparse (consume_queue.h); the disk reserve (disk_space_guard.h) refuses puts
// and new commitlog files above diskSpaceWarningLevelRatio, without making the store unwriteable: once
// space is freed, puts are taken again.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/store/commit_log.h"
#include "broker/store/consume_queue.h"
#include "broker/store/disk_space_guard.h"
#include "broker/store/index_service.h"
#include "broker/store/message_store.h"
#include "broker/store/store_checkpoint.h"
#include "broker/store/store_lock.h"

namespace rmq::store {

// open() stopped because StoreConfig::stop_requested returned true (a SIGTERM during recovery).
class StoreOpenCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DefaultMessageStore final : public MessageStore {
 public:
  // Locks, loads, recovers, dispatches and starts the flush threads. Throws common::IoError or
  // std::runtime_error with a one-line message naming the file.
  static std::unique_ptr<DefaultMessageStore> open(StoreConfig config);
  ~DefaultMessageStore() override;
  DefaultMessageStore(const DefaultMessageStore&) = delete;
  DefaultMessageStore& operator=(const DefaultMessageStore&) = delete;

  // False when the `abort` file was found at open (the previous run crashed).
  bool last_exit_was_clean() const { return last_exit_clean_; }
  // How many commitlog syncs (msync calls covering new data) the store has done since open; group commit
  // makes this far smaller than the number of SYNC_FLUSH puts.
  std::int64_t commitlog_sync_count() const { return commitlog_sync_count_.load(); }
  // How many rounds the background flush thread (consume queues, index, checkpoint) has run since open.
  std::int64_t background_flush_round_count() const { return background_flush_rounds_.load(); }
  // Why recovery stopped scanning where it did ("" for a clean end of data), for logs and tests.
  const std::string& recovery_stop_detail() const { return recovery_stop_detail_; }

  void put_message(MessageRecord message, PutCallback done) override;
  void put_messages(std::vector<MessageRecord> batch, PutCallback done) override;
  GetResult get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset, std::int32_t max_count,
                         std::int64_t max_bytes, const TagsCodeFilter& filter) override;
  std::int64_t max_offset_in_queue(std::string_view topic, std::int32_t queue_id) override;
  std::int64_t min_offset_in_queue(std::string_view topic, std::int32_t queue_id) override;
  std::int64_t offset_by_timestamp(std::string_view topic, std::int32_t queue_id, std::int64_t timestamp_ms) override;
  std::int64_t earliest_message_time(std::string_view topic, std::int32_t queue_id) override;
  std::int64_t message_store_time(std::string_view topic, std::int32_t queue_id, std::int64_t queue_offset) override;
  std::optional<common::Bytes> read_record(std::int64_t physical_offset) override;
  QueryResult query_messages(std::string_view topic, std::string_view key, std::int32_t max_count,
                             std::int64_t begin_ms, std::int64_t end_ms) override;
  std::vector<std::pair<std::string, std::int32_t>> queues() override;
  void add_arrival_listener(ArrivalListener listener) override;
  StoreStats stats() override;
  std::optional<std::string> disk_space_problem() override;
  void shutdown() override;

 private:
  struct FlushRequest {
    std::int64_t end_offset = 0;
    std::chrono::steady_clock::time_point deadline;
    PutResult result;
    PutCallback done;
    std::atomic<bool> completed{false};  // set by whoever answers first (group commit or watcher)
  };
  using FlushRequestPtr = std::shared_ptr<FlushRequest>;

  explicit DefaultMessageStore(StoreConfig config);
  void load_consume_queues();
  // Throws StoreOpenCancelled (after making sure `abort` exists) when config_.stop_requested says so.
  void check_stop_requested(const char* during);
  void recover();
  void start_threads();
  void put_records(std::vector<MessageRecord> records, PutCallback done);
  // Writes the record's consume-queue entry and index entries. Caller holds put_mutex_ (or is recovering).
  void dispatch(const MessageRecord& record, std::int64_t offset, std::int32_t size);
  std::int64_t tags_code(const MessageRecord& record) const;
  ConsumeQueue& find_or_create_queue(const std::string& topic, std::int32_t queue_id);
  ConsumeQueue* find_queue(std::string_view topic, std::int32_t queue_id) const;
  std::vector<ConsumeQueue*> all_queues() const;
  std::int64_t store_time_at(const ConsumeQueueEntry& entry) const;
  void background_flush_loop();
  void group_commit_loop();
  void flush_watcher_loop();
  // Answers the request unless it was answered already; a throwing callback is logged, never propagated.
  static void complete(FlushRequest& request, PutStatus status, const std::string& detail);
  // msyncs the commitlog. Returns false when this or an earlier flush failed (then nothing is synced).
  bool flush_commitlog();
  // Status of a SYNC_FLUSH put ending at end_offset after a flush: kOk or kFlushDiskTimeout with a detail.
  PutStatus flushed_status(std::int64_t end_offset, std::string* detail);
  void flush_logics_and_checkpoint();

  StoreConfig config_;
  std::filesystem::path root_;
  std::unique_ptr<StoreLock> lock_;
  std::unique_ptr<StoreCheckpoint> checkpoint_;
  std::unique_ptr<CommitLog> commitlog_;
  std::unique_ptr<IndexService> index_;
  std::unique_ptr<DiskSpaceGuard> disk_guard_;
  bool last_exit_clean_ = true;
  bool opened_ = false;
  std::string recovery_stop_detail_;

  mutable std::shared_mutex queues_mutex_;
  std::map<std::string, std::map<std::int32_t, std::unique_ptr<ConsumeQueue>>, std::less<>> queues_;

  std::mutex put_mutex_;
  std::unordered_map<std::string, std::int64_t> queue_offsets_;  // "topic-queueId" -> next queue offset
  std::int64_t last_store_timestamp_ms_ = 0;
  std::atomic<std::int64_t> last_dispatched_store_timestamp_ms_{0};
  std::atomic<bool> writeable_{true};
  std::atomic<bool> shut_down_{false};

  std::mutex listeners_mutex_;
  std::vector<ArrivalListener> listeners_;

  std::atomic<std::int64_t> put_message_count_{0};
  std::atomic<std::int64_t> get_message_count_{0};
  std::atomic<std::int64_t> commitlog_sync_count_{0};

  std::atomic<std::int64_t> background_flush_rounds_{0};

  // Commitlog flush and its failure state (never held while flushing consume queues / index / checkpoint).
  std::mutex commitlog_flush_mutex_;
  std::atomic<bool> commitlog_flush_failed_{false};
  std::int64_t commitlog_good_flushed_offset_ = 0;  // under commitlog_flush_mutex_, valid once failed
  std::string commitlog_flush_error_;               // under commitlog_flush_mutex_
  std::mutex logics_flush_mutex_;  // consume queues, index, checkpoint

  // SYNC_FLUSH group commit and its watcher.
  std::mutex commit_mutex_;
  std::condition_variable commit_cv_;   // a request arrived, or stop
  std::condition_variable watcher_cv_;  // the watched list became non-empty, or stop
  bool commit_stopping_ = false;
  std::vector<FlushRequestPtr> flush_requests_;  // waiting for the next group commit
  std::deque<FlushRequestPtr> watched_;          // not yet known answered, oldest (earliest deadline) first
  std::thread group_commit_thread_;
  std::thread flush_watcher_thread_;

  // Background flush: wakes only at its deadline or for stop.
  std::mutex background_mutex_;
  std::condition_variable background_cv_;
  bool background_stopping_ = false;
  std::thread background_flush_thread_;
};

}  // namespace rmq::store
