// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ semantics (remoting.md 4.9) with an injected clock.
#include "broker/server/rebalance_lock_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace rmq::server {
namespace {

const MessageQueueId kQ0{"TopicTest", "broker-a", 0};
const MessageQueueId kQ1{"TopicTest", "broker-a", 1};
const MessageQueueId kQ2{"TopicTest", "broker-b", 0};

struct ManualClock {
  std::int64_t now_ms = 1000;
  std::function<std::int64_t()> fn() {
    return [this] { return now_ms; };
  }
};

TEST(RebalanceLock, GrantsFreeQueuesAndRefusesHeldOnes) {
  ManualClock clock;
  RebalanceLockManager locks(60000, clock.fn());
  EXPECT_EQ(locks.try_lock_batch("G", {kQ0, kQ1}, "client-a"), (std::set<MessageQueueId>{kQ0, kQ1}));
  EXPECT_EQ(locks.try_lock_batch("G", {kQ0, kQ1, kQ2}, "client-b"), (std::set<MessageQueueId>{kQ2}));
  EXPECT_EQ(locks.try_lock_batch("G", {kQ0, kQ2}, "client-a"), (std::set<MessageQueueId>{kQ0}));
  // Another group is independent.
  EXPECT_EQ(locks.try_lock_batch("H", {kQ0}, "client-b"), (std::set<MessageQueueId>{kQ0}));
  EXPECT_TRUE(locks.is_locked_by("G", kQ0, "client-a"));
  EXPECT_FALSE(locks.is_locked_by("G", kQ0, "client-b"));
}

TEST(RebalanceLock, ExpiresAfterTheMaxLiveTimeUnlessRenewed) {
  ManualClock clock;
  RebalanceLockManager locks(60000, clock.fn());
  ASSERT_EQ(locks.try_lock_batch("G", {kQ0, kQ1}, "client-a").size(), 2u);
  clock.now_ms += 30000;
  ASSERT_EQ(locks.try_lock_batch("G", {kQ1}, "client-a").size(), 1u);  // renews q1 only
  clock.now_ms += 30000;                                                 // q0 at exactly 60 s: still held
  EXPECT_TRUE(locks.try_lock_batch("G", {kQ0, kQ1}, "client-b").empty());
  clock.now_ms += 1;  // q0 is 60.001 s old, q1 30.001 s
  EXPECT_EQ(locks.try_lock_batch("G", {kQ0, kQ1}, "client-b"), (std::set<MessageQueueId>{kQ0}));
  EXPECT_TRUE(locks.is_locked_by("G", kQ0, "client-b"));
  EXPECT_TRUE(locks.is_locked_by("G", kQ1, "client-a"));
  // The old holder's own lock expired too: it re-locks what nobody else took.
  clock.now_ms += 120000;
  EXPECT_FALSE(locks.is_locked_by("G", kQ1, "client-a"));
  EXPECT_EQ(locks.try_lock_batch("G", {kQ1}, "client-a"), (std::set<MessageQueueId>{kQ1}));
}

TEST(RebalanceLock, UnlockReleasesOnlyTheCallersLocks) {
  ManualClock clock;
  RebalanceLockManager locks(60000, clock.fn());
  ASSERT_EQ(locks.try_lock_batch("G", {kQ0}, "client-a").size(), 1u);
  ASSERT_EQ(locks.try_lock_batch("G", {kQ1}, "client-b").size(), 1u);
  locks.unlock_batch("G", {kQ0, kQ1}, "client-b");
  EXPECT_TRUE(locks.is_locked_by("G", kQ0, "client-a"));
  EXPECT_FALSE(locks.is_locked_by("G", kQ1, "client-b"));
  EXPECT_TRUE(locks.try_lock_batch("G", {kQ0}, "client-b").empty());
  locks.unlock_batch("G", {kQ0}, "client-a");
  EXPECT_EQ(locks.try_lock_batch("G", {kQ0}, "client-b"), (std::set<MessageQueueId>{kQ0}));
  locks.unlock_batch("nobody", {kQ0}, "client-a");  // unknown group: no effect
  EXPECT_TRUE(locks.is_locked_by("G", kQ0, "client-b"));
}

TEST(RebalanceLock, OneWinnerPerQueueUnderConcurrency) {
  RebalanceLockManager locks;  // real clock: nothing expires within the test
  std::set<MessageQueueId> all;
  for (int i = 0; i < 64; ++i) all.insert(MessageQueueId{"T", "b", i});
  std::vector<std::set<MessageQueueId>> won(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { won[t] = locks.try_lock_batch("G", all, "client-" + std::to_string(t)); });
  }
  for (auto& thread : threads) thread.join();
  std::size_t total = 0;
  for (const auto& set : won) total += set.size();
  EXPECT_EQ(total, all.size());
}

}  // namespace
}  // namespace rmq::server
