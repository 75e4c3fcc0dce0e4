#include "broker/store/commitlog_scan.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "broker/common/mapped_file.h"
#include "broker/store/message_record.h"
#include "broker/store/commitlog_walk.h"

namespace rmq::store {
namespace {

constexpr std::size_t kPhysicalOffsetPosition = 28;  // PHY_POS_POSITION

// The first non-zero byte in `bytes`, or bytes.size().
std::size_t first_nonzero(common::ByteSpan bytes) {
  static constexpr std::uint8_t kZeros[4096] = {};
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t n = std::min(sizeof kZeros, bytes.size() - pos);
    if (std::memcmp(bytes.data() + pos, kZeros, n) != 0) {
      for (std::size_t i = 0; i < n; ++i) {
        if (bytes[pos + i] != 0) return pos + i;
      }
    }
    pos += n;
  }
  return bytes.size();
}

std::string decimal(std::int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  return buf;
}

// Looks for non-zero bytes from `from_pos` in file `index` through the last file; reports the first one.
void check_nothing_after(const CommitlogFiles& files, std::size_t index, std::size_t from_pos,
                         const common::MappedFile& current, CommitlogScan& scan) {
  std::size_t nz = first_nonzero(current.bytes().subspan(from_pos));
  if (from_pos + nz < current.size_bytes()) {
    const std::int64_t at = files.files[index].start_offset + static_cast<std::int64_t>(from_pos + nz);
    scan.problems.push_back({at, problem_kind::kDataAfterEnd,
                             files.files[index].path.string() + ": non-zero bytes at offset " + decimal(at) +
                                 " after the end of valid records at " + decimal(scan.max_offset) +
                                 "; recovery would drop them"});
    return;
  }
  for (std::size_t i = index + 1; i < files.files.size(); ++i) {
    common::MappedFile later(files.files[i].path);
    nz = first_nonzero(later.bytes());
    if (nz < later.size_bytes()) {
      const std::int64_t at = files.files[i].start_offset + static_cast<std::int64_t>(nz);
      scan.problems.push_back({at, problem_kind::kDataAfterEnd,
                               files.files[i].path.string() + ": non-zero bytes at offset " + decimal(at) +
                                   " after the end of valid records at " + decimal(scan.max_offset) +
                                   "; recovery would drop them"});
      return;
    }
  }
}

// A record that fails its checks is "torn" when it is the last thing written: its final bytes were never
// written (zero) and nothing but zeros follows it in the file.
bool looks_torn(common::ByteSpan from_record) {
  if (from_record.size() < 4) return true;
  const std::int32_t declared_size = common::load_i32_be(from_record.data());
  if (declared_size < 8) return false;  // not a record header that was cut short
  if (static_cast<std::size_t>(declared_size) > from_record.size()) return true;
  const std::size_t size = static_cast<std::size_t>(declared_size);
  const std::size_t tail = std::min<std::size_t>(8, size);
  common::ByteSpan record_tail = from_record.subspan(size - tail, tail);
  if (first_nonzero(record_tail) != record_tail.size()) return false;
  common::ByteSpan after = from_record.subspan(size);
  return first_nonzero(after) == after.size();
}

}  // namespace

bool CommitlogScan::has_corruption() const { return first_corruption() != nullptr; }

const StoreProblem* CommitlogScan::first_corruption() const {
  for (const auto& p : problems) {
    if (p.is_corruption()) return &p;
  }
  return nullptr;
}

