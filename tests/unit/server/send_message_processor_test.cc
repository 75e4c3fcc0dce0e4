// SEND_MESSAGE 10 / SEND_MESSAGE_V2 310 / SEND_BATCH_MESSAGE 320 against remoting.md 4.2 and the ali-ons trace
// of section 7 (the first message's msgId there is 7F00000100002A9F0000000000000000: store host 127.0.0.1,
// port 10911 = 0x2A9F, physical offset 0).
#include <gtest/gtest.h>

#include "broker/store/message_properties.h"
#include "tests/unit/server/broker_fixture.h"

namespace rmq::server::testing {
namespace {

TEST(SendMessageProcessorTest, SendV2AnswersWithTheFieldsAliOnsReads) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 4)).code, rc::kSuccess);
  auto response = f.call(send_v2("TopicTest", 1, "Hello W", std::string("TAGS\x01TagA\x02KEYS\x01key-0\x02")));
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  EXPECT_EQ(response.ext_fields.get("msgId"), "7F00000100002A9F0000000000000000");
  EXPECT_EQ(response.ext_fields.get("queueId"), "1");
  EXPECT_EQ(response.ext_fields.get("queueOffset"), "0");
  EXPECT_EQ(response.ext_fields.get("MSG_REGION"), "DefaultRegion");
  EXPECT_EQ(response.ext_fields.get("TRACE_ON"), "true");

  auto stored = f.store().records_in_queue("TopicTest", 1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(text_of(stored[0].body), "Hello W");
  EXPECT_EQ(stored[0].born_host.ip, (common::Bytes{127, 0, 0, 1}));
  EXPECT_NE(stored[0].born_host.port, 0);
  EXPECT_EQ(stored[0].born_timestamp_ms, 1795708792624);
  EXPECT_EQ(store::property_value(stored[0].properties, "CLUSTER"), "TestCluster");
  EXPECT_EQ(store::property_value(stored[0].properties, "TAGS"), "TagA");
  EXPECT_EQ(store::property_value(stored[0].properties, "KEYS"), "key-0");

  // The second one follows in the same queue.
  auto second = f.call(send_v2("TopicTest", 1, "again"));
  EXPECT_EQ(second.ext_fields.get("queueOffset"), "1");
}

TEST(SendMessageProcessorTest, SendV1UsesTheLongFieldNames) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicV1", 2)).code, rc::kSuccess);
  RemotingCommand r = remoting::make_request(code::kSendMessage);
  r.ext_fields = remoting::ExtFields{{"producerGroup", "P"}, {"topic", "TopicV1"}, {"defaultTopic", "TBW102"},
                                     {"defaultTopicQueueNums", "4"}, {"queueId", "0"}, {"sysFlag", "0"},
                                     {"bornTimestamp", "1"}, {"flag", "5"}, {"properties", ""}};
  r.body = {'x'};
  auto response = f.call(r);
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  auto stored = f.store().records_in_queue("TopicV1", 0);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].flag, 5);
}

TEST(SendMessageProcessorTest, UnknownTopicIsCreatedFromTheInheritTemplate) {
  BrokerFixture f;
  auto response = f.call(send_v2("BrandNew", 2, "x"));
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  auto config = f.services().topics().select("BrandNew");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->write_queue_nums, 4);  // min(d=4, TBW102's 8)
  EXPECT_EQ(config->perm, 6);              // TBW102's 7 without INHERIT
  EXPECT_GE(f.register_async_calls.load(), 1);
}

TEST(SendMessageProcessorTest, UnknownTopicWithoutTemplateIs17) {
  BrokerFixture f("autoCreateTopicEnable=false\n");
  auto response = f.call(send_v2("Nowhere", 0, "x"));
  EXPECT_EQ(response.code, rc::kTopicNotExist);
  EXPECT_EQ(response.remark, "topic[Nowhere] not exist, apply first please!");
}

