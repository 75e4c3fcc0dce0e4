#include "broker/store/commit_log.h"
#include "broker/store/commitlog_walk.h"

#include <stdexcept>
#include <string>

namespace rmq::store {

CommitLog::CommitLog(std::filesystem::path dir, std::int64_t file_size_bytes, HostAddress store_host)
    : files_(std::move(dir), file_size_bytes), store_host_(std::move(store_host)) {}

std::vector<AppendedRecord> CommitLog::append(std::vector<MessageRecord>& records, std::int64_t store_timestamp_ms) {
  const std::int64_t file_size = files_.file_size_bytes();
  std::int64_t sizes_sum = 0;
  for (auto& record : records) {
    record.store_host = store_host_;
    record.store_timestamp_ms = store_timestamp_ms;
    seal(record);
    sizes_sum += static_cast<std::int64_t>(encoded_size(record));
  }
  if (sizes_sum + static_cast<std::int64_t>(kBlankRecordSize) > file_size) {
    throw std::length_error("records of " + std::to_string(sizes_sum) + " bytes cannot fit in a commitlog file of " +
                            std::to_string(file_size) + " bytes");
  }
  std::int64_t at = files_.wrote_offset();
  const std::int64_t remaining = file_size - at % file_size;
  const bool roll = sizes_sum + static_cast<std::int64_t>(kBlankRecordSize) > remaining;
  const std::int64_t first = roll ? at + remaining : at;
  common::Bytes buffer;
  buffer.reserve(static_cast<std::size_t>(sizes_sum));
  std::vector<AppendedRecord> placed;
  std::int64_t offset = first;
  for (auto& record : records) {
    record.physical_offset = offset;
    const std::size_t before = buffer.size();
    encode(record, buffer);  // may throw invalid_argument before anything was written
    const auto size = static_cast<std::int32_t>(buffer.size() - before);
    placed.push_back({offset, size});
    offset += size;
  }
  if (roll) {
    // The next file first: when it cannot be made (full disk, the disk reserve), nothing has been written,
    // not even the blank, and the put fails cleanly.
    (void)files_.file_for_write(first);
    common::Bytes blank;
    encode_blank(static_cast<std::int32_t>(remaining), blank);
    files_.append(blank);
    files_.set_wrote_offset(first);
  }
  files_.append(buffer);
  return placed;
}

std::optional<common::Bytes> CommitLog::read_record(std::int64_t physical_offset) const {
  auto file = files_.file_for(physical_offset);
  if (!file) return std::nullopt;
  const std::int64_t wrote = files_.wrote_offset();
  if (physical_offset >= wrote) return std::nullopt;
  const std::int64_t end = std::min(wrote, file->end_offset());
  const auto span = file->bytes().subspan(static_cast<std::size_t>(physical_offset - file->start_offset()),
                                          static_cast<std::size_t>(end - physical_offset));
  const DecodeResult r = decode_record(span, /*check_crc=*/false, nullptr);
  if (r.status != DecodeStatus::kOk) return std::nullopt;
  const auto record = span.subspan(0, static_cast<std::size_t>(r.size));
  return common::Bytes(record.begin(), record.end());
}

std::optional<common::Bytes> CommitLog::read_record(std::int64_t physical_offset, std::int32_t size_bytes) const {
  // size_bytes comes from a consume-queue entry, which may be damaged: check the record in place and copy
  // only a record whose TOTALSIZE is exactly size_bytes.
  if (size_bytes < static_cast<std::int32_t>(kMinRecordSize) || physical_offset < 0) return std::nullopt;
  auto file = files_.file_for(physical_offset);
  if (!file) return std::nullopt;
  const std::int64_t end = physical_offset + size_bytes;
  if (end > files_.wrote_offset() || end > file->end_offset()) return std::nullopt;
  const auto span = file->bytes().subspan(static_cast<std::size_t>(physical_offset - file->start_offset()),
                                          static_cast<std::size_t>(size_bytes));
  if (common::load_i32_be(span.data()) != size_bytes) return std::nullopt;
  const DecodeResult r = decode_record(span, /*check_crc=*/false, nullptr);
  if (r.status != DecodeStatus::kOk || r.size != size_bytes) return std::nullopt;
  return common::Bytes(span.begin(), span.end());
}

std::optional<MessageRecord> CommitLog::decode_at(std::int64_t physical_offset) const {
  const auto bytes = read_record(physical_offset);
  if (!bytes) return std::nullopt;
  MessageRecord record;
  if (decode_record(*bytes, false, &record).status != DecodeStatus::kOk) return std::nullopt;
  return record;
}

std::int64_t CommitLog::recovery_start(bool abnormal, std::int64_t checkpoint_min_timestamp_ms) const {
  const auto files = files_.files();
  if (files.empty()) return 0;
  if (!abnormal) return files[files.size() >= 3 ? files.size() - 3 : 0]->start_offset();
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    MessageRecord first;
    const DecodeResult r = decode_record((*it)->bytes(), false, &first);
    if (r.status == DecodeStatus::kOk && first.store_timestamp_ms != 0 &&
        first.store_timestamp_ms <= checkpoint_min_timestamp_ms) {
      return (*it)->start_offset();
    }
  }
  return files.front()->start_offset();
}

std::int64_t CommitLog::scan(std::int64_t from, bool check_crc, const RecordVisitor& on_record,
                             std::string* stop_detail) const {
  const auto files = files_.files();
  std::int64_t offset = from;
  for (const auto& file : files) {
    if (file->end_offset() <= offset) continue;
    if (file->start_offset() > offset) return offset;  // cannot happen: files are contiguous
    std::size_t pos = static_cast<std::size_t>(offset - file->start_offset());
    const auto bytes = file->bytes();
    while (true) {
      if (pos >= bytes.size()) break;  // exactly at a file end: continue in the next file
      MessageRecord record;
      const WalkResult w = walk_step(bytes.subspan(pos), check_crc, on_record ? &record : nullptr);
      const DecodeResult& r = w.decode;
      if (w.step == WalkStep::kRecord) {
        if (on_record) on_record(record, file->start_offset() + static_cast<std::int64_t>(pos), r.size);
        pos += static_cast<std::size_t>(r.size);
        continue;
      }
      if (w.step == WalkStep::kRollToNextFile) {
        pos = bytes.size();
        break;
      }
      if (w.step == WalkStep::kStop && stop_detail != nullptr) {
        *stop_detail = file->path().string() + " offset " + std::to_string(pos) + ": " + to_string(r.status) +
                       (r.detail.empty() ? "" : " (" + r.detail + ")");
      }
      return file->start_offset() + static_cast<std::int64_t>(pos);
    }
    offset = file->end_offset();
  }
  return offset;
}

std::int64_t CommitLog::earliest_store_time() const {
  const auto files = files_.files();
  for (const auto& file : files) {
    MessageRecord first;
    if (decode_record(file->bytes(), false, &first).status == DecodeStatus::kOk) return first.store_timestamp_ms;
  }
  return -1;
}

}  // namespace rmq::store
