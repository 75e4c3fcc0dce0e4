// The commit log of a DLedger-mode store (DLedgerCommitLog.java, storage.md 6.4-6.6): one offset space made
// of two regions.
//
//   [legacy min, dividedCommitlogOffset)  the adopted legacy commitlog/ files, read only, never rewritten;
//                                          their last file ends with the blank record adoption wrote
//   [dividedCommitlogOffset, ...)          DLedger entries; the commitlog record of the entry at pos lies
//                                          at pos + 48 (its PHYSICALOFFSET), read through the replicator
//
// Reads are routed by offset (6.4). A read above the divided offset checks the 48-byte entry header in front
// of the record (magic 1, pos = offset - 48, size = 48 + TOTALSIZE), so a damaged consume-queue entry or a
// forged msgId never returns bytes that are not a record. Reads are not limited to committed entries
// (dledger-group.md 1.5, as upstream); the consume queues only ever point at committed ones.
//
// Offsets (6.6): min = the legacy min offset when legacy files exist, else the divided offset; max is the
// committed end, which the store's dispatcher knows (dledger_message_store.h).
//
// Thread-safe: reads only; the legacy files are not written after adoption.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "broker/common/bytes.h"
#include "broker/store/commit_log.h"
#include "broker/store/dledger_adoption.h"
#include "broker/store/dledger_replicator.h"
#include "broker/store/message_record.h"

namespace rmq::store {

// What lies at a position of a log that may mix both regions (storage.md 6.5): read int32 a, int32 b at
// the position; b a message or commitlog-blank magic: a legacy record (or blank); else a == -1: a DLedger
// blank (roll to the next file); else a DLedger entry whose record starts 48 bytes on.
enum class DLedgerRegionRecordKind { kLegacyRecord, kLegacyBlank, kDLedgerBlank, kDLedgerEntry, kUnknown };
DLedgerRegionRecordKind classify_region_record(common::ByteSpan at_least_8_bytes);

class DLedgerCommitLog {
 public:
  // Loads the legacy files (when there are any) as adoption left them.
  DLedgerCommitLog(const DLedgerCommitLogOptions& options, const DLedgerAdoption& adoption,
                   const DLedgerReplicator& replicator);

  std::int64_t divided_offset() const { return divided_offset_; }
  std::int64_t legacy_min_offset() const { return legacy_min_offset_; }
  // End of the last legacy record (the tail blank starts there); == divided_offset() without a legacy log.
  std::int64_t legacy_data_end() const { return legacy_data_end_; }
  bool has_legacy() const { return legacy_ != nullptr; }
  std::int64_t min_offset() const { return legacy_ ? legacy_min_offset_ : divided_offset_; }

  // The whole record that starts at `offset`, or nullopt.
  std::optional<common::Bytes> read_record(std::int64_t offset) const;
  // The record at `offset` when its TOTALSIZE is exactly size_bytes (a consume-queue read).
  std::optional<common::Bytes> read_record(std::int64_t offset, std::int32_t size_bytes) const;
  std::optional<MessageRecord> decode_at(std::int64_t offset) const;
  std::int64_t store_time_at(std::int64_t offset) const;

  // Visits the valid legacy records from `from` up to the legacy data end (dispatch of the legacy region).
  void scan_legacy(std::int64_t from, const CommitLog::RecordVisitor& on_record) const;
  // Store time of the first legacy record, -1 without one.
  std::int64_t legacy_earliest_store_time() const { return legacy_ ? legacy_->earliest_store_time() : -1; }

 private:
  std::optional<common::Bytes> read_dledger_record(std::int64_t offset, std::int32_t expected_size) const;

  const DLedgerReplicator& replicator_;
  std::unique_ptr<CommitLog> legacy_;
  std::int64_t divided_offset_ = 0;
  std::int64_t legacy_min_offset_ = 0;
  std::int64_t legacy_data_end_ = 0;
};

}  // namespace rmq::store
