// A recovery-style scan of a commitlog (storage.md 1.8, 2.3): walk the records from the oldest file, roll to
// the next file at each blank record, and stop where upstream recovery would stop: at the first record with a
// bad magic, size or CRC, or a torn tail. Everything before that point is the valid log; its end is the
// store's max offset, exactly the offset the Java broker would truncate to.
//
// Unlike recovery, the scan never truncates (it reads through read-only maps) and it reports *why* it
// stopped, with the absolute offset. A clean end of data is unwritten (zero) space followed by nothing but
// zeros: pre-allocated files are normal. Non-zero bytes after the end are reported as data_after_end, because
// upstream recovery would silently drop them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/store/commitlog_files.h"
#include "broker/store/store_problem.h"

namespace rmq::store {

struct CommitlogScan {
  std::int64_t min_offset = 0;    // start of the oldest data file
  std::int64_t max_offset = 0;    // end of the last valid record
  // max_offset, or the end of the file when the log ends with a blank record: the offset two logs with the
  // same records agree on, whether or not one of them has pre-allocated the next file.
  std::int64_t comparable_end_offset = 0;
  std::uint64_t record_count = 0;
  // For each data file, the end of the bytes that belong to the log: the blank record's end when the file
  // was closed with one, max_offset for the file that holds it, the file start for files past it.
  std::vector<std::int64_t> file_data_end;
  std::vector<StoreProblem> problems;  // record-level; at most one stopping problem plus data_after_end

  bool has_corruption() const;
  const StoreProblem* first_corruption() const;
};

struct ScanOptions {
  bool check_crc = true;                                 // checkCRCOnRecover
  std::atomic<std::uint64_t>* progress_bytes = nullptr;  // advanced as bytes are scanned
  // Called for every valid record, in order, with its absolute offset and bytes.
  std::function<void(std::int64_t offset, common::ByteSpan record)> on_record;
};

// Throws common::IoError when a file cannot be mapped.
CommitlogScan scan_commitlog(const CommitlogFiles& files, const ScanOptions& options = {});

// The absolute offset of the record that contains `offset`, walking the valid records of its file.
// Requires offset < scan.max_offset.
std::int64_t record_start_containing(const CommitlogFiles& files, std::int64_t offset);

// Number of valid records that start in [begin, end), with the offset of the first one.
struct RecordRange {
  std::uint64_t count = 0;
  std::int64_t first_offset = -1;
  std::int64_t end_offset = -1;
};
RecordRange count_records(const CommitlogFiles& files, std::int64_t begin, std::int64_t end);

}  // namespace rmq::store