TEST(SendMessageProcessorTest, BadTopicQueueAndSystemTopicsAreRefused) {
  BrokerFixture f;
  EXPECT_EQ(f.call(send_v2("bad topic!", 0, "x")).code, rc::kSystemError);
  EXPECT_EQ(f.call(send_v2(std::string(128, 'a'), 0, "x")).code, rc::kSystemError);
  EXPECT_EQ(f.call(send_v2("SCHEDULE_TOPIC_XXXX", 0, "x")).code, rc::kNoPermission);
  // Upstream's other not-allowed topics, and the DLedger no-op topic only the Raft leader writes.
  for (const char* topic : {"RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
                            "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "RMQ_SYS_DLEDGER_NOOP"}) {
    auto refused = f.call(send_v2(topic, 0, "x"));
    EXPECT_EQ(refused.code, rc::kNoPermission) << topic;
    EXPECT_EQ(refused.remark, std::string("Sending message to topic[") + topic + "] is forbidden.") << topic;
  }
  ASSERT_EQ(f.call(create_topic("Q2", 2)).code, rc::kSuccess);
  auto bad_queue = f.call(send_v2("Q2", 2, "x"));
  EXPECT_EQ(bad_queue.code, rc::kSystemError);
  EXPECT_NE(bad_queue.remark.value_or("").find("queueId[2] is illegal"), std::string::npos);
  // A negative queue id means "pick one".
  auto any = f.call(send_v2("Q2", -1, "x"));
  ASSERT_EQ(any.code, rc::kSuccess);
  const auto queue = any.ext_fields.get_int32("queueId");
  ASSERT_TRUE(queue);
  EXPECT_TRUE(*queue == 0 || *queue == 1);
  EXPECT_EQ(f.store().put_count(), 1);
}

TEST(SendMessageProcessorTest, MissingRequiredFieldIsSystemErrorNamingIt) {
  BrokerFixture f;
  auto request = send_v2("T", 0, "x");
  request.ext_fields.erase("b");
  auto response = f.call(request);
  EXPECT_EQ(response.code, rc::kSystemError);
  EXPECT_NE(response.remark.value_or("").find("<b>"), std::string::npos);
  request = send_v2("T", 0, "x");
  request.ext_fields.set("e", "zero");
  EXPECT_EQ(f.call(request).code, rc::kSystemError);
}

TEST(SendMessageProcessorTest, OversizedBodyIsMessageIllegal) {
  BrokerFixture f("maxMessageSize=16\n");
  ASSERT_EQ(f.call(create_topic("Big", 1)).code, rc::kSuccess);
  EXPECT_EQ(f.call(send_v2("Big", 0, std::string(16, 'a'))).code, rc::kSuccess);
  EXPECT_EQ(f.call(send_v2("Big", 0, std::string(17, 'a'))).code, rc::kMessageIllegal);
}

TEST(SendMessageProcessorTest, StoreStatusesMapToTheirCodes) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("S", 1)).code, rc::kSuccess);
  f.store().fail_puts_with(store::PutStatus::kFlushDiskTimeout);
  EXPECT_EQ(f.call(send_v2("S", 0, "x")).code, rc::kFlushDiskTimeout);
  f.store().fail_puts_with(store::PutStatus::kServiceNotAvailable);
  EXPECT_EQ(f.call(send_v2("S", 0, "x")).code, rc::kServiceNotAvailable);
  f.store().fail_puts_with(store::PutStatus::kMessageIllegal);
  EXPECT_EQ(f.call(send_v2("S", 0, "x")).code, rc::kMessageIllegal);
  // 4.9.x SendMessageProcessor.handlePutMessageResult: OS_PAGECACHE_BUSY -> SYSTEM_ERROR with this remark.
  f.store().fail_puts_with(store::PutStatus::kOsPageCacheBusy);
  auto busy = f.call(send_v2("S", 0, "x"));
  EXPECT_EQ(busy.code, rc::kSystemError);
  EXPECT_EQ(busy.remark, "[PC_SYNCHRONIZED]broker busy, start flow control for a while");
  f.store().fail_puts_with(std::nullopt);
  EXPECT_EQ(f.call(send_v2("S", 0, "x")).code, rc::kSuccess);
}

TEST(SendMessageProcessorTest, RetryTopicPastMaxReconsumeGoesToTheDlq) {
  BrokerFixture f;
  auto request = send_v2("%RETRY%GID_x", 0, "dead", std::string("RETRY_TOPIC\x01TopicTest\x02"));
  request.ext_fields.set("j", "3");
  request.ext_fields.set("l", "3");
  auto response = f.call(request);
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  auto dlq = f.store().records_in_queue("%DLQ%GID_x", 0);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(text_of(dlq[0].body), "dead");
  EXPECT_EQ(dlq[0].reconsume_times, 3);
  ASSERT_TRUE(f.services().topics().select("%DLQ%GID_x"));
  // Below the max it stays in the retry topic.
  request.ext_fields.set("j", "2");
  ASSERT_EQ(f.call(request).code, rc::kSuccess);
  EXPECT_EQ(f.store().records_in_queue("%RETRY%GID_x", 0).size(), 1u);
}

TEST(SendMessageProcessorTest, DelayLevelMovesTheMessageToTheScheduleTopic) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("Later", 4)).code, rc::kSuccess);
  auto response = f.call(send_v2("Later", 3, "soon", std::string("DELAY\x01" "3\x02")));
  ASSERT_EQ(response.code, rc::kSuccess);
  EXPECT_EQ(response.ext_fields.get("queueId"), "3");
  auto scheduled = f.store().records_in_queue("SCHEDULE_TOPIC_XXXX", 2);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(store::property_value(scheduled[0].properties, "REAL_TOPIC"), "Later");
  EXPECT_EQ(store::property_value(scheduled[0].properties, "REAL_QID"), "3");
  EXPECT_TRUE(f.store().records_in_queue("Later", 3).empty());
}

