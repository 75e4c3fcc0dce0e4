// One consume queue (ConsumeQueue.java, storage.md 3.1): {root}/consumequeue/{topic}/{queueId}/, an array of
// 20-byte entries (commitlog offset, size, tags code) in mapped files; entry n is queue offset n.
//
// The dispatcher appends one entry per dispatched record. An entry whose record is already covered
// (offset + size <= max_physical_offset) is ignored, so re-dispatch after a crash adds nothing twice. A queue
// that first appears at a non-zero queue offset gets pre-blank entries (0, INT32_MAX, 0) before it, written
// with the entry in one copy (per file); its min offset is then that entry's offset. A pre-blank entry never
// counts towards max_physical_offset (it points at nothing; counting it would make put() ignore every real
// entry below 2 GiB of commitlog).
//
// Crash: entries are in shared mappings. recover() finds the end of the valid entries (offset >= 0 and
// size > 0) from the third-last file; truncate_by_commitlog_end() then drops entries pointing past the
// recovered commitlog, and the store re-dispatches the commitlog records that follow.
//
// Disk: the files are sparse (FileAllocation::kOnWrite): blocks are reserved 64 KiB at a time as entries are
// written, so a queue that holds a few entries costs one chunk, not the whole (6 MB by default) file.
//
// Thread-safe: an internal mutex orders the dispatcher's writes against readers.
#pragma once
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/consume_queue_entry.h"
#include "broker/store/mapped_file_queue.h"

namespace rmq::store {

class ConsumeQueue {
 public:
  // file_size_bytes is rounded up to a multiple of 20.
  ConsumeQueue(std::filesystem::path dir, std::string topic, std::int32_t queue_id, std::int64_t file_size_bytes);

  const std::string& topic() const { return topic_; }
  std::int32_t queue_id() const { return queue_id_; }

  // Maps the files and finds the end of the valid entries (storage.md 3.1). Throws like MappedFileQueue::load.
  void load_and_recover();

  // Writes the entry for queue offset `queue_offset`; returns false when it was ignored (already covered,
  // or a slot below the queue's end).
  bool put(const ConsumeQueueEntry& entry, std::int64_t queue_offset);

  // truncateDirtyLogicFiles: drops every entry whose commitlog offset is >= commitlog_end.
  void truncate_by_commitlog_end(std::int64_t commitlog_end);
  // correctMinOffset: entries pointing below the commitlog's first offset no longer count.
  void correct_min_offset(std::int64_t commitlog_min_offset);

  std::int64_t min_offset() const;               // first queue offset still stored
  std::int64_t max_offset() const;               // next queue offset to be written
  std::int64_t max_physical_offset() const;      // offset + size of the last entry (0 when none)
  std::optional<ConsumeQueueEntry> entry(std::int64_t queue_offset) const;
  // Up to max_count entries from queue_offset (fewer at the end of the queue).
  std::vector<ConsumeQueueEntry> entries(std::int64_t queue_offset, std::int32_t max_count) const;

  bool flush() { return files_.flush(); }

 private:
  std::int64_t max_offset_locked() const { return files_.wrote_offset() / static_cast<std::int64_t>(kConsumeQueueEntrySize); }
  std::optional<ConsumeQueueEntry> entry_locked(std::int64_t queue_offset) const;

  std::string topic_;
  std::int32_t queue_id_;
  MappedFileQueue files_;
  mutable std::mutex mutex_;
  std::int64_t max_physical_offset_ = 0;
  std::int64_t min_logic_offset_ = 0;  // bytes
};

}  // namespace rmq::store
