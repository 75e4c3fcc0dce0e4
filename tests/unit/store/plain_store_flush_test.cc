// Flush modes (MessageStore crash contract): SYNC_FLUSH group commit answers many concurrent puts with far
// fewer commitlog syncs than puts; a put whose sync finished after syncFlushTimeout reports
// FLUSH_DISK_TIMEOUT; ASYNC_FLUSH acks at once and the background thread still flushes.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using namespace rmq::store::testing;
using rmq::testing::TempDir;

TEST(PlainStoreFlushTest, SyncFlushGroupCommitsConcurrentPuts) {
  TempDir dir;
  StoreConfig config = small_config(dir.path(), 1 << 20);
  config.sync_flush = true;
  auto store = DefaultMessageStore::open(config);
  constexpr int kThreads = 8;
  constexpr int kPutsPerThread = 50;
  std::mutex mutex;
  std::condition_variable cv;
  int completed = 0;
  int ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        // Fire without waiting: the puts pile up while the flush thread syncs.
        store->put_message(make_message("T", t, "m"), [&](const PutResult& r) {
          std::lock_guard lock(mutex);
          ++completed;
          if (r.status == PutStatus::kOk) ++ok;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return completed == kThreads * kPutsPerThread; });
  }
  EXPECT_EQ(ok, kThreads * kPutsPerThread);
  const std::int64_t syncs = store->commitlog_sync_count();
  std::printf("%d SYNC_FLUSH puts took %lld commitlog syncs\n", kThreads * kPutsPerThread,
              static_cast<long long>(syncs));
  EXPECT_GE(syncs, 1);
  EXPECT_LE(syncs, kThreads * kPutsPerThread / 4);
  EXPECT_EQ(store->stats().flushed_physical_offset, store->stats().max_physical_offset);
}

TEST(PlainStoreFlushTest, SyncFlushPastTheTimeoutReportsFlushDiskTimeout) {
  TempDir dir;
  StoreConfig config = small_config(dir.path());
  config.sync_flush = true;
  config.sync_flush_timeout_ms = 0;  // every sync necessarily ends after the deadline
  auto store = DefaultMessageStore::open(config);
  const PutResult r = put(*store, make_message("T", 0, "m"));
  EXPECT_EQ(r.status, PutStatus::kFlushDiskTimeout);
  EXPECT_GE(r.physical_offset, 0) << "the message is written all the same";
  EXPECT_EQ(store->get_messages("T", 0, 0, 1, 1 << 20, nullptr).message_count, 1);
}

TEST(PlainStoreFlushTest, SyncFlushWithWaitFalseDoesNotWait) {
  TempDir dir;
  StoreConfig config = small_config(dir.path());
  config.sync_flush = true;
  config.sync_flush_timeout_ms = 0;
  auto store = DefaultMessageStore::open(config);
  MessageRecord m = make_message("T", 0, "m");
  m.properties += format_properties({{std::string(property::kWaitStoreMsgOk), "false"}});
  EXPECT_EQ(put(*store, m).status, PutStatus::kOk);
}

TEST(PlainStoreFlushTest, AsyncFlushAcksAtOnceAndFlushesInTheBackground) {
  TempDir dir;
  StoreConfig config = small_config(dir.path());
  config.flush_interval_ms = 10;
  auto store = DefaultMessageStore::open(config);
  std::atomic<bool> called_inline{false};
  store->put_message(make_message("T", 0, "m"), [&](const PutResult& r) {
    EXPECT_EQ(r.status, PutStatus::kOk);
    called_inline = true;
  });
  EXPECT_TRUE(called_inline.load()) << "ASYNC_FLUSH completes on the calling thread";
  for (int i = 0; i < 500 && store->stats().flushed_physical_offset < store->stats().max_physical_offset; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store->stats().flushed_physical_offset, store->stats().max_physical_offset);
  EXPECT_GE(store->commitlog_sync_count(), 1);
}

}  // namespace
}  // namespace rmq::store
