// The flush threads of the plain store (DefaultMessageStore.java's GroupCommitService, FlushDiskWatcher and
// FlushConsumeQueueService): SYNC_FLUSH puts do not drive the background flush of consume queues/index/
// checkpoint; data of puts that do not wait (WAIT=false) is flushed anyway; a put is answered
// FLUSH_DISK_TIMEOUT while its msync hangs, once; after a failed msync nothing above the last good flush is
// reported OK; a throwing put callback does not kill the flush thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "broker/common/io_error.h"
#include "tests/unit/store/plain_store_fault_support.h"
#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using namespace rmq::store::testing;
using rmq::testing::TempDir;

MessageRecord no_wait_message(const std::string& body) {
  MessageRecord m = make_message("T", 0, body);
  m.properties += format_properties({{std::string(property::kWaitStoreMsgOk), "false"}});
  return m;
}

bool wait_until_flushed(DefaultMessageStore& store, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (store.stats().flushed_physical_offset < store.stats().max_physical_offset) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST(PlainStoreFlushThreadsTest, SyncPutsDoNotWakeTheBackgroundFlush) {
  TempDir dir;
  StoreConfig config = small_config(dir.path(), 1 << 20, 20 * 1000);
  config.sync_flush = true;
  config.flush_interval_ms = 1000;
  auto store = DefaultMessageStore::open(config);
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t rounds_before = store->background_flush_round_count();
  constexpr int kPuts = 200;
  for (int i = 0; i < kPuts; ++i) ASSERT_EQ(put(*store, make_message("T", 0, "m")).status, PutStatus::kOk);
  const std::int64_t rounds = store->background_flush_round_count() - rounds_before;
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d sequential SYNC_FLUSH puts in %lld ms: %lld background flush rounds, %lld commitlog syncs\n",
              kPuts, static_cast<long long>(elapsed_ms), static_cast<long long>(rounds),
              static_cast<long long>(store->commitlog_sync_count()));
  // One round per flush_interval_ms of elapsed time (plus slack for the round in progress), not one per put.
  EXPECT_LE(rounds, elapsed_ms / config.flush_interval_ms + 2);
  EXPECT_GE(store->commitlog_sync_count(), 1);
}

TEST(PlainStoreFlushThreadsTest, SyncFlushAlsoFlushesPutsThatDoNotWait) {
  TempDir dir;
  StoreConfig config = small_config(dir.path());
  config.sync_flush = true;
  config.flush_interval_ms = 600000;  // the background thread never runs during the test
  auto store = DefaultMessageStore::open(config);
  EXPECT_EQ(put(*store, no_wait_message("scheduled")).status, PutStatus::kOk);
  EXPECT_TRUE(wait_until_flushed(*store, 20000)) << "WAIT=false data never reached the disk";
  EXPECT_GE(store->commitlog_sync_count(), 1);
}

TEST(PlainStoreFlushThreadsTest, HungMsyncIsAnsweredFlushDiskTimeoutOnce) {
  TempDir dir;
  Gate gate;
  const fs::path commitlog_dir = dir.path() / "commitlog";
  ScopedOpHook hook([&](MappedFileOp op, const fs::path& path, std::int64_t, std::int64_t) {
    if (op == MappedFileOp::kSync && is_under(path, commitlog_dir)) gate.wait_here();
  });
  StoreConfig config = small_config(dir.path());
  config.sync_flush = true;
  config.sync_flush_timeout_ms = 100;
  auto store = DefaultMessageStore::open(config);
  std::atomic<int> calls{0};
  std::promise<PutStatus> answered;
  store->put_message(make_message("T", 0, "m"), [&](const PutResult& r) {
    if (calls.fetch_add(1) == 0) answered.set_value(r.status);
  });
  auto future = answered.get_future();
  const bool answered_while_hung = future.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  const bool msync_was_hung = gate.wait_entered_ms(0);
  gate.open();
  ASSERT_TRUE(answered_while_hung) << "no answer while the msync hung";
  EXPECT_TRUE(msync_was_hung);
  EXPECT_EQ(future.get(), PutStatus::kFlushDiskTimeout);
  EXPECT_TRUE(wait_until_flushed(*store, 20000));
  store->shutdown();  // joins the flush threads: a second answer would have come by now
  EXPECT_EQ(calls.load(), 1);
}

TEST(PlainStoreFlushThreadsTest, AfterAFailedMsyncNothingAboveTheLastGoodFlushIsOk) {
  TempDir dir;
  Gate gate;
  std::atomic<int> commitlog_syncs{0};
  const fs::path commitlog_dir = dir.path() / "commitlog";
  ScopedOpHook hook([&](MappedFileOp op, const fs::path& path, std::int64_t, std::int64_t) {
    if (op != MappedFileOp::kSync || !is_under(path, commitlog_dir)) return;
    if (commitlog_syncs.fetch_add(1) == 0) {
      gate.wait_here();
      throw common::IoError("msync " + path.string() + ": Input/output error (injected)");
    }
  });
  StoreConfig config = small_config(dir.path());
  config.sync_flush = true;
  config.sync_flush_timeout_ms = 600000;
  auto store = DefaultMessageStore::open(config);
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<PutStatus> statuses;
  auto record = [&](const PutResult& r) {
    std::lock_guard lock(mutex);
    statuses.push_back(r.status);
    cv.notify_all();
  };
  store->put_message(make_message("T", 0, "a"), record);
  ASSERT_TRUE(gate.wait_entered_ms(20000));
  store->put_message(make_message("T", 0, "b"), record);  // appended while the failing msync hangs
  gate.open();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return statuses.size() == 2; }));
  }
  EXPECT_EQ(statuses[0], PutStatus::kFlushDiskTimeout);
  EXPECT_EQ(statuses[1], PutStatus::kFlushDiskTimeout) << "a later msync 'success' proves nothing";
  EXPECT_EQ(put(*store, make_message("T", 0, "c")).status, PutStatus::kServiceNotAvailable);
  EXPECT_EQ(store->get_messages("T", 0, 0, 10, 1 << 20, nullptr).message_count, 2) << "reads still served";
}

TEST(PlainStoreFlushThreadsTest, ThrowingPutCallbackDoesNotKillTheFlushThread) {
  TempDir dir;
  StoreConfig config = small_config(dir.path());
  config.sync_flush = true;
  auto store = DefaultMessageStore::open(config);
  std::atomic<bool> called{false};
  store->put_message(make_message("T", 0, "a"), [&](const PutResult&) {
    called = true;
    throw std::runtime_error("callback failure");
  });
  EXPECT_EQ(put(*store, make_message("T", 0, "b")).status, PutStatus::kOk);
  EXPECT_TRUE(called.load());
}

}  // namespace
}  // namespace rmq::store