CommitlogScan scan_commitlog(const CommitlogFiles& files, const ScanOptions& options) {
  CommitlogScan scan;
  scan.min_offset = files.begin_offset();
  scan.max_offset = scan.min_offset;
  const std::size_t file_size = files.file_size_bytes;

  bool ended_at_blank = false;
  for (std::size_t i = 0; i < files.files.size(); ++i) {
    const CommitlogFile& file = files.files[i];
    common::MappedFile mapped(file.path, /*populate=*/true);
    const common::ByteSpan bytes = mapped.bytes();
    assert(bytes.size() == file_size);
    std::size_t pos = 0;
    bool rolled = false;
    ended_at_blank = false;
    std::size_t reported_pos = 0;
    auto report_progress = [&](std::size_t upto) {
      if (options.progress_bytes != nullptr && upto > reported_pos + (1u << 20)) {
        options.progress_bytes->fetch_add(upto - reported_pos);
        reported_pos = upto;
      }
    };
    auto note = [&](const char* kind, const std::string& detail) {
      const std::int64_t at = file.start_offset + static_cast<std::int64_t>(pos);
      scan.problems.push_back({at, kind, file.path.string() + " at offset " + decimal(at) + ": " + detail});
    };
    auto stop = [&](const char* kind, const std::string& detail) {
      const std::int64_t at = file.start_offset + static_cast<std::int64_t>(pos);
      scan.max_offset = at;
      scan.file_data_end.push_back(at);
      scan.problems.push_back({at, kind, file.path.string() + " at offset " + decimal(at) + ": " + detail});
    };

    while (true) {
      const common::ByteSpan rest = bytes.subspan(pos);
      const WalkResult w = walk_step(rest, options.check_crc, nullptr);  // the broker's recovery rule too
      const DecodeResult& r = w.decode;
      if (w.step == WalkStep::kRecord) {
        const std::int64_t at = file.start_offset + static_cast<std::int64_t>(pos);
        const std::int64_t recorded = common::load_i64_be(rest.data() + kPhysicalOffsetPosition);
        if (recorded != at) {
          // Upstream recovery does not check this field, so the walk goes on; the record is still wrong.
          note(problem_kind::kWrongPhysicalOffset,
               "record says PHYSICALOFFSET " + decimal(recorded) + " (file renamed or copied to the wrong name?)");
        }
        if (options.on_record) options.on_record(at, rest.first(static_cast<std::size_t>(r.size)));
        ++scan.record_count;
        pos += static_cast<std::size_t>(r.size);
        report_progress(pos);
        continue;
      }
      if (w.step == WalkStep::kRollToNextFile) {
        // Upstream rolls to the next file on any blank magic, whatever length it declares.
        const std::int32_t declared = common::load_i32_be(rest.data());
        if (declared < 0 || static_cast<std::size_t>(declared) != file_size - pos) {
          note(problem_kind::kBadBlank, "end-of-file record declares " + std::to_string(declared) +
                                            " remaining bytes, the file has " + std::to_string(file_size - pos));
        }
        scan.max_offset = file.start_offset + static_cast<std::int64_t>(pos);
        scan.file_data_end.push_back(scan.max_offset + static_cast<std::int64_t>(kBlankRecordSize));
        rolled = true;
        ended_at_blank = true;
        break;
      }
      if (w.step == WalkStep::kEndOfData) {
        scan.max_offset = file.start_offset + static_cast<std::int64_t>(pos);
        scan.file_data_end.push_back(scan.max_offset);
        check_nothing_after(files, i, pos, mapped, scan);
        break;
      }
      // A record upstream recovery would stop at.
      if (r.status == DecodeStatus::kTruncated || looks_torn(rest)) {
        // The last write never finished (a crash, or a slave that received part of a chunk): recovery
        // truncates it, and nothing after it is lost, so it is a warning, not corruption.
        stop(problem_kind::kTornTail, std::string("torn last record, recovery truncates it (") + r.detail + ")");
        check_nothing_after(files, i, file_size, mapped, scan);
      } else if (r.status == DecodeStatus::kBadMagic) {
        stop(problem_kind::kBadMagic, r.detail);
      } else if (r.status == DecodeStatus::kBadCrc) {
        stop(problem_kind::kBadCrc, r.detail);
      } else {
        stop(problem_kind::kBadSize, r.detail);
      }
      break;
    }
    if (options.progress_bytes != nullptr) options.progress_bytes->fetch_add(file_size - reported_pos);
    if (!rolled) break;  // end of data inside this file
  }
  // A log whose last file ends with a blank record ends, for comparison, at that file's end: the next record
  // goes to the next file whether or not a pre-allocated one exists yet.
  scan.comparable_end_offset = scan.max_offset;
  if (ended_at_blank) {
    scan.comparable_end_offset = scan.max_offset - scan.max_offset % static_cast<std::int64_t>(file_size) +
                                 static_cast<std::int64_t>(file_size);
  }
  // Files past the one holding the end have no log bytes.
  while (scan.file_data_end.size() < files.files.size()) {
    scan.file_data_end.push_back(files.files[scan.file_data_end.size()].start_offset);
  }
  return scan;
}

std::int64_t record_start_containing(const CommitlogFiles& files, std::int64_t offset) {
  const std::size_t file_size = files.file_size_bytes;
  const std::int64_t file_start = offset - offset % static_cast<std::int64_t>(file_size);
  const std::size_t index = static_cast<std::size_t>((file_start - files.begin_offset()) /
                                                     static_cast<std::int64_t>(file_size));
  assert(index < files.files.size());
  common::MappedFile mapped(files.files[index].path);
  std::size_t pos = 0;
  const std::size_t target = static_cast<std::size_t>(offset - file_start);
  while (pos < mapped.size_bytes()) {
    const DecodeResult r = decode_record(mapped.bytes().subspan(pos), false, nullptr);
    if (r.status != DecodeStatus::kOk || pos + static_cast<std::size_t>(r.size) > target) break;
    pos += static_cast<std::size_t>(r.size);
  }
  return file_start + static_cast<std::int64_t>(pos);
}

RecordRange count_records(const CommitlogFiles& files, std::int64_t begin, std::int64_t end) {
  RecordRange range;
  ScanOptions options;
  options.check_crc = false;
  options.on_record = [&](std::int64_t at, common::ByteSpan record) {
    if (at < begin || at >= end) return;
    if (range.count == 0) range.first_offset = at;
    ++range.count;
    range.end_offset = at + static_cast<std::int64_t>(record.size());
  };
  CommitlogFiles subset = files;
  // Skip files wholly before `begin`: the walk restarts at every file boundary anyway.
  const auto first = std::find_if(subset.files.begin(), subset.files.end(), [&](const CommitlogFile& f) {
    return f.start_offset + static_cast<std::int64_t>(files.file_size_bytes) > begin;
  });
  subset.files.erase(subset.files.begin(), first);
  scan_commitlog(subset, options);
  return range;
}

}  // namespace rmq::store
