#include "broker/store/dledger_commit_log.h"

#include "broker/store/dledger_entry.h"

namespace rmq::store {

DLedgerRegionRecordKind classify_region_record(common::ByteSpan bytes) {
  if (bytes.size() < 8) return DLedgerRegionRecordKind::kUnknown;
  const std::int32_t a = common::load_i32_be(bytes.data());
  const std::int32_t b = common::load_i32_be(bytes.data() + 4);
  if (b == kBlankMagic) return DLedgerRegionRecordKind::kLegacyBlank;
  if (b == kMessageMagicV1 || b == kMessageMagicV2) return DLedgerRegionRecordKind::kLegacyRecord;
  if (a == kDLedgerBlankMagic) return DLedgerRegionRecordKind::kDLedgerBlank;
  if (a == kDLedgerMagic) return DLedgerRegionRecordKind::kDLedgerEntry;
  return DLedgerRegionRecordKind::kUnknown;
}

DLedgerCommitLog::DLedgerCommitLog(const DLedgerCommitLogOptions& options, const DLedgerAdoption& adoption,
                                   const DLedgerReplicator& replicator)
    : replicator_(replicator),
      divided_offset_(adoption.record.divided_offset),
      legacy_min_offset_(adoption.legacy_min_offset),
      legacy_data_end_(adoption.legacy_data_end) {
  if (adoption.legacy_data_end < adoption.record.divided_offset) {
    legacy_ = std::make_unique<CommitLog>(options.legacy_path(), options.file_size_bytes, HostAddress{{0, 0, 0, 0}, 0});
    legacy_->load();  // every file "full", as upstream leaves them; the tail blank ends the data
  }
}

std::optional<common::Bytes> DLedgerCommitLog::read_dledger_record(std::int64_t offset,
                                                                  std::int32_t expected_size) const {
  const std::int64_t entry_pos = offset - static_cast<std::int64_t>(kDLedgerHeaderBytes);
  if (entry_pos < divided_offset_) return std::nullopt;
  const auto head = replicator_.read_data(entry_pos, kDLedgerHeaderBytes + 4);
  if (!head || head->size() != kDLedgerHeaderBytes + 4) return std::nullopt;
  const DLedgerEntryHeader header = decode_entry_header(*head);
  if (entry_header_problem(header, entry_pos)) return std::nullopt;
  const std::int32_t total = common::load_i32_be(head->data() + kDLedgerHeaderBytes);
  if (total != header.body_len || total < static_cast<std::int32_t>(kMinRecordSize)) return std::nullopt;
  if (expected_size >= 0 && total != expected_size) return std::nullopt;
  auto bytes = replicator_.read_data(offset, static_cast<std::size_t>(total));
  if (!bytes || bytes->size() != static_cast<std::size_t>(total)) return std::nullopt;
  const DecodeResult r = decode_record(*bytes, /*check_crc=*/false, nullptr);
  if (r.status != DecodeStatus::kOk || r.size != total) return std::nullopt;
  return bytes;
}

std::optional<common::Bytes> DLedgerCommitLog::read_record(std::int64_t offset) const {
  if (offset < 0) return std::nullopt;
  if (offset < divided_offset_) return legacy_ ? legacy_->read_record(offset) : std::nullopt;
  return read_dledger_record(offset, -1);
}

std::optional<common::Bytes> DLedgerCommitLog::read_record(std::int64_t offset, std::int32_t size_bytes) const {
  if (offset < 0 || size_bytes < static_cast<std::int32_t>(kMinRecordSize)) return std::nullopt;
  if (offset < divided_offset_) {
    if (!legacy_ || offset + size_bytes > legacy_data_end_) return std::nullopt;
    return legacy_->read_record(offset, size_bytes);
  }
  return read_dledger_record(offset, size_bytes);
}

std::optional<MessageRecord> DLedgerCommitLog::decode_at(std::int64_t offset) const {
  const auto bytes = read_record(offset);
  if (!bytes) return std::nullopt;
  MessageRecord record;
  if (decode_record(*bytes, false, &record).status != DecodeStatus::kOk) return std::nullopt;
  return record;
}

std::int64_t DLedgerCommitLog::store_time_at(std::int64_t offset) const {
  const auto record = decode_at(offset);
  return record ? record->store_timestamp_ms : -1;
}

void DLedgerCommitLog::scan_legacy(std::int64_t from, const CommitLog::RecordVisitor& on_record) const {
  if (!legacy_ || from >= legacy_data_end_) return;
  legacy_->scan(std::max(from, legacy_min_offset_), /*check_crc=*/false,
                [&](const MessageRecord& record, std::int64_t offset, std::int32_t size) {
                  if (offset + size <= legacy_data_end_) on_record(record, offset, size);
                });
}

}  // namespace rmq::store
