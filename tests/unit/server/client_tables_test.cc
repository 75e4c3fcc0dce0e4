// ConsumerManager / ProducerManager bookkeeping without sockets: 120 s expiry (remoting.md 4.5), subscription
// updates by subVersion, connection close; and PullRequestHoldService wake-ups with a fake re-run.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "broker/server/consumer_manager.h"
#include "broker/server/pull_request_hold_service.h"

namespace rmq::server {
namespace {

ClientChannel channel(const std::string& id, std::uint64_t connection_id, std::int64_t now) {
  ClientChannel c;
  c.client_id = id;
  c.connection_id = connection_id;
  c.last_update_ms = now;
  return c;
}

SubscriptionData sub(const std::string& topic, const std::string& expr, std::int64_t version) {
  auto s = build_subscription(topic, expr, "TAG");
  s->sub_version = version;
  return *s;
}

TEST(ConsumerManagerTest, ExpiresClientsSilentFor120Seconds) {
  ConsumerManager consumers;
  EXPECT_TRUE(consumers.register_consumer("G", channel("a@1", 1, 1000), "CONSUME_PASSIVELY", "CLUSTERING",
                                          "CONSUME_FROM_LAST_OFFSET", {sub("T", "*", 1)}, 1000));
  EXPECT_TRUE(consumers.register_consumer("G", channel("b@2", 2, 50000), "CONSUME_PASSIVELY", "CLUSTERING",
                                          "CONSUME_FROM_LAST_OFFSET", {sub("T", "*", 1)}, 50000));
  EXPECT_FALSE(consumers.register_consumer("G", channel("b@2", 2, 60000), "CONSUME_PASSIVELY", "CLUSTERING",
                                           "CONSUME_FROM_LAST_OFFSET", {sub("T", "*", 1)}, 60000));
  EXPECT_EQ(consumers.scan_expired(121000), 0u);  // a@1 silent for exactly 120 s: kept
  EXPECT_EQ(consumers.scan_expired(121001), 1u);
  EXPECT_EQ(consumers.consumer_ids("G"), (std::vector<std::string>{"b@2"}));
  consumers.on_connection_closed(2);
  EXPECT_TRUE(consumers.consumer_ids("G").empty());
  EXPECT_FALSE(consumers.find_group("G"));
}

TEST(ConsumerManagerTest, SubscriptionsFollowTheNewestHeartbeat) {
  ConsumerManager consumers;
  consumers.register_consumer("G", channel("a@1", 1, 0), "CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET",
                              {sub("T", "A", 5), sub("U", "*", 5)}, 0);
  consumers.register_consumer("G", channel("a@1", 1, 0), "CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET",
                              {sub("T", "A || B", 6)}, 0);
  auto t = consumers.find_subscription("G", "T");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sub_version, 6);
  EXPECT_EQ(t->tags_set, (std::set<std::string>{"A", "B"}));
  EXPECT_FALSE(consumers.find_subscription("G", "U"));  // no longer listed
}

TEST(ProducerManagerTest, RegisterUnregisterAndExpire) {
  ProducerManager producers;
  producers.register_producer("P", channel("a@1", 1, 0));
  producers.register_producer("P", channel("b@2", 2, 100000));
  EXPECT_EQ(producers.client_ids("P").size(), 2u);
  EXPECT_EQ(producers.scan_expired(200000), 1u);
  producers.unregister_producer("P", 2);
  EXPECT_EQ(producers.group_count(), 0u);
}

TEST(SubscriptionDataTest, TagExpressionsAndCodes) {
  auto s = build_subscription("T", " TagA || TagB ||", "TAG");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tags_set, (std::set<std::string>{"TagA", "TagB"}));
  // Java "TagA".hashCode() = 2598919, "TagB".hashCode() = 2598920.
  EXPECT_EQ(s->code_set, (std::set<std::int32_t>{2598919, 2598920}));
  auto filter = make_tags_filter(*s);
  ASSERT_TRUE(filter);
  EXPECT_TRUE(filter(2598920));
  EXPECT_FALSE(filter(0));
  EXPECT_FALSE(make_tags_filter(*build_subscription("T", "*", "TAG")));
  EXPECT_FALSE(build_subscription("T", "a > 1", "SQL92"));
  EXPECT_FALSE(build_subscription("T", "||", "TAG"));
}

TEST(PullRequestHoldServiceTest, WakesOnArrivalPastTheOffsetAndAtTheDeadline) {
  std::mutex mutex;
  std::vector<std::int64_t> reruns;  // offsets of re-run pulls
  std::atomic<std::int64_t> max_offset{0};
  PullRequestHoldService hold(
      [&](HeldPull pull) {
        std::lock_guard lock(mutex);
        reruns.push_back(pull.offset);
      },
      [&](const std::string&, std::int32_t) { return max_offset.load(); }, 50);
  hold.start();
  remoting::RemotingCommand request;
  auto held = [&](std::int64_t offset, std::int64_t deadline) {
    return HeldPull{request, remoting::Responder({}, request), "T", 0, offset, deadline};
  };
  hold.hold(held(3, steady_now_ms() + 60000));
  hold.hold(held(5, steady_now_ms() + 60000));
  EXPECT_EQ(hold.held_count(), 2u);
  hold.notify_arrival("T", 0, 4);  // past 3, not past 5
  hold.notify_arrival("U", 0, 99);  // another queue
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(reruns, (std::vector<std::int64_t>{3}));
  }
  hold.hold(held(7, steady_now_ms() + 100));
  for (int i = 0; i < 200 && hold.held_count() > 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(reruns, (std::vector<std::int64_t>{3, 7}));
  }
  // The periodic check catches an arrival nobody announced.
  max_offset = 6;
  for (int i = 0; i < 200 && hold.held_count() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(hold.held_count(), 0u);
  hold.hold(held(9, steady_now_ms() + 60000));
  hold.shutdown();
  std::lock_guard lock(mutex);
  EXPECT_EQ(reruns, (std::vector<std::int64_t>{3, 7, 5, 9}));
}

}  // namespace
}  // namespace rmq::server
