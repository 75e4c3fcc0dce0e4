// The message store of a DLedger-mode broker (DefaultMessageStore with a DLedgerCommitLog, storage.md 6,
// dledger-group.md 1), behind the same MessageStore interface as the plain store, so the broker swaps it in.
//
// Start, in two steps because the Raft runtime opens the entry store in between:
//   auto start = DLedgerMessageStore::prepare(fs, config, options);  // lock, abort check, legacy adoption
//   ... the runtime opens DLedgerEntryStore with start->adoption.entry_store_options, builds its replicator
//   auto store = DLedgerMessageStore::open(std::move(start), replicator);
// prepare() throws DLedgerStartRefused (exit 4: the node's store is not what its group expects),
// DLedgerCorruption (exit 3), IoError (exit 5); open() throws IoError / std::runtime_error.
//
// Put (storage.md 6.7): leader only, and only once the leader is ready (below). Under the put lock the store
// assigns queue offsets from its table, builds each record (store time, store host, BODYCRC, PHYSICALOFFSET 0)
// and hands the bodies to DLedgerReplicator::append, whose patch writes PHYSICALOFFSET = entry pos + 48
// before the entry is written or sent; the PutCallback fires from `done` once the entries are committed
// (as durable as flushDiskType says) or failed. Statuses: NOT_LEADER / STORE_FAILED -> kServiceNotAvailable,
// BUSY / TIMEOUT -> kOsPageCacheBusy (upstream 4.x). Nothing here acknowledges before commit.
//
// Dispatch apart from put (review item 5): a dispatcher thread feeds consume queues and the index from
// committed entries only, on leader and followers alike, reading them back with read_entries() whenever the
// commit listener says the commit index rose (and every 100 ms regardless). dispatch_status() says how far
// it got; StoreStats.dispatch_behind_bytes = committed end - dispatched end.
//
// Queue offsets across failovers (dledger-group.md 1.4): the put path's queue-offset table is rebuilt from
// the consume queues when a leader becomes ready: still leader, every entry it holds committed
// (end == committed) and dispatched. Until then puts are refused with kServiceNotAvailable; the broker's role
// handler polls ready_as_leader() and registers as brokerId 0 only once it returns true. A put whose entries
// may have been appended but did not commit marks the table stale, and the same readiness check runs again.
//
// Recovery at open, over both regions: consume-queue entries past the committed end are dropped (they are
// dispatched again when the commit index reaches them), the legacy region is dispatched from the queues'
// end if they lag it, and the dispatcher resumes at the first committed entry the queues do not cover
// (after a crash, from the start of the data file that holds that point; covered entries are ignored).
//
// Crash: consume queues, index and checkpoint are derived data flushed every flush_interval_ms and rebuilt
// from the entries after a crash; the entries are the entry store's business (dledger_entry_store.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/common/file_system.h"
#include "broker/store/consume_queue_set.h"
#include "broker/store/dledger_adoption.h"
#include "broker/store/dledger_commit_log.h"
#include "broker/store/dledger_replicator.h"
#include "broker/store/disk_space_guard.h"
#include "broker/store/index_service.h"
#include "broker/store/message_store.h"
#include "broker/store/store_checkpoint.h"
#include "broker/store/store_lock.h"

namespace rmq::store {

// What prepare() leaves for open(): the held store lock and the adoption result.
struct DLedgerStoreStart {
  StoreConfig config;
  DLedgerCommitLogOptions options;
  DLedgerAdoption adoption;
  std::unique_ptr<StoreLock> lock;
  bool last_exit_clean = true;
};

// How far dispatch got (DLedger indexes; -1 = none).
struct DLedgerDispatchStatus {
  std::int64_t committed_index = -1;
  std::int64_t dispatched_index = -1;
  std::int64_t dispatched_end_pos = 0;   // end of the last dispatched entry (or where dispatch starts)
  std::int64_t divided_offset = 0;
  std::int64_t skipped_entries = 0;      // committed entries whose body is not a record (logged, never served)
};

class DLedgerMessageStore final : public MessageStore {
 public:
  // Takes the lock, checks `abort`, runs prepare_dledger_commit_log. `options.store_root`,
  // `legacy_dir`, `file_size_bytes` and `check_crc_on_recover` are taken from `config` when left empty/0.
  static std::unique_ptr<DLedgerStoreStart> prepare(common::FileSystem& fs, StoreConfig config,
                                                    DLedgerCommitLogOptions options);
  // Loads queues and index, recovers, starts the dispatcher and the flush thread. `replicator` must outlive
  // the store (shutdown() detaches from it).
  static std::unique_ptr<DLedgerMessageStore> open(std::unique_ptr<DLedgerStoreStart> start,
                                                   DLedgerReplicator& replicator);
  ~DLedgerMessageStore() override;
  DLedgerMessageStore(const DLedgerMessageStore&) = delete;
  DLedgerMessageStore& operator=(const DLedgerMessageStore&) = delete;

