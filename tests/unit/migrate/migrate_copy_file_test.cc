// The durable file copy, the data-extent walk and the hole-aware MD5: copies are exact (holes included),
// a failed copy leaves neither a final name nor a temporary file, a source whose size differs from the plan
// is refused, and the MD5 equals md5sum's whether or not the file has holes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "broker/common/mapped_file.h"
#include "broker/common/md5.h"
#include "migrate/copy_extents.h"
#include "migrate/copy_file.h"
#include "migrate/copy_hash.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::migrate {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::vector<std::uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A file of `size` bytes with data only at [at, at + data.size()): the rest are holes.
void write_sparse(const fs::path& path, std::uint64_t size, std::uint64_t at, const std::vector<std::uint8_t>& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(at)), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

std::uint64_t allocated_bytes(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

class CopyFileTest : public ::testing::Test {
 protected:
  fs::path src() const { return tmp_.path() / "src"; }
  fs::path dst_dir() const { return tmp_.path() / "dst"; }
  void SetUp() override { fs::create_directories(dst_dir()); }
  rmq::testing::TempDir tmp_;
};

TEST_F(CopyFileTest, CopiesExactlyAndLeavesNoTemporaryFile) {
  const auto bytes = random_bytes(3 * 1024 * 1024 + 17, 1);
  rmq::testing::write_file(src(), bytes);
  std::atomic<std::uint64_t> progress{0};
  CopyFileOptions options;
  options.progress_bytes = &progress;
  const CopyFileResult r = copy_file_durably(src(), dst_dir() / "f", bytes.size(), options);
  EXPECT_EQ(r.size_bytes, bytes.size());
  EXPECT_EQ(r.copied_bytes, bytes.size());
  EXPECT_EQ(progress.load(), bytes.size());
  EXPECT_EQ(read_all(dst_dir() / "f"), bytes);
  EXPECT_FALSE(fs::exists(temp_path_for(dst_dir() / "f")));
  EXPECT_EQ(read_all(src()), bytes) << "the source changed";
}

TEST_F(CopyFileTest, HolesStayHolesAndReadAsZeros) {
  constexpr std::uint64_t kSize = 8 * 1024 * 1024;
  const auto data = random_bytes(4096, 2);
  write_sparse(src(), kSize, 1024 * 1024, data);
  const CopyFileResult r = copy_file_durably(src(), dst_dir() / "sparse", kSize);
  EXPECT_EQ(fs::file_size(dst_dir() / "sparse"), kSize);
  EXPECT_EQ(read_all(dst_dir() / "sparse"), read_all(src()));
  EXPECT_LT(r.copied_bytes, kSize / 2);  // only the data extent moved (where the file system has holes)
  EXPECT_LT(allocated_bytes(dst_dir() / "sparse"), kSize / 2);
}

TEST_F(CopyFileTest, AnAllHoleFileBecomesAnAllHoleFileOfTheSameSize) {
  write_sparse(src(), 1 << 20, 0, {});
  copy_file_durably(src(), dst_dir() / "zeros", 1 << 20);
  EXPECT_EQ(read_all(dst_dir() / "zeros"), std::vector<std::uint8_t>(1 << 20, 0));
}

TEST_F(CopyFileTest, ReplacesWhateverIsUnderTheFinalName) {
  rmq::testing::write_file(dst_dir() / "f", {1, 2, 3, 4, 5, 6, 7, 8, 9});  // a half copy from a killed run
  rmq::testing::write_file(src(), {42});
  copy_file_durably(src(), dst_dir() / "f", 1);
  EXPECT_EQ(read_all(dst_dir() / "f"), std::vector<std::uint8_t>{42});
}

TEST_F(CopyFileTest, ASourceOfAnotherSizeThanPlannedIsRefused) {
  rmq::testing::write_file(src(), random_bytes(100, 3));
  EXPECT_THROW(copy_file_durably(src(), dst_dir() / "f", 99), common::IoError);
  EXPECT_FALSE(fs::exists(dst_dir() / "f"));
  EXPECT_FALSE(fs::exists(temp_path_for(dst_dir() / "f")));
}

TEST_F(CopyFileTest, AFailedWriteLeavesNeitherTheFinalNameNorTheTemporaryFile) {
  rmq::testing::write_file(src(), random_bytes(1 << 20, 4));
  // The temporary name is taken by a directory, so the copy cannot even open its temporary file.
  fs::create_directories(temp_path_for(dst_dir() / "f"));
  EXPECT_THROW(copy_file_durably(src(), dst_dir() / "f", 1 << 20), common::IoError);
  EXPECT_FALSE(fs::exists(dst_dir() / "f"));
  fs::remove(temp_path_for(dst_dir() / "f"));
  // A missing destination directory is an error, not a crash.
  EXPECT_THROW(copy_file_durably(src(), dst_dir() / "missing" / "f", 1 << 20), common::IoError);
}

TEST_F(CopyFileTest, AHookThatThrowsHalfWayRemovesTheTemporaryFile) {
  rmq::testing::write_file(src(), random_bytes(1 << 20, 5));
  CopyFileOptions options;
  bool called = false;
  options.after_half_written = [&] {
    called = true;
    EXPECT_TRUE(fs::exists(temp_path_for(dst_dir() / "f")));
    throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(copy_file_durably(src(), dst_dir() / "f", 1 << 20, options), std::runtime_error);
  EXPECT_TRUE(called);
  EXPECT_FALSE(fs::exists(temp_path_for(dst_dir() / "f")));
  EXPECT_FALSE(fs::exists(dst_dir() / "f"));
}

TEST_F(CopyFileTest, StaleTemporaryFilesAreFoundAndRemovedRecursively) {
  rmq::testing::write_file(dst_dir() / "a" / ".00000000000000000000.rmqctl-tmp", {1});
  rmq::testing::write_file(dst_dir() / "b" / "c" / ".topics.json.rmqctl-tmp", {1});
  rmq::testing::write_file(dst_dir() / "a" / "00000000000000000000", {1});
  rmq::testing::write_file(dst_dir() / "a" / "rmqctl-tmp", {1});
  EXPECT_EQ(remove_stale_temp_files(dst_dir()), 2u);
  EXPECT_TRUE(fs::exists(dst_dir() / "a" / "00000000000000000000"));
  EXPECT_TRUE(fs::exists(dst_dir() / "a" / "rmqctl-tmp"));
  EXPECT_EQ(remove_stale_temp_files(tmp_.path() / "absent"), 0u);
}

TEST_F(CopyFileTest, TemporaryNamesAreHiddenBesideTheFinalName) {
  EXPECT_EQ(temp_path_for("/s/commitlog/00000000000000000000"), "/s/commitlog/.00000000000000000000.rmqctl-tmp");
  EXPECT_TRUE(is_temp_file_name(".x.rmqctl-tmp"));
  EXPECT_FALSE(is_temp_file_name("x.rmqctl-tmp"));
  EXPECT_FALSE(is_temp_file_name(".rmqctl-tmp"));
}

TEST_F(CopyFileTest, SparseAwareMd5EqualsPlainMd5) {
  write_sparse(src(), 5 * 1024 * 1024 + 3, 2 * 1024 * 1024 + 1, random_bytes(70000, 6));
  EXPECT_EQ(md5_file_hex_sparse(src()), common::md5_file_hex(src()));
  rmq::testing::write_file(tmp_.path() / "dense", random_bytes(12345, 7));
  EXPECT_EQ(md5_file_hex_sparse(tmp_.path() / "dense"), common::md5_file_hex(tmp_.path() / "dense"));
  rmq::testing::write_file(tmp_.path() / "empty", {});
  EXPECT_EQ(md5_file_hex_sparse(tmp_.path() / "empty"), "d41d8cd98f00b204e9800998ecf8427e");
  std::atomic<std::uint64_t> progress{0};
  md5_file_hex_sparse(src(), &progress);
  EXPECT_EQ(progress.load(), 5u * 1024 * 1024 + 3);
  EXPECT_THROW(md5_file_hex_sparse(tmp_.path() / "absent"), common::IoError);
}

TEST_F(CopyFileTest, DataExtentsCoverEveryWrittenByte) {
  const auto data = random_bytes(4096, 8);
  write_sparse(src(), 4 * 1024 * 1024, 3 * 1024 * 1024, data);
  const int fd = ::open(src().c_str(), O_RDONLY);
  const auto extents = data_extents(fd, 4 * 1024 * 1024, src());
  ::close(fd);
  ASSERT_FALSE(extents.empty());
  bool covered = false;
  for (const auto& [b, e] : extents) {
    EXPECT_LT(b, e);
    EXPECT_LE(e, 4u * 1024 * 1024);
    covered = covered || (b <= 3u * 1024 * 1024 && e >= 3u * 1024 * 1024 + 4096);
  }
  EXPECT_TRUE(covered);
}

}  // namespace
}  // namespace rmq::migrate
