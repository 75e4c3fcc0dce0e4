// Consume-queue files are sparse (issue 9 item 4): a queue with a few entries costs one 64 KiB chunk of disk,
// not its whole file (6,000,000 bytes by default), also after a restart's recovery; and a write into a sparse
// file on a full disk is an IoError naming the file, never a SIGBUS (the chunk is reserved before the copy).
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "broker/common/io_error.h"
#include "broker/store/commitlog_files.h"
#include "broker/store/consume_queue.h"
#include "broker/store/writable_mapped_file.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;

constexpr std::int64_t kDefaultFileSize = 300000 * 20;  // mappedFileSizeConsumeQueue's default

std::int64_t disk_bytes(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return -1;
  return static_cast<std::int64_t>(st.st_blocks) * 512;
}

std::int64_t apparent_bytes(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return -1;
  return static_cast<std::int64_t>(st.st_size);
}

TEST(ConsumeQueueSparseTest, AFewEntriesCostOneChunkNotTheWholeFile) {
  TempDir dir;
  const fs::path queue_dir = dir.path() / "T" / "0";
  const fs::path file = queue_dir / commitlog_file_name(0);
  {
    ConsumeQueue q(queue_dir, "T", 0, kDefaultFileSize);
    for (std::int64_t i = 0; i < 3; ++i) ASSERT_TRUE(q.put({1000 + i * 100, 100, 7}, i));
    q.flush();
    EXPECT_EQ(apparent_bytes(file), kDefaultFileSize) << "the file keeps upstream's size";
    EXPECT_GT(disk_bytes(file), 0);
    EXPECT_LE(disk_bytes(file), 2 * WritableMappedFile::kAllocationChunkBytes)
        << "a queue of 3 entries took " << disk_bytes(file) << " bytes of disk";
  }
  // Recovery (load, find the end, truncate past it) must not allocate the unused rest either.
  ConsumeQueue reloaded(queue_dir, "T", 0, kDefaultFileSize);
  reloaded.load_and_recover();
  reloaded.truncate_by_commitlog_end(1000 + 2 * 100);  // drops the last entry (at 1200)
  EXPECT_EQ(reloaded.max_offset(), 2);
  EXPECT_LE(disk_bytes(file), 2 * WritableMappedFile::kAllocationChunkBytes);
  ASSERT_TRUE(reloaded.entry(1).has_value());
  EXPECT_EQ(reloaded.entry(1)->commitlog_offset, 1100);
}

TEST(ConsumeQueueSparseTest, EntriesAcrossManyChunksReadBack) {
  TempDir dir;
  const fs::path queue_dir = dir.path() / "T" / "3";
  ConsumeQueue q(queue_dir, "T", 3, kDefaultFileSize);
  constexpr std::int64_t kEntries = 3 * WritableMappedFile::kAllocationChunkBytes / 20 + 7;  // 3+ chunks
  for (std::int64_t i = 0; i < kEntries; ++i) ASSERT_TRUE(q.put({i * 64, 64, i}, i)) << i;
  for (std::int64_t i : {std::int64_t{0}, kEntries / 2, kEntries - 1}) {
    auto e = q.entry(i);
    ASSERT_TRUE(e.has_value()) << i;
    EXPECT_EQ(e->commitlog_offset, i * 64);
    EXPECT_EQ(e->tags_code, i);
  }
  const std::int64_t used = disk_bytes(queue_dir / commitlog_file_name(0));
  EXPECT_LE(used, 5 * WritableMappedFile::kAllocationChunkBytes);
  EXPECT_GE(used, kEntries * 20);
}

constexpr int kSkip = 77;

// In a private mount namespace with a 256 KiB tmpfs: a 1 MiB sparse file is written until the disk is full.
[[noreturn]] void fill_sparse_file_child(const fs::path& mount_point) {
  if (::unshare(CLONE_NEWNS) != 0) ::_exit(kSkip);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(kSkip);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") != 0) ::_exit(kSkip);
  try {
    auto file = WritableMappedFile::create(mount_point / commitlog_file_name(0), 0, 1 << 20, FileAllocation::kOnWrite);
    const common::Bytes block(4096, 0x5a);
    std::int64_t written = 0;
    try {
      for (; written + 4096 <= file->size_bytes(); written += 4096) file->write(written, block);
    } catch (const common::IoError& e) {
      std::printf("wrote %lld bytes, then: %s\n", static_cast<long long>(written), e.what());
      std::fflush(stdout);
      if (written == 0) ::_exit(10);
      if (std::string(e.what()).find("No space left on device") == std::string::npos) ::_exit(11);
      if (file->bytes()[0] != 0x5a) ::_exit(12);
      ::_exit(0);
    }
    ::_exit(13);  // 1 MiB fitted in a 256 KiB file system?
  } catch (const std::exception& e) {
    std::printf("child: %s\n", e.what());
    std::fflush(stdout);
    ::_exit(20);
  }
}

TEST(ConsumeQueueSparseTest, FullDiskIsAnIoErrorNotASigbus) {
  TempDir dir;
  std::fflush(stdout);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) fill_sparse_file_child(dir.path());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_FALSE(WIFSIGNALED(status)) << "child killed by signal " << WTERMSIG(status) << " (SIGBUS is " << SIGBUS
                                    << ")";
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kSkip) GTEST_SKIP() << "cannot mount a tmpfs in a private namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the exit codes in fill_sparse_file_child";
}

}  // namespace
}  // namespace rmq::store