  // True once this node is leader, everything it holds is committed and dispatched, and the queue-offset
  // table is rebuilt for its term (storage.md 7, LEADER row). Non-blocking; poll it.
  bool ready_as_leader();
  DLedgerDispatchStatus dispatch_status() const;
  // Waits until every entry committed now is dispatched; false on timeout.
  bool wait_dispatched(std::int64_t timeout_ms);
  const DLedgerAdoption& adoption() const { return adoption_; }
  bool last_exit_was_clean() const { return last_exit_clean_; }

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
  // diskSpaceWarningLevelRatio over the store root and the DLedger data directory (upstream measures the
  // DLedger data path in DLedger mode): above it puts are refused with kServiceNotAvailable.
  std::optional<std::string> disk_space_problem() override;
  void shutdown() override;

 private:
  struct PendingPut;

  DLedgerMessageStore(std::unique_ptr<DLedgerStoreStart> start, DLedgerReplicator& replicator);
  void recover();
  std::int64_t first_undispatched_index(std::int64_t reput_from) const;
  std::int64_t entry_end(std::int64_t index) const;  // pos + size of a committed entry, -1 if unreadable
  void put_records(std::vector<MessageRecord> records, PutCallback done);
  bool try_ready_locked(const ReplicaStatus& status);  // caller holds put_mutex_
  void finish_put(const std::shared_ptr<PendingPut>& put, const std::vector<ReplicatedEntry>& results);
  void dispatch_record(const MessageRecord& record, std::int64_t offset, std::int32_t size);
  void dispatcher_loop();
  std::int64_t dispatch_batch();  // returns the number of entries handled
  void notify_arrivals(const std::unordered_map<std::string, std::pair<std::int32_t, std::int64_t>>& arrivals);
  void flush_loop();
  void flush_logics();

  StoreConfig config_;
  DLedgerCommitLogOptions options_;
  DLedgerAdoption adoption_;
  std::unique_ptr<StoreLock> lock_;
  bool last_exit_clean_ = true;
  std::filesystem::path root_;
  DLedgerReplicator& replicator_;
  std::unique_ptr<StoreCheckpoint> checkpoint_;
  std::unique_ptr<DLedgerCommitLog> commitlog_;
  std::unique_ptr<ConsumeQueueSet> queues_;
  std::unique_ptr<IndexService> index_;
  std::unique_ptr<DiskSpaceGuard> disk_guard_;
  bool opened_ = false;

  // Put side.
  std::mutex put_mutex_;
  std::unordered_map<std::string, std::int64_t> queue_offsets_;  // "topic-queueId" -> next queue offset
  std::atomic<std::int64_t> ready_term_{-1};  // term for which queue_offsets_ was rebuilt; -1 = stale
  std::int64_t last_store_timestamp_ms_ = 0;
  std::atomic<bool> shut_down_{false};

  // Dispatcher.
  std::mutex dispatch_mutex_;
  std::condition_variable dispatch_cv_;   // commit index rose, or stop
  std::condition_variable dispatched_cv_; // dispatch progressed
  bool dispatch_stopping_ = false;
  std::atomic<std::int64_t> commit_hint_{-1};
  std::int64_t next_index_ = 0;  // dispatcher thread only (and open)
  std::atomic<std::int64_t> dispatched_index_{-1};
  std::atomic<std::int64_t> dispatched_end_pos_{0};
  std::atomic<std::int64_t> skipped_entries_{0};
  std::atomic<std::int64_t> last_dispatched_store_timestamp_ms_{0};
  std::thread dispatcher_thread_;

  std::mutex listeners_mutex_;
  std::vector<ArrivalListener> listeners_;
  std::atomic<std::int64_t> put_message_count_{0};
  std::atomic<std::int64_t> get_message_count_{0};

  std::mutex flush_mutex_;
  std::condition_variable flush_cv_;
  bool flush_stopping_ = false;
  std::mutex logics_flush_mutex_;
  std::thread flush_thread_;
};

}  // namespace rmq::store
