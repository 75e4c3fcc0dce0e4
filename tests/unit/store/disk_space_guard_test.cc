// The disk reserve (diskSpaceWarningLevelRatio, issue 9 item 4): the threshold counted like upstream
// ((total - free) / total), a new file counted with its own size, the cached figure refreshed, and the plain
// store refusing puts (kServiceNotAvailable, "disk full") without turning unwriteable; and a stop requested
// while the store recovers ends open() at once, leaving `abort` so the next open recovers everything.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "broker/store/default_message_store.h"
#include "broker/store/disk_space_guard.h"
#include "broker/store/store_lock.h"
#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using namespace rmq::store::testing;
using rmq::testing::TempDir;

struct FakeDisk {
  std::atomic<std::uint64_t> total{1000000};
  std::atomic<std::uint64_t> free{500000};
  std::atomic<int> probes{0};
  DiskUsageProbe probe() {
    return [this](const std::filesystem::path&) -> std::optional<DiskUsage> {
      ++probes;
      return DiskUsage{total.load(), free.load()};
    };
  }
};

TEST(DiskSpaceGuardTest, RefusesAboveTheWarningLevelAndNamesThePath) {
  FakeDisk disk;
  DiskSpaceGuard guard({"/store"}, 90, disk.probe());
  EXPECT_FALSE(guard.problem_now().has_value());  // 50% used
  disk.free = 100000;                             // exactly 90%: not above
  EXPECT_FALSE(guard.problem_now().has_value());
  disk.free = 99999;
  const auto problem = guard.problem_now();
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("/store"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("diskSpaceWarningLevelRatio=90"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("disk full"), std::string::npos) << *problem;
}

TEST(DiskSpaceGuardTest, ANewFileCountsWithItsOwnSize) {
  FakeDisk disk;
  disk.free = 150000;  // 85% used
  DiskSpaceGuard guard({"/store"}, 90, disk.probe());
  EXPECT_NO_THROW(guard.check_new_file("/store/commitlog/00000000000000000000", 50000));  // 90%
  EXPECT_THROW(guard.check_new_file("/store/commitlog/00000000000000000000", 50001), DiskReserveError);
}

TEST(DiskSpaceGuardTest, HundredRefusesOnlyAFullDisk) {
  FakeDisk disk;
  disk.free = 1;
  DiskSpaceGuard guard({"/store"}, 100, disk.probe());
  EXPECT_FALSE(guard.problem_now().has_value());
  disk.free = 0;
  EXPECT_TRUE(guard.problem_now().has_value());
  EXPECT_THROW(DiskSpaceGuard({"/store"}, 0, disk.probe()), std::invalid_argument);
  EXPECT_THROW(DiskSpaceGuard({"/store"}, 101, disk.probe()), std::invalid_argument);
}

TEST(DiskSpaceGuardTest, TheCachedFigureIsRefreshed) {
  FakeDisk disk;
  DiskSpaceGuard guard({"/store"}, 90, disk.probe());
  EXPECT_FALSE(guard.problem().has_value());
  disk.free = 0;
  // Within kRefreshMs the put path may use the old figure; after it, the new one.
  std::this_thread::sleep_for(std::chrono::milliseconds(DiskSpaceGuard::kRefreshMs + 20));
  EXPECT_TRUE(guard.problem().has_value());
  disk.free = 500000;
  std::this_thread::sleep_for(std::chrono::milliseconds(DiskSpaceGuard::kRefreshMs + 20));
  EXPECT_FALSE(guard.problem().has_value()) << "space came back: puts are taken again";
}

std::optional<DiskUsage> real_usage(const std::filesystem::path& path) { return statvfs_usage(path); }

TEST(DiskSpaceGuardTest, PlainStoreRefusesPutsBelowTheReserveAndStaysWriteable) {
  TempDir dir;
  const auto usage = real_usage(dir.path());
  ASSERT_TRUE(usage.has_value());
  if ((usage->total_bytes - usage->free_bytes) * 100 <= usage->total_bytes) {
    GTEST_SKIP() << "the test file system is less than 1% used; a ratio of 1 cannot be passed";
  }
  StoreConfig config = small_config(dir.path(), 64 * 1024, 20 * 100);
  {
    auto store = DefaultMessageStore::open(config);
    ASSERT_EQ(put(*store, make_message("T", 0, "before")).status, PutStatus::kOk);
    EXPECT_FALSE(store->disk_space_problem().has_value());
  }
  config.disk_space_warning_level_percent = 1;  // the reserve is now everything above 1%
  auto store = DefaultMessageStore::open(config);
  const PutResult refused = put(*store, make_message("T", 0, "after"));
  EXPECT_EQ(refused.status, PutStatus::kServiceNotAvailable);
  EXPECT_NE(refused.detail.find("disk full"), std::string::npos) << refused.detail;
  ASSERT_TRUE(store->disk_space_problem().has_value());
  // Reads go on.
  const GetResult got = store->get_messages("T", 0, 0, 10, 1 << 20, nullptr);
  EXPECT_EQ(got.message_count, 1);
  // Refused again, for the same reason: the refusal did not make the store unwriteable.
  EXPECT_NE(put(*store, make_message("T", 0, "again")).detail.find("disk full"), std::string::npos);
}

TEST(DiskSpaceGuardTest, StopRequestedDuringRecoveryEndsOpenAndTheNextOpenRecovers) {
  TempDir dir;
  StoreConfig config = small_config(dir.path(), 64 * 1024, 20 * 100);
  config.message_index_enable = false;
  constexpr int kQueues = 40;
  {
    auto store = DefaultMessageStore::open(config);
    for (int q = 0; q < kQueues; ++q) {
      ASSERT_EQ(put(*store, make_message("T" + std::to_string(q), 0, "m" + std::to_string(q))).status, PutStatus::kOk);
    }
  }
  // Lose every consume queue: the next open rebuilds them from the commitlog, record by record.
  std::filesystem::remove_all(dir.path() / "consumequeue");
  std::atomic<int> polls{0};
  config.stop_requested = [&polls] { return ++polls > 10; };
  EXPECT_THROW(DefaultMessageStore::open(config), StoreOpenCancelled);
  EXPECT_LE(polls.load(), 12) << "open went on after the stop was requested";
  EXPECT_TRUE(abort_file_exists(dir.path())) << "the next open must recover in full";

  config.stop_requested = nullptr;
  auto store = DefaultMessageStore::open(config);
  for (int q = 0; q < kQueues; ++q) {
    const GetResult got = store->get_messages("T" + std::to_string(q), 0, 0, 10, 1 << 20, nullptr);
    EXPECT_EQ(got.message_count, 1) << "T" << q;
  }
}

}  // namespace
}  // namespace rmq::store
