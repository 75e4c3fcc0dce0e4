// The commitlog file set (storage.md 2.1, 2.2): 20-digit names, one size, contiguous; strays never read.
#include "broker/store/commitlog_files.h"

#include <gtest/gtest.h>

#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using rmq::testing::TempDir;
using rmq::testing::write_file;

constexpr std::size_t kSize = 4096;

std::vector<std::uint8_t> zeros(std::size_t n) { return std::vector<std::uint8_t>(n, 0); }

TEST(CommitlogFileName, IsTwentyZeroPaddedDigitsOfTheStartOffset) {
  EXPECT_EQ(commitlog_file_name(0), "00000000000000000000");
  EXPECT_EQ(commitlog_file_name(1073741824), "00000000001073741824");
  EXPECT_TRUE(is_commitlog_file_name("00000000001073741824"));
  EXPECT_FALSE(is_commitlog_file_name("0000000000107374182"));
  EXPECT_FALSE(is_commitlog_file_name("00000000001073741824.bak"));
  EXPECT_FALSE(is_commitlog_file_name("0000000000107374182x"));
}

TEST(ListCommitlogFiles, SortsContiguousFilesAndTakesTheirCommonSize) {
  TempDir dir;
  write_file(dir.path() / "00000000000000004096", zeros(kSize));
  write_file(dir.path() / "00000000000000000000", zeros(kSize));
  write_file(dir.path() / "00000000000000008192", zeros(kSize));
  const CommitlogFiles files = list_commitlog_files(dir.path());
  ASSERT_EQ(files.files.size(), 3u);
  EXPECT_EQ(files.file_size_bytes, kSize);
  EXPECT_EQ(files.files[0].start_offset, 0);
  EXPECT_EQ(files.files[2].start_offset, 8192);
  EXPECT_EQ(files.begin_offset(), 0);
  EXPECT_EQ(files.end_offset(), 12288);
  EXPECT_TRUE(files.problems.empty());
}

TEST(ListCommitlogFiles, ReportsStrayFilesAndDoesNotReadThem) {
  TempDir dir;
  write_file(dir.path() / "00000000000000000000", zeros(kSize));
  write_file(dir.path() / "00000000000000000000.bak", zeros(kSize));
  write_file(dir.path() / "notes.txt", {'h', 'i'});
  std::filesystem::create_directories(dir.path() / "sub");
  const CommitlogFiles files = list_commitlog_files(dir.path());
  ASSERT_EQ(files.files.size(), 1u);
  ASSERT_EQ(files.problems.size(), 3u);
  for (const auto& p : files.problems) {
    EXPECT_EQ(p.kind, problem_kind::kStrayFile);
    EXPECT_FALSE(p.offset.has_value());
    EXPECT_FALSE(p.is_corruption());
  }
}

TEST(ListCommitlogFiles, ReportsAFileOfAnotherSizeAsCorruptionAtItsOffset) {
  TempDir dir;
  write_file(dir.path() / "00000000000000000000", zeros(kSize));
  write_file(dir.path() / "00000000000000004096", zeros(kSize));
  write_file(dir.path() / "00000000000000008192", zeros(100));
  const CommitlogFiles files = list_commitlog_files(dir.path());
  ASSERT_EQ(files.files.size(), 2u);
  ASSERT_EQ(files.problems.size(), 1u);
  EXPECT_EQ(files.problems[0].kind, problem_kind::kWrongFileSize);
  EXPECT_EQ(files.problems[0].offset, 8192);
  EXPECT_TRUE(files.problems[0].is_corruption());
}

TEST(ListCommitlogFiles, UsesTheConfiguredSizeOverTheFilesOwn) {
  TempDir dir;
  write_file(dir.path() / "00000000000000000000", zeros(kSize));
  const CommitlogFiles files = list_commitlog_files(dir.path(), 8192);
  EXPECT_TRUE(files.files.empty());
  ASSERT_EQ(files.problems.size(), 1u);
  EXPECT_EQ(files.problems[0].kind, problem_kind::kWrongFileSize);
}

TEST(ListCommitlogFiles, StopsAtAGapAndNamesTheMissingFile) {
  TempDir dir;
  write_file(dir.path() / "00000000000000000000", zeros(kSize));
  write_file(dir.path() / "00000000000000008192", zeros(kSize));
  const CommitlogFiles files = list_commitlog_files(dir.path());
  ASSERT_EQ(files.files.size(), 1u);
  ASSERT_EQ(files.problems.size(), 1u);
  EXPECT_EQ(files.problems[0].kind, problem_kind::kMissingFile);
  EXPECT_EQ(files.problems[0].offset, 4096);
  EXPECT_NE(files.problems[0].detail.find("00000000000000004096"), std::string::npos);
}

TEST(ListCommitlogFiles, ReportsAStartOffsetThatIsNotAMultipleOfTheSize) {
  TempDir dir;
  write_file(dir.path() / "00000000000000000100", zeros(kSize));
  const CommitlogFiles files = list_commitlog_files(dir.path());
  EXPECT_TRUE(files.files.empty());
  ASSERT_EQ(files.problems.size(), 1u);
  EXPECT_EQ(files.problems[0].kind, problem_kind::kMisalignedFile);
}

TEST(ListCommitlogFiles, ThrowsIoErrorForAMissingDirectory) {
  TempDir dir;
  EXPECT_THROW(list_commitlog_files(dir.path() / "absent"), std::runtime_error);
}

}  // namespace
}  // namespace rmq::store
