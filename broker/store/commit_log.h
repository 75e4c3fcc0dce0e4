// The plain commitlog (CommitLog.java without DLedger): every message of every topic, appended in arrival
// order to 20-digit offset-named mapped files (storage.md 1, 2).
//
// append() gives each record its PHYSICALOFFSET, STORETIMESTAMP and STOREHOSTADDRESS, seals it (magic, host
// flags, BODYCRC) and copies its bytes into the mapping. When a record (or a whole batch) does not fit in the
// current file with 8 bytes to spare, the 8-byte blank record is written and the record goes to offset 0 of
// the next file (storage.md 1.8).
//
// Crash: a record is complete in the page cache when append() returns; a SIGKILL half-way through a copy
// leaves a torn tail, which recover_end() (the scan of storage.md 2.3/2.4) stops at and truncate_dirty()
// removes.
//
// Threads: append/truncate by one writer at a time (the store's put lock); reads from any thread.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "broker/store/mapped_file_queue.h"
#include "broker/store/message_record.h"

namespace rmq::store {

struct AppendedRecord {
  std::int64_t physical_offset = 0;
  std::int32_t size_bytes = 0;
};

class CommitLog {
 public:
  CommitLog(std::filesystem::path dir, std::int64_t file_size_bytes, HostAddress store_host);

  void load() { files_.load(); }

  // Appends the records, consecutively and in one file. Each record's physical_offset, store_timestamp_ms
  // (= store_timestamp_ms), store_host, magic, sys_flag host bits and body_crc are set. Throws
  // std::invalid_argument when a record cannot be encoded and std::length_error when the records cannot fit
  // in one file; nothing is written then.
  std::vector<AppendedRecord> append(std::vector<MessageRecord>& records, std::int64_t store_timestamp_ms);

  // The whole record that starts at `physical_offset`, or nullopt.
  std::optional<common::Bytes> read_record(std::int64_t physical_offset) const;
  // The bytes [physical_offset, +size) when they are written and hold one record that starts there.
  std::optional<common::Bytes> read_record(std::int64_t physical_offset, std::int32_t size_bytes) const;
  // Decodes the record at `physical_offset` (no CRC check); nullopt when there is none.
  std::optional<MessageRecord> decode_at(std::int64_t physical_offset) const;

  std::int64_t min_offset() const { return files_.min_offset(); }
  std::int64_t max_offset() const { return files_.wrote_offset(); }
  std::int64_t flushed_offset() const { return files_.flushed_offset(); }
  std::int64_t file_size_bytes() const { return files_.file_size_bytes(); }
  bool flush() { return files_.flush(); }
  void resync_from(std::int64_t from) { files_.resync_from(from); }

  // Where recovery scans from: 3rd-last file (normal) or, after a crash, the newest file whose first record
  // was stored at or before checkpoint_min_timestamp_ms (storage.md 2.3, 2.4).
  std::int64_t recovery_start(bool abnormal, std::int64_t checkpoint_min_timestamp_ms) const;

  // Scans valid records from `from` (a file start): calls on_record for each (when set) and returns the
  // offset after the last valid one. A blank moves to the next file (its end when there is none).
  // `stop_detail` receives why the scan stopped, when it stopped on something other than clean end of data.
  using RecordVisitor = std::function<void(const MessageRecord& record, std::int64_t offset, std::int32_t size)>;
  std::int64_t scan(std::int64_t from, bool check_crc, const RecordVisitor& on_record,
                    std::string* stop_detail = nullptr) const;

  void truncate_dirty(std::int64_t offset) { files_.truncate_dirty(offset); }
  // See MappedFileQueue::set_create_check: a refused file makes append() throw before anything is written.
  void set_create_check(MappedFileQueue::CreateCheck check) { files_.set_create_check(std::move(check)); }
  // Store time of the first record, or -1.
  std::int64_t earliest_store_time() const;

 private:
  MappedFileQueue files_;
  HostAddress store_host_;
};

}  // namespace rmq::store
