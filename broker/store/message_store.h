// The message store as the broker's request processors see it (4.9.x `MessageStore`), and the only store
// interface they use.
//
// Why an interface: the plain store (commitlog in mapped files, storage.md 2) and the DLedger store (entries
// replicated by Raft, storage.md 5-6) must be interchangeable behind SEND, PULL and the offset queries. Both
// keep the same consume queues and index; they differ in how a record becomes durable and when it becomes
// visible (plain: once appended; DLedger: once committed by a majority). So the processors see only:
// put (with an asynchronous completion that fires when the record is as durable as flushDiskType asks),
// reads by queue offset and by physical offset, offset queries, key queries, and an arrival notification
// for long polling.
//
// Threads: every method may be called from any thread. A PutCallback runs exactly once, on a store thread
// (the flush thread under SYNC_FLUSH) or on the calling thread; it must not block.
//
// Crash contract: a message whose PutCallback reported kOk survives a SIGKILL of the process at any later
// moment (page cache is kept by the kernel) in both flush modes, and under SYNC_FLUSH also a power loss.
// Recovery after a crash truncates a torn tail and rebuilds consume queues and index from the commitlog.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "broker/common/bytes.h"
#include "broker/store/message_record.h"

namespace rmq::store {

// Topic of delayed messages (ScheduleMessageService / TopicValidator.RMQ_SYS_SCHEDULE_TOPIC). Queue id =
// delay level - 1; the consume queue's tags code is the delivery time in ms (storage.md 3.1).
inline constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";

// What the store needs from broker.conf (MessageStoreConfig keys in comments; defaults are upstream's).
struct StoreConfig {
  std::string root_dir;                      // storePathRootDir
  std::string commitlog_dir;                 // storePathCommitLog; empty: <root_dir>/commitlog
  std::int64_t commitlog_file_size_bytes = 1073741824;  // mappedFileSizeCommitLog
  std::int64_t consume_queue_file_size_bytes = 300000 * 20;  // mappedFileSizeConsumeQueue
  bool sync_flush = false;                   // flushDiskType == SYNC_FLUSH
  std::int64_t flush_interval_ms = 500;      // flushIntervalCommitLog (ASYNC_FLUSH background flush)
  std::int64_t sync_flush_timeout_ms = 5000; // syncFlushTimeout: after this a put reports kFlushDiskTimeout
  std::int32_t max_message_size_bytes = 4 * 1024 * 1024;  // maxMessageSize (body)
  bool check_crc_on_recover = true;          // checkCRCOnRecover
  bool message_index_enable = true;          // messageIndexEnable
  std::int32_t max_hash_slot_num = 5000000;  // maxHashSlotNum
  std::int32_t max_index_num = 20000000;     // maxIndexNum
  // messageDelayLevel parsed into ms per level (level 1 is [0]). Used for the schedule topic's tags code.
  std::vector<std::int64_t> delay_level_ms;
  HostAddress store_host;                    // brokerIP1:listenPort, written as STOREHOST of every record
  // diskSpaceWarningLevelRatio (percent, 1..100): above this use of the store's file system no put is taken
  // and no commitlog file is created (disk_space_guard.h).
  std::int32_t disk_space_warning_level_percent = 90;
  // Polled during open()'s long loops (loading and rebuilding consume queues); when it returns true, open()
  // stops and throws StoreOpenCancelled (the `abort` file is left, so the next start recovers in full).
  std::function<bool()> stop_requested;
};

enum class PutStatus {
  kOk,
  kFlushDiskTimeout,        // written, but the fsync did not finish within sync_flush_timeout_ms
  kServiceNotAvailable,     // store shut down, or not writeable (disk full, I/O error)
  kMessageIllegal,          // body/topic/properties too large or otherwise not encodable
  kPropertiesSizeExceeded,  // properties longer than 32767 bytes
  // The store cannot take the put now: too many appends wait for replication, or the last ones did not
  // commit in time (DLedger mode; upstream OS_PAGECACHE_BUSY, answered SYSTEM_BUSY so the client retries).
  kOsPageCacheBusy,
  kUnknownError,
};
const char* to_string(PutStatus status);

struct PutResult {
  PutStatus status = PutStatus::kUnknownError;
  std::int64_t physical_offset = -1;   // of the (first) record
  std::int32_t size_bytes = 0;         // TOTALSIZE of the record (sum for a batch)
  std::int64_t queue_offset = -1;      // of the (first) record
  std::int64_t store_timestamp_ms = 0;
  std::vector<std::string> msg_ids;    // offsetMsgId of every record written, in order
  std::string detail;                  // for remarks and logs when status != kOk
  // DLedger mode: refused (kServiceNotAvailable) because this node is not the leader, or not yet or no
  // longer able to append as one (a leadership transfer, a step-down before the entries committed). The
  // broker then forwards the send to the leader (broker/server/send_forwarder.h).
  bool not_leader = false;
};
using PutCallback = std::function<void(const PutResult&)>;

// DefaultMessageStore.GetMessageStatus; the pull processor maps these to response codes (remoting.md 4.3).
enum class GetStatus {
  kFound,
  kNoMatchedMessage,      // entries scanned but the filter took none
  kMessageWasRemoving,
  kOffsetFoundNull,
  kOffsetOverflowBadly,   // offset > max
  kOffsetOverflowOne,     // offset == max (long-pollable)
  kOffsetTooSmall,        // offset < min
  kNoMatchedLogicQueue,   // the queue has no consume queue
  kNoMessageInQueue,      // the queue is empty
};
const char* to_string(GetStatus status);

struct GetResult {
  GetStatus status = GetStatus::kNoMatchedLogicQueue;
  std::int64_t next_begin_offset = 0;
  std::int64_t min_offset = 0;
  std::int64_t max_offset = 0;        // next queue offset to be written
  common::Bytes records;              // the found stored records, concatenated (the PULL body)
  std::int32_t message_count = 0;
};

// Decides from a consume-queue tags code whether a message goes out (nullptr: everything does).
using TagsCodeFilter = std::function<bool(std::int64_t tags_code)>;

struct QueryResult {
  common::Bytes records;                      // matching stored records, concatenated
  std::int32_t message_count = 0;
  std::int64_t index_last_update_timestamp_ms = 0;
  std::int64_t index_last_update_phy_offset = 0;
};

// Figures for GET_BROKER_RUNTIME_INFO and the logs.
struct StoreStats {
  std::int64_t min_physical_offset = 0;
  std::int64_t max_physical_offset = 0;       // end of the written commitlog
  std::int64_t flushed_physical_offset = 0;
  std::int64_t dispatch_behind_bytes = 0;
  std::int64_t divided_commitlog_offset = -1;  // DLedger mode: where the DLedger region starts; -1 otherwise
  std::int64_t put_message_count = 0;         // since start
  std::int64_t get_message_count = 0;         // since start
  std::int64_t earliest_message_time_ms = -1; // store time of the oldest record, -1 when empty
  std::int64_t commitlog_disk_total_bytes = 0;
  std::int64_t commitlog_disk_free_bytes = 0;
};

// Called after records have been dispatched to a consume queue: `next_queue_offset` is the queue's new
// max offset. Runs on a store thread; must not block (long polling wakes its parked pulls from here).
using ArrivalListener =
    std::function<void(std::string_view topic, std::int32_t queue_id, std::int64_t next_queue_offset)>;

class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // Stores one message. The caller fills topic, queue_id, flag, sys_flag, born_timestamp_ms, born_host,
  // reconsume_times, prepared_transaction_offset, body and properties; the store assigns queue_offset,
  // physical_offset, store_timestamp_ms, store_host, magic and body_crc. `done` runs once, when the record is
  // as durable as the flush mode promises (or failed).
  virtual void put_message(MessageRecord message, PutCallback done) = 0;

