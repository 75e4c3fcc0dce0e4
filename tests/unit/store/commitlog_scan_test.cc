// The recovery-style scan (storage.md 1.8, 2.3): where it stops and what it reports. Records here come from
// the encoder because these tests are about the walk, not the bytes; the byte layout is pinned by the
// hand-assembled format tests.
#include "broker/store/commitlog_scan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "broker/store/message_record.h"
#include "tests/unit/store/sample_log.h"

namespace rmq::store {
namespace {

using rmq::testing::TempDir;
using rmq::testing::write_file;

using rmq::testing::sample_record;
using rmq::testing::sample_record_end;
using rmq::testing::set_byte_at;

constexpr std::size_t kFileSize = rmq::testing::kSampleFileSize;

std::vector<std::int64_t> write_log(const std::filesystem::path& dir, int count, int extra_zero_files = 0) {
  rmq::testing::SampleLogOptions o;
  o.count = count;
  o.extra_zero_files = extra_zero_files;
  return rmq::testing::write_sample_log(dir, o);
}

TEST(ScanCommitlog, EndsAtTheFirstUnwrittenByteAfterTheLastRecord) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 30);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  EXPECT_TRUE(scan.problems.empty());
  EXPECT_EQ(scan.record_count, 30u);
  EXPECT_EQ(scan.min_offset, 0);
  EXPECT_EQ(scan.max_offset, sample_record_end(offsets.back(), 29));
}

TEST(ScanCommitlog, RollsToTheNextFileAtEachBlankRecord) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 60);
  const CommitlogFiles files = list_commitlog_files(dir.path());
  ASSERT_GE(files.files.size(), 3u);
  std::vector<std::int64_t> seen;
  ScanOptions options;
  options.on_record = [&](std::int64_t at, common::ByteSpan) { seen.push_back(at); };
  const CommitlogScan scan = scan_commitlog(files, options);
  EXPECT_EQ(seen, offsets);
  EXPECT_EQ(scan.file_data_end.size(), files.files.size());
}

TEST(ScanCommitlog, TreatsPreallocatedZeroFilesAsNormal) {
  TempDir dir;
  write_log(dir.path(), 10, /*extra_zero_files=*/1);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  EXPECT_TRUE(scan.problems.empty());
  EXPECT_EQ(scan.record_count, 10u);
}

TEST(ScanCommitlog, StopsAtABodyCrcMismatchAndNamesItsOffset) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 10);
  // The body of record 4 starts after the 84-byte header and the 4-byte body length.
  set_byte_at(dir.path(), offsets[4] + 88, 'Z');
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  ASSERT_TRUE(scan.has_corruption());
  EXPECT_EQ(scan.first_corruption()->kind, problem_kind::kBadCrc);
  EXPECT_EQ(scan.first_corruption()->offset, offsets[4]);
  EXPECT_EQ(scan.max_offset, offsets[4]);
  EXPECT_EQ(scan.record_count, 4u);
}

TEST(ScanCommitlog, SkipsTheCrcCheckWhenToldTo) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 10);
  set_byte_at(dir.path(), offsets[4] + 88, 'Z');
  ScanOptions options;
  options.check_crc = false;
  EXPECT_FALSE(scan_commitlog(list_commitlog_files(dir.path()), options).has_corruption());
}

TEST(ScanCommitlog, ReportsATornLastRecordAsAWarningAndEndsBeforeIt) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 10);
  // Zero the second half of the last record: its header was written, its tail never was.
  const std::int64_t end = sample_record_end(offsets[9], 9);
  for (std::int64_t at = offsets[9] + (end - offsets[9]) / 2; at < end; ++at) set_byte_at(dir.path(), at, 0);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  // Recovery truncates a torn tail and loses nothing after it: a warning, and the log ends before it.
  EXPECT_FALSE(scan.has_corruption());
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_EQ(scan.problems[0].kind, problem_kind::kTornTail);
  EXPECT_EQ(scan.problems[0].offset, offsets[9]);
  EXPECT_EQ(scan.max_offset, offsets[9]);
}

