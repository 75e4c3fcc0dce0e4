// The real broker's schedule, retry and lookup paths: DELAY, CONSUMER_SEND_MSG_BACK -> %RETRY% (after the delay
// level's time) -> %DLQ% at the max, QUERY_MESSAGE by key, VIEW_MESSAGE_BY_ID (remoting.md 4.2, 4.7, 4.10).
// messageDelayLevel is shortened to 1 s per level so that the test takes seconds, not minutes.
#include <gtest/gtest.h>

#include <set>

#include "broker/store/message_properties.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

const char* kFastDelays = "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s\n";

TEST(BrokerRetryDelayTest, DelayedMessageArrivesOnItsRealTopicAfterTheDelay) {
  BrokerHarness h(kFastDelays);
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicDelay", 1).code, rc::kSuccess);
  const std::int64_t sent_ms = wall_ms();
  auto sent = h.send("TopicDelay", 0, "later", std::string("DELAY\x01" "2\x02"));
  ASSERT_EQ(sent.code, rc::kSuccess) << sent.remark.value_or("");
  // Not there at once.
  auto early = h.call(BrokerHarness::pull_request("GID_d", "TopicDelay", 0, 0));
  EXPECT_EQ(early.code, rc::kPullNotFound);
  auto records = h.pull_until("GID_d", "TopicDelay", 0, 0, 1);
  ASSERT_EQ(records.size(), 1u) << h.broker_log();
  EXPECT_GE(records[0].store_timestamp_ms - sent_ms, 900);
  EXPECT_EQ(BrokerHarness::body_text(records[0]), "later");
  EXPECT_EQ(store::property_value(records[0].properties, "REAL_TOPIC"), "TopicDelay");

  RemotingCommand delay_offsets = remoting::make_request(code::kGetAllDelayOffset);
  auto offsets = h.call(delay_offsets);
  ASSERT_EQ(offsets.code, rc::kSuccess);
  EXPECT_NE(std::string(offsets.body.begin(), offsets.body.end()).find("2:1"), std::string::npos)
      << std::string(offsets.body.begin(), offsets.body.end());
}

TEST(BrokerRetryDelayTest, SendBackRetriesThroughTheRetryTopicThenTheDlq) {
  BrokerHarness h(kFastDelays);
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicRetry", 1).code, rc::kSuccess);
  auto sent = h.send("TopicRetry", 0, "fail-me", std::string("TAGS\x01TagA\x02KEYS\x01rk\x02"));
  ASSERT_EQ(sent.code, rc::kSuccess);
  const std::string first_id(*sent.ext_fields.get("msgId"));
  auto original = h.pull_until("GID_r", "TopicRetry", 0, 0, 1);
  ASSERT_EQ(original.size(), 1u);

  RemotingCommand back = remoting::make_request(code::kConsumerSendMsgBack);
  back.version = 121;
  back.ext_fields.set_int("offset", original[0].physical_offset);
  back.ext_fields.set("group", "GID_r");
  back.ext_fields.set_int("delayLevel", 0);
  back.ext_fields.set("originMsgId", first_id);
  back.ext_fields.set("originTopic", "TopicRetry");
  back.ext_fields.set_bool("unitMode", false);
  back.ext_fields.set_int("maxReconsumeTimes", 2);
  auto answered = h.call(back);
  ASSERT_EQ(answered.code, rc::kSuccess) << answered.remark.value_or("");

  auto retried = h.pull_until("GID_r", "%RETRY%GID_r", 0, 0, 1);
  ASSERT_EQ(retried.size(), 1u) << h.broker_log();
  EXPECT_EQ(BrokerHarness::body_text(retried[0]), "fail-me");
  EXPECT_EQ(retried[0].reconsume_times, 1);
  EXPECT_EQ(store::property_value(retried[0].properties, "RETRY_TOPIC"), "TopicRetry");
  EXPECT_EQ(store::property_value(retried[0].properties, "ORIGIN_MESSAGE_ID"), first_id);

  // Fail the retried one twice more: reconsumeTimes reaches maxReconsumeTimes (2) -> %DLQ%GID_r.
  back.ext_fields.set_int("offset", retried[0].physical_offset);
  ASSERT_EQ(h.call(back).code, rc::kSuccess);
  auto second = h.pull_until("GID_r", "%RETRY%GID_r", 0, 1, 1);
  ASSERT_EQ(second.size(), 1u) << h.broker_log();
  EXPECT_EQ(second[0].reconsume_times, 2);
  back.ext_fields.set_int("offset", second[0].physical_offset);
  ASSERT_EQ(h.call(back).code, rc::kSuccess);
  auto dead = h.pull_until("GID_dlq_reader", "%DLQ%GID_r", 0, 0, 1);
  ASSERT_EQ(dead.size(), 1u) << h.broker_log();
  EXPECT_EQ(BrokerHarness::body_text(dead[0]), "fail-me");
  EXPECT_EQ(store::property_value(dead[0].properties, "ORIGIN_MESSAGE_ID"), first_id);
}

TEST(BrokerRetryDelayTest, QueryByKeyAndViewById) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicKeys", 2).code, rc::kSuccess);
  const std::int64_t begin = wall_ms() - 1000;
  ASSERT_EQ(h.send("TopicKeys", 0, "a", std::string("KEYS\x01order-1 order-2\x02")).code, rc::kSuccess);
  auto sent_b = h.send("TopicKeys", 1, "b", std::string("KEYS\x01order-2\x02"));
  ASSERT_EQ(sent_b.code, rc::kSuccess);
  ASSERT_EQ(h.send("TopicKeys", 1, "c", std::string("KEYS\x01other\x02")).code, rc::kSuccess);

  RemotingCommand query = remoting::make_request(code::kQueryMessage);
  query.ext_fields.set("topic", "TopicKeys");
  query.ext_fields.set("key", "order-2");
  query.ext_fields.set_int("maxNum", 32);
  query.ext_fields.set_int("beginTimestamp", begin);
  query.ext_fields.set_int("endTimestamp", wall_ms() + 60000);
  auto found = h.call(query);
  ASSERT_EQ(found.code, rc::kSuccess) << found.remark.value_or("") << h.broker_log();
  auto records = BrokerHarness::decode_records(found.body);
  ASSERT_EQ(records.size(), 2u);
  std::set<std::string> bodies;
  for (const auto& r : records) bodies.insert(BrokerHarness::body_text(r));
  EXPECT_EQ(bodies, (std::set<std::string>{"a", "b"}));
  query.ext_fields.set("key", "missing-key");
  EXPECT_EQ(h.call(query).code, rc::kQueryNotFound);

  // VIEW_MESSAGE_BY_ID takes the physical offset decoded from the msgId's last 16 hex digits.
  const std::string id(*sent_b.ext_fields.get("msgId"));
  const std::int64_t offset = static_cast<std::int64_t>(std::stoull(id.substr(16), nullptr, 16));
  RemotingCommand view = remoting::make_request(code::kViewMessageById);
  view.ext_fields.set_int("offset", offset);
  auto viewed = h.call(view);
  ASSERT_EQ(viewed.code, rc::kSuccess);
  auto one = BrokerHarness::decode_records(viewed.body);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(BrokerHarness::body_text(one[0]), "b");
  view.ext_fields.set_int("offset", offset + 1);
  EXPECT_EQ(h.call(view).code, rc::kSystemError);
}

}  // namespace
}  // namespace rmq::integration