TEST(SendMessageProcessorTest, BatchStoresEachItemWithBatchPropertiesAdded) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("B", 1)).code, rc::kSuccess);
  // Two items laid out by hand (remoting.md 2.4).
  common::Bytes body;
  common::ByteWriter w(body);
  w.i32(4 + 4 + 4 + 4 + 4 + 1 + 2 + 0);
  w.i32(0);
  w.i32(0);
  w.i32(1);
  w.i32(1);
  w.bytes(std::string_view("a"));
  w.i16(0);
  const std::string props = std::string("KEYS\x01k2");
  w.i32(static_cast<std::int32_t>(4 + 4 + 4 + 4 + 4 + 2 + 2 + props.size()));
  w.i32(0);
  w.i32(0);
  w.i32(2);
  w.i32(2);
  w.bytes(std::string_view("bb"));
  w.i16(static_cast<std::int16_t>(props.size()));
  w.bytes(props);
  auto request = send_v2("B", 0, "", std::string("TAGS\x01T1"));
  request.code = code::kSendBatchMessage;
  request.ext_fields.set("m", "true");
  request.body = body;
  auto response = f.call(request);
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  auto stored = f.store().records_in_queue("B", 0);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(response.ext_fields.get("queueOffset"), "0");
  EXPECT_EQ(response.ext_fields.get("msgId"),
            store::message_id(stored[0].store_host, stored[0].physical_offset) + "," +
                store::message_id(stored[1].store_host, stored[1].physical_offset));
  EXPECT_EQ(stored[0].flag, 1);
  EXPECT_EQ(text_of(stored[1].body), "bb");
  EXPECT_EQ(store::property_value(stored[1].properties, "KEYS"), "k2");
  EXPECT_EQ(store::property_value(stored[0].properties, "TAGS"), "T1");
  EXPECT_EQ(store::property_value(stored[1].properties, "CLUSTER"), "TestCluster");

  // Truncated item: 13, nothing stored.
  request.body.resize(request.body.size() - 1);
  EXPECT_EQ(f.call(request).code, rc::kMessageIllegal);
  EXPECT_EQ(f.store().records_in_queue("B", 0).size(), 2u);
}

TEST(SendMessageProcessorTest, TransactionHalfMessagesAreRefused) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("Tx", 1)).code, rc::kSuccess);
  EXPECT_EQ(f.call(send_v2("Tx", 0, "x", std::string("TRAN_MSG\x01true\x02"))).code, rc::kNoPermission);
}

TEST(SendMessageProcessorTest, SendBackGoesToRetryWithDelayThenToDlq) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 1)).code, rc::kSuccess);
  auto sent = f.call(send_v2("TopicTest", 0, "payload", std::string("TAGS\x01TagA\x02")));
  ASSERT_EQ(sent.code, rc::kSuccess);
  const std::string first_id(*sent.ext_fields.get("msgId"));

  // ali-ons's CONSUMER_SEND_MSG_BACK (remoting.md 7): offset = the record's physical offset (0 here).
  RemotingCommand back = remoting::make_request(code::kConsumerSendMsgBack);
  back.version = 121;
  back.ext_fields = remoting::ExtFields{{"offset", "0"}, {"group", "GID_retry"}, {"delayLevel", "0"},
                                        {"originMsgId", first_id}, {"originTopic", "TopicTest"},
                                        {"unitMode", "false"}, {"maxReconsumeTimes", "16"}};
  auto response = f.call(back);
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  ASSERT_TRUE(f.services().topics().select("%RETRY%GID_retry"));
  // Delay level 3 + reconsumeTimes(0): schedule queue 2, real topic the retry topic.
  auto scheduled = f.store().records_in_queue("SCHEDULE_TOPIC_XXXX", 2);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(store::property_value(scheduled[0].properties, "REAL_TOPIC"), "%RETRY%GID_retry");
  EXPECT_EQ(store::property_value(scheduled[0].properties, "RETRY_TOPIC"), "TopicTest");
  EXPECT_EQ(store::property_value(scheduled[0].properties, "ORIGIN_MESSAGE_ID"), first_id);
  EXPECT_EQ(scheduled[0].reconsume_times, 1);
  EXPECT_EQ(text_of(scheduled[0].body), "payload");

  // maxReconsumeTimes 0: the original (reconsumeTimes 0) is already at the max -> DLQ, no delay.
  back.ext_fields.set("maxReconsumeTimes", "0");
  ASSERT_EQ(f.call(back).code, rc::kSuccess);
  auto dlq = f.store().records_in_queue("%DLQ%GID_retry", 0);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(store::property_value(dlq[0].properties, "DELAY"), std::nullopt);

  // delayLevel -1 also goes straight to the DLQ.
  back.ext_fields.set("maxReconsumeTimes", "16");
  back.ext_fields.set("delayLevel", "-1");
  ASSERT_EQ(f.call(back).code, rc::kSuccess);
  EXPECT_EQ(f.store().records_in_queue("%DLQ%GID_retry", 0).size(), 2u);

  // No record at that offset.
  back.ext_fields.set("offset", "12345");
  auto missing = f.call(back);
  EXPECT_EQ(missing.code, rc::kSystemError);
  EXPECT_EQ(missing.remark, "look message by offset failed, 12345");
}

TEST(SendMessageProcessorTest, UnknownRequestCodeIs3) {
  BrokerFixture f;
  auto response = f.call(remoting::make_request(9999));
  EXPECT_EQ(response.code, rc::kRequestCodeNotSupported);
}

}  // namespace
}  // namespace rmq::server::testing