  // Stores a batch into one topic and queue with consecutive queue offsets, atomically with respect to other
  // puts (no record of another put lands between them). One callback for the whole batch.
  virtual void put_messages(std::vector<MessageRecord> batch, PutCallback done) = 0;

  // Up to max_count records from queue (topic, queue_id) starting at queue `offset`, and at most
  // max_bytes of record bytes (at least one record is returned when one is found).
  virtual GetResult get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset,
                                 std::int32_t max_count, std::int64_t max_bytes,
                                 const TagsCodeFilter& filter) = 0;

  virtual std::int64_t max_offset_in_queue(std::string_view topic, std::int32_t queue_id) = 0;  // 0: unknown
  virtual std::int64_t min_offset_in_queue(std::string_view topic, std::int32_t queue_id) = 0;
  // 4.9.x getOffsetInQueueByTime: the queue offset of the message whose store time is nearest `timestamp_ms`
  // (0 for an empty queue).
  virtual std::int64_t offset_by_timestamp(std::string_view topic, std::int32_t queue_id,
                                           std::int64_t timestamp_ms) = 0;
  // Store time of the queue's first message, or -1 when it has none.
  virtual std::int64_t earliest_message_time(std::string_view topic, std::int32_t queue_id) = 0;
  // Store time of the message at queue offset `queue_offset`, or -1.
  virtual std::int64_t message_store_time(std::string_view topic, std::int32_t queue_id,
                                          std::int64_t queue_offset) = 0;

  // The whole stored record that starts at commitlog offset `physical_offset`, or nullopt when no record
  // starts there (VIEW_MESSAGE_BY_ID, CONSUMER_SEND_MSG_BACK).
  virtual std::optional<common::Bytes> read_record(std::int64_t physical_offset) = 0;

  // QUERY_MESSAGE: records of `topic` whose KEYS token or UNIQ_KEY equals `key`, stored within
  // [begin_ms, end_ms], newest first, at most max_count.
  virtual QueryResult query_messages(std::string_view topic, std::string_view key, std::int32_t max_count,
                                     std::int64_t begin_ms, std::int64_t end_ms) = 0;

  // Every queue the store knows, as (topic, queue id) pairs (for rebuilding the topic table and stats).
  virtual std::vector<std::pair<std::string, std::int32_t>> queues() = 0;

  virtual void add_arrival_listener(ArrivalListener listener) = 0;
  virtual StoreStats stats() = 0;
  // Why nothing new may be written now (the disk reserve: "disk full: ..."), or nullopt. The broker asks this
  // before it creates a topic.
  virtual std::optional<std::string> disk_space_problem() { return std::nullopt; }

  // Flushes, writes the checkpoint, removes the `abort` file and releases the `lock` file. Puts after this
  // fail with kServiceNotAvailable. Idempotent.
  virtual void shutdown() = 0;
};

}  // namespace rmq::store