TEST(ScanCommitlog, ReportsABadMagic) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 10);
  set_byte_at(dir.path(), offsets[3] + 5, 0x11);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  ASSERT_TRUE(scan.has_corruption());
  EXPECT_EQ(scan.first_corruption()->kind, problem_kind::kBadMagic);
  EXPECT_EQ(scan.first_corruption()->offset, offsets[3]);
}

TEST(ScanCommitlog, ReportsARecordWhosePhysicalOffsetIsNotItsPosition) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 10);
  set_byte_at(dir.path(), offsets[2] + 35, 0x7F);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  ASSERT_TRUE(scan.has_corruption());
  EXPECT_EQ(scan.first_corruption()->kind, problem_kind::kWrongPhysicalOffset);
  EXPECT_EQ(scan.first_corruption()->offset, offsets[2]);
}

TEST(ScanCommitlog, ReportsBytesAfterTheEndOfValidRecords) {
  TempDir dir;
  write_log(dir.path(), 5, /*extra_zero_files=*/1);
  set_byte_at(dir.path(), static_cast<std::int64_t>(kFileSize) + 100, 0x42);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  ASSERT_TRUE(scan.has_corruption());
  EXPECT_EQ(scan.first_corruption()->kind, problem_kind::kDataAfterEnd);
  EXPECT_EQ(scan.first_corruption()->offset, static_cast<std::int64_t>(kFileSize) + 100);
}

TEST(ScanCommitlog, ReportsABlankRecordWithAWrongLength) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 60);
  const CommitlogFiles files = list_commitlog_files(dir.path());
  const CommitlogScan good = scan_commitlog(files);
  const std::int64_t blank_at = good.file_data_end[0] - static_cast<std::int64_t>(kBlankRecordSize);
  set_byte_at(dir.path(), blank_at + 3, 0x01);
  const CommitlogScan scan = scan_commitlog(files);
  ASSERT_TRUE(scan.has_corruption());
  EXPECT_EQ(scan.first_corruption()->kind, problem_kind::kBadBlank);
  EXPECT_EQ(scan.first_corruption()->offset, blank_at);
}

TEST(ScanCommitlog, KeepsWalkingPastAWrongPhysicalOffsetAsRecoveryDoes) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 10);
  set_byte_at(dir.path(), offsets[2] + 35, 0x7F);
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  EXPECT_EQ(scan.record_count, 10u);
  EXPECT_EQ(scan.max_offset, sample_record_end(offsets[9], 9));
}

TEST(ScanCommitlog, AComparableEndIsTheFileEndWhenTheLogEndsWithABlank) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 60);
  // Find the record that opened file 1 and drop that file: the log now ends with file 0's blank.
  const auto first_in_file1 = std::find(offsets.begin(), offsets.end(), static_cast<std::int64_t>(kFileSize));
  ASSERT_NE(first_in_file1, offsets.end());
  for (std::size_t i = 1; std::filesystem::exists(dir.path() / commitlog_file_name(static_cast<std::int64_t>(i * kFileSize))); ++i) {
    std::filesystem::remove(dir.path() / commitlog_file_name(static_cast<std::int64_t>(i * kFileSize)));
  }
  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path()));
  EXPECT_TRUE(scan.problems.empty());
  EXPECT_LT(scan.max_offset, static_cast<std::int64_t>(kFileSize));
  EXPECT_EQ(scan.comparable_end_offset, static_cast<std::int64_t>(kFileSize));
}

TEST(RecordStartContaining, FindsTheRecordAroundAByte) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 30);
  const CommitlogFiles files = list_commitlog_files(dir.path());
  EXPECT_EQ(record_start_containing(files, offsets[5]), offsets[5]);
  EXPECT_EQ(record_start_containing(files, offsets[5] + 50), offsets[5]);
  EXPECT_EQ(record_start_containing(files, offsets[20] + 1), offsets[20]);
}

TEST(CountRecords, CountsRecordsStartingInARange) {
  TempDir dir;
  const auto offsets = write_log(dir.path(), 30);
  const RecordRange range = count_records(list_commitlog_files(dir.path()), offsets[10], offsets[20]);
  EXPECT_EQ(range.count, 10u);
  EXPECT_EQ(range.first_offset, offsets[10]);
  EXPECT_EQ(range.end_offset, offsets[20]);
}

}  // namespace
}  // namespace rmq::store
