// What the plain store makes durable besides the records: the directory entry of every new commitlog file
// (fsync of the directory, or a power loss forgets the file however well its data was synced), and after a
// crash the recovered tail, which may exist only in the page cache the killed process left behind.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "broker/store/commitlog_files.h"
#include "tests/unit/store/plain_store_fault_support.h"
#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using namespace rmq::store::testing;
using rmq::testing::TempDir;

TEST(PlainStoreDurabilityTest, DirectoryIsSyncedAfterEveryNewCommitlogFile) {
  TempDir dir;
  const fs::path commitlog_dir = dir.path() / "commitlog";
  std::mutex mutex;
  int creates = 0;
  int dir_syncs = 0;
  ScopedOpHook hook([&](MappedFileOp op, const fs::path& path, std::int64_t, std::int64_t) {
    std::lock_guard lock(mutex);
    if (op == MappedFileOp::kCreate && is_under(path, commitlog_dir)) ++creates;
    if (op == MappedFileOp::kDirSync && path == commitlog_dir) ++dir_syncs;
  });
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(put(*store, make_message("T", 0, std::string(300, 'x'))).status, PutStatus::kOk);
  }
  std::lock_guard lock(mutex);
  EXPECT_GE(creates, 3) << "40 records of ~400 bytes span several 4 KB files";
  EXPECT_EQ(dir_syncs, creates);
}

TEST(PlainStoreDurabilityTest, AbnormalRecoverySyncsTheRecoveredTail) {
  TempDir dir;
  StoreConfig config = small_config(dir.path());
  std::int64_t end = 0;
  {
    auto store = DefaultMessageStore::open(config);
    for (int i = 0; i < 20; ++i) ASSERT_EQ(put(*store, make_message("T", 0, std::string(200, 'y'))).status, PutStatus::kOk);
    end = store->stats().max_physical_offset;
    store->shutdown();
  }
  // As after a SIGKILL: `abort` is still there.
  std::ofstream(dir.path() / "abort").put('\0');
  ASSERT_TRUE(fs::exists(dir.path() / "abort"));
  const std::int64_t last_start = end - end % config.commitlog_file_size_bytes;
  const fs::path last_file = dir.path() / "commitlog" / commitlog_file_name(last_start);
  std::mutex mutex;
  std::int64_t synced_to_in_last_file = -1;
  bool recording = true;
  ScopedOpHook hook([&](MappedFileOp op, const fs::path& path, std::int64_t, std::int64_t to) {
    std::lock_guard lock(mutex);
    if (recording && op == MappedFileOp::kSync && path == last_file) {
      synced_to_in_last_file = std::max(synced_to_in_last_file, to);
    }
  });
  auto store = DefaultMessageStore::open(config);
  {
    std::lock_guard lock(mutex);
    recording = false;
  }
  EXPECT_FALSE(store->last_exit_was_clean());
  EXPECT_EQ(store->stats().max_physical_offset, end);
  EXPECT_GE(synced_to_in_last_file, end - last_start) << "the recovered tail was not msynced during open";
}

}  // namespace
}  // namespace rmq::store
