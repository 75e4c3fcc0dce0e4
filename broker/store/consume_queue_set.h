// Every consume queue of a store ({root}/consumequeue/{topic}/{queueId}, storage.md 3.1) and what the store
// does with them as a whole: dispatch a record into its queue, and answer the reads that go through the
// queues (pull, offset queries, store-time lookups). One copy, shared by the DLedger store
// (dledger_message_store.h), so that both modes read queues exactly alike; the record bytes come from
// whichever commit log the store has, through a RecordReader.
//
// Dispatch rules (DefaultMessageStore's CommitLogDispatcherBuildConsumeQueue): PREPARED and ROLLBACK
// transaction records get no entry; the tags code is String.hashCode of TAGS, except on SCHEDULE_TOPIC_XXXX
// where it is the delivery time (store time + the delay level's ms). An entry already covered (a re-dispatch
// after a crash) is ignored by the queue itself.
//
// Crash: the queues are mapped files; recovery truncates entries past the commit log's recovered end
// (truncate_by_commitlog_end) and the store re-dispatches what follows.
//
// Thread-safe: the queue table has its own lock, each queue its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/store/consume_queue.h"
#include "broker/store/message_record.h"
#include "broker/store/message_store.h"

namespace rmq::store {

// PREPARED and ROLLBACK records are not dispatched to a consume queue and use no queue offset (storage.md 1.3).
bool goes_to_consume_queue(std::int32_t sys_flag);
// "topic-queueId", the key of the queue offset table (topicQueueTable).
std::string queue_key(std::string_view topic, std::int32_t queue_id);

class ConsumeQueueSet {
 public:
  // Reads a stored record at (offset, size) from the commit log; nullopt when it is not there (any more).
  using RecordReader = std::function<std::optional<common::Bytes>(std::int64_t offset, std::int32_t size)>;
  // Store time of the record at a commit log offset, -1 when it cannot be read.
  using StoreTimeReader = std::function<std::int64_t(std::int64_t offset)>;

  ConsumeQueueSet(std::filesystem::path dir, std::int64_t file_size_bytes, std::vector<std::int64_t> delay_level_ms);

  // Loads and recovers every queue directory under dir (creating dir). Throws IoError / std::runtime_error.
  void load();

  ConsumeQueue& find_or_create(const std::string& topic, std::int32_t queue_id);
  ConsumeQueue* find(std::string_view topic, std::int32_t queue_id) const;
  std::vector<ConsumeQueue*> all() const;

  std::int64_t tags_code(const MessageRecord& record) const;
  // Writes the record's consume-queue entry (record at commit log `offset`, TOTALSIZE `size`); false when the
  // record gets none or the queue ignored it (already covered).
  bool dispatch(const MessageRecord& record, std::int64_t offset, std::int32_t size);

  void truncate_by_commitlog_end(std::int64_t commitlog_end);
  void correct_min_offset(std::int64_t commitlog_min_offset);
  // Max over all queues of offset + size of the last entry (0 when none): where a re-dispatch starts.
  std::int64_t max_physical_offset() const;
  // "topic-queueId" -> next queue offset, from the queues (recoverTopicQueueTable).
  std::unordered_map<std::string, std::int64_t> next_queue_offsets() const;
  // Flushes every queue; throws on I/O failure.
  void flush();

  // DefaultMessageStore.getMessage over the queue, reading records with `read`.
  GetResult get_messages(std::string_view topic, std::int32_t queue_id, std::int64_t offset, std::int32_t max_count,
                         std::int64_t max_bytes, const TagsCodeFilter& filter, const RecordReader& read) const;
  std::int64_t max_offset_in_queue(std::string_view topic, std::int32_t queue_id) const;
  std::int64_t min_offset_in_queue(std::string_view topic, std::int32_t queue_id) const;
  std::int64_t offset_by_timestamp(std::string_view topic, std::int32_t queue_id, std::int64_t timestamp_ms,
                                   const StoreTimeReader& store_time) const;
  std::int64_t message_store_time(std::string_view topic, std::int32_t queue_id, std::int64_t queue_offset,
                                  const StoreTimeReader& store_time) const;
  std::int64_t earliest_message_time(std::string_view topic, std::int32_t queue_id,
                                     const StoreTimeReader& store_time) const;
  std::vector<std::pair<std::string, std::int32_t>> queues() const;

 private:
  std::filesystem::path dir_;
  std::int64_t file_size_bytes_;
  std::vector<std::int64_t> delay_level_ms_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::map<std::int32_t, std::unique_ptr<ConsumeQueue>>, std::less<>> queues_;
};

}  // namespace rmq::store
