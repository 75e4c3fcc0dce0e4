// Where the DLedger log begins on a legacy commitlog (storage.md 6.3 and gotcha 9), from file listings and
// scan results written out by hand for each case recovery distinguishes.
#include <gtest/gtest.h>

#include "migrate/migrate_dledger_start.h"

namespace rmq::migrate {
namespace {

constexpr std::int64_t kSize = 1024;

store::CommitlogFiles files_from(std::int64_t first_start, int count) {
  store::CommitlogFiles f;
  f.file_size_bytes = kSize;
  for (int i = 0; i < count; ++i) {
    const std::int64_t start = first_start + i * kSize;
    f.files.push_back({store::commitlog_file_name(start), {}, start, kSize});
  }
  return f;
}

TEST(DledgerStartTest, EndInsideAFileBeginsAtTheNextBoundary) {
  const auto files = files_from(0, 3);
  store::CommitlogScan scan;
  scan.max_offset = 2 * kSize + 300;
  scan.file_data_end = {kSize, 2 * kSize, 2 * kSize + 300};
  const DledgerStart s = dledger_start_for(files, scan);
  EXPECT_EQ(s.recovery_offset, 2 * kSize + 300);
  EXPECT_EQ(s.divided_offset, 3 * kSize);
  EXPECT_EQ(s.first_physical_offset, 3 * kSize + 48);
}

TEST(DledgerStartTest, APreallocatedEmptyFileAfterTheEndIsTruncatedAway) {
  const auto files = files_from(0, 3);  // file 2 is preallocated zeros
  store::CommitlogScan scan;
  scan.max_offset = kSize + 500;
  scan.file_data_end = {kSize, kSize + 500, 2 * kSize};
  EXPECT_EQ(dledger_start_for(files, scan).divided_offset, 2 * kSize);
}

TEST(DledgerStartTest, ALastFileClosedWithABlankAndAnEmptyNextFileStartsOneFileLater) {
  // Gotcha 9: recovery rolls over the blank into the empty next file, keeps it, and DLedger begins after it.
  const auto files = files_from(0, 3);
  store::CommitlogScan scan;
  scan.max_offset = 2 * kSize;  // the scan rolled into file 2 and found nothing there
  scan.file_data_end = {kSize, 2 * kSize, 2 * kSize};
  const DledgerStart s = dledger_start_for(files, scan);
  EXPECT_EQ(s.recovery_offset, 2 * kSize);
  EXPECT_EQ(s.divided_offset, 3 * kSize);
}

TEST(DledgerStartTest, ALastFileClosedWithABlankAndNoNextFileBeginsAtItsEnd) {
  const auto files = files_from(0, 2);
  store::CommitlogScan scan;
  scan.max_offset = 2 * kSize - 8;  // the blank's start
  scan.file_data_end = {kSize, 2 * kSize};
  EXPECT_EQ(dledger_start_for(files, scan).divided_offset, 2 * kSize);
}

TEST(DledgerStartTest, AStoreWhoseOldFilesWereDeletedCountsFromItsFirstFile) {
  const auto files = files_from(5 * kSize, 2);
  store::CommitlogScan scan;
  scan.min_offset = 5 * kSize;
  scan.max_offset = 5 * kSize + 10;
  scan.file_data_end = {5 * kSize + 10, 6 * kSize};
  EXPECT_EQ(dledger_start_for(files, scan).divided_offset, 6 * kSize);
}

TEST(DledgerStartTest, AnEmptyFirstFileStillEndsTheLegacyLog) {
  const auto files = files_from(0, 1);
  store::CommitlogScan scan;
  scan.file_data_end = {0};
  EXPECT_EQ(dledger_start_for(files, scan).divided_offset, kSize);
}

TEST(DledgerStartTest, NoLegacyFilesMeansDledgerStartsAtZero) {
  const DledgerStart s = dledger_start_for(store::CommitlogFiles{}, store::CommitlogScan{});
  EXPECT_EQ(s.divided_offset, -1);
  EXPECT_EQ(s.first_physical_offset, 0);
}

}  // namespace
}  // namespace rmq::migrate
