// UPDATE_AND_CREATE_TOPIC 17, GET_ALL_TOPIC_CONFIG 21, GET_BROKER_RUNTIME_INFO 28, offset queries 29-32,
// QUERY_MESSAGE 12, VIEW_MESSAGE_BY_ID 33, LOCK/UNLOCK_BATCH_MQ 41/42, GET_ALL_CONSUMER_OFFSET 43,
// GET_ALL_DELAY_OFFSET 45 (remoting.md 4.4, 4.8-4.11).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/server/broker_fixture.h"

namespace rmq::server::testing {
namespace {

RemotingCommand queue_request(std::int32_t request_code, const std::string& topic, int queue) {
  RemotingCommand r = remoting::make_request(request_code);
  r.ext_fields = remoting::ExtFields{{"topic", topic}, {"queueId", std::to_string(queue)}};
  return r;
}

TEST(AdminProcessorTest, UpdateAndCreateTopicRegistersAndRefusesSystemTopics) {
  BrokerFixture f;
  auto created = f.call(create_topic("TopicTest", 4));
  ASSERT_EQ(created.code, rc::kSuccess) << created.remark.value_or("");
  EXPECT_GE(f.register_sync_calls.load(), 1);
  auto config = f.services().topics().select("TopicTest");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->read_queue_nums, 4);
  // Again: still 0 (4.9.x answers 0 for an existing topic), and an overwrite.
  EXPECT_EQ(f.call(create_topic("TopicTest", 8)).code, rc::kSuccess);
  EXPECT_EQ(f.services().topics().select("TopicTest")->write_queue_nums, 8);

  auto system = f.call(create_topic("SCHEDULE_TOPIC_XXXX", 4));
  EXPECT_EQ(system.code, rc::kSystemError);
  EXPECT_EQ(system.remark, "The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic.");
  EXPECT_EQ(f.call(create_topic("TBW102", 4)).code, rc::kSystemError);
  EXPECT_EQ(f.call(create_topic("no spaces", 4)).code, rc::kSystemError);
  auto missing = create_topic("X", 1);
  missing.ext_fields.erase("perm");
  EXPECT_EQ(f.call(missing).code, rc::kSystemError);
}

TEST(AdminProcessorTest, GetAllTopicConfigListsTheFreshBrokerTopics) {
  BrokerFixture f;
  auto r = f.call(remoting::make_request(code::kGetAllTopicConfig));
  ASSERT_EQ(r.code, rc::kSuccess);
  auto json = nlohmann::json::parse(text_of(r.body));
  const auto& table = json.at("topicConfigTable");
  // remoting.md 4.12.
  EXPECT_EQ(table.at("TBW102").at("perm"), 7);
  EXPECT_EQ(table.at("TBW102").at("readQueueNums"), 8);
  EXPECT_EQ(table.at("SELF_TEST_TOPIC").at("readQueueNums"), 1);
  EXPECT_EQ(table.at("BenchmarkTest").at("readQueueNums"), 1024);
  EXPECT_EQ(table.at("TestCluster").at("readQueueNums"), 16);
  EXPECT_EQ(table.at("TestCluster").at("perm"), 7);
  EXPECT_EQ(table.at("broker-u").at("perm"), 7);
  EXPECT_EQ(table.at("OFFSET_MOVED_EVENT").at("perm"), 6);
  EXPECT_EQ(table.at("SCHEDULE_TOPIC_XXXX").at("readQueueNums"), 18);
  EXPECT_EQ(table.at("TestCluster_REPLY_TOPIC").at("readQueueNums"), 1);
  EXPECT_FALSE(table.contains("RMQ_SYS_TRACE_TOPIC"));
  EXPECT_TRUE(json.at("dataVersion").contains("counter"));
  EXPECT_TRUE(json.at("dataVersion").contains("timestamp"));
}

TEST(AdminProcessorTest, OffsetQueriesReadTheStore) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  EXPECT_EQ(f.call(queue_request(code::kGetMaxOffset, "T", 0)).ext_fields.get("offset"), "0");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(f.call(send_v2("T", 0, "x")).code, rc::kSuccess);
  EXPECT_EQ(f.call(queue_request(code::kGetMaxOffset, "T", 0)).ext_fields.get("offset"), "3");
  EXPECT_EQ(f.call(queue_request(code::kGetMinOffset, "T", 0)).ext_fields.get("offset"), "0");
  const auto stored = f.store().records_in_queue("T", 0);
  auto earliest = f.call(queue_request(code::kGetEarliestMsgStoretime, "T", 0));
  EXPECT_EQ(earliest.ext_fields.get_int64("timestamp"), stored[0].store_timestamp_ms);
  auto search = queue_request(code::kSearchOffsetByTimestamp, "T", 0);
  search.ext_fields.set_int("timestamp", 0);
  auto found = f.call(search);
  EXPECT_EQ(found.code, rc::kSuccess);
  EXPECT_EQ(found.ext_fields.get("offset"), "0");
  EXPECT_EQ(f.call(queue_request(code::kGetMaxOffset, "Unknown", 3)).ext_fields.get("offset"), "0");
  auto no_queue = remoting::make_request(code::kGetMaxOffset);
  no_queue.ext_fields.set("topic", "T");
  EXPECT_EQ(f.call(no_queue).code, rc::kSystemError);
}

TEST(AdminProcessorTest, RuntimeInfoIsAKvTableOfStrings) {
  BrokerFixture f;
  auto r = f.call(remoting::make_request(code::kGetBrokerRuntimeInfo));
  ASSERT_EQ(r.code, rc::kSuccess);
  auto json = nlohmann::json::parse(text_of(r.body));
  const auto& table = json.at("table");
  for (const char* key : {"brokerVersionDesc", "brokerVersion", "msgPutTotalTodayNow", "msgGetTotalTodayNow",
                          "msgPutTotalYesterdayMorning", "msgPutTotalTodayMorning", "sendThreadPoolQueueSize",
                          "pullThreadPoolQueueSize", "dispatchBehindBytes", "pageCacheLockTimeMills",
                          "earliestMessageTimeStamp", "startAcceptSendRequestTimeStamp", "commitLogDirCapacity",
                          "remainHowManyDataToFlush"}) {
    ASSERT_TRUE(table.contains(key)) << key;
    EXPECT_TRUE(table.at(key).is_string()) << key;
  }
  EXPECT_EQ(table.at("brokerVersion"), "409");
}

TEST(QueryProcessorTest, ViewByIdAndQueryByKey) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "first", std::string("KEYS\x01order-1 order-2\x02"))).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "second", std::string("KEYS\x01order-3\x02"))).code, rc::kSuccess);
  const auto stored = f.store().records_in_queue("T", 0);

  RemotingCommand view = remoting::make_request(code::kViewMessageById);
  view.ext_fields.set_int("offset", stored[1].physical_offset);
  auto viewed = f.call(view);
  ASSERT_EQ(viewed.code, rc::kSuccess);
  store::MessageRecord record;
  auto decoded = store::decode_record(viewed.body, true, &record);
  ASSERT_EQ(decoded.status, store::DecodeStatus::kOk);
  EXPECT_EQ(static_cast<std::size_t>(decoded.size), viewed.body.size());
  EXPECT_EQ(text_of(record.body), "second");
  view.ext_fields.set_int("offset", 3);
  auto missing = f.call(view);
  EXPECT_EQ(missing.code, rc::kSystemError);
  EXPECT_EQ(missing.remark, "can not find message by the offset, 3");

  RemotingCommand query = remoting::make_request(code::kQueryMessage);
  query.ext_fields = remoting::ExtFields{{"topic", "T"}, {"key", "order-2"}, {"maxNum", "32"},
                                         {"beginTimestamp", "0"}, {"endTimestamp", std::to_string(INT64_MAX)}};
  auto hit = f.call(query);
  ASSERT_EQ(hit.code, rc::kSuccess) << hit.remark.value_or("");
  ASSERT_EQ(store::decode_record(hit.body, true, &record).status, store::DecodeStatus::kOk);
  EXPECT_EQ(text_of(record.body), "first");
  EXPECT_TRUE(hit.ext_fields.contains("indexLastUpdateTimestamp"));
  EXPECT_TRUE(hit.ext_fields.contains("indexLastUpdatePhyoffset"));
  query.ext_fields.set("key", "order-9");
  auto none = f.call(query);
  EXPECT_EQ(none.code, rc::kQueryNotFound);
  EXPECT_EQ(none.remark, "can not find message, maybe time range not correct");
}

TEST(AdminProcessorTest, LockBatchGrantsFreeQueuesAndUnlockReleasesThem) {
  BrokerFixture f;
  auto lock_request = [](const std::string& client) {
    RemotingCommand r = remoting::make_request(code::kLockBatchMq);
    const std::string body = R"({"consumerGroup":"g","clientId":")" + client +
                             R"(","mqSet":[{"topic":"T","brokerName":"broker-u","queueId":0},)"
                             R"({"topic":"T","brokerName":"broker-u","queueId":1}]})";
    r.body.assign(body.begin(), body.end());
    return r;
  };
  auto first = f.call(lock_request("c1"));
  ASSERT_EQ(first.code, rc::kSuccess);
  auto json = nlohmann::json::parse(text_of(first.body));
  EXPECT_EQ(json.at("lockOKMQSet").size(), 2u);
  EXPECT_EQ(json.at("lockOKMQSet")[0].at("brokerName"), "broker-u");
  auto second = f.call(lock_request("c2"));
  ASSERT_EQ(second.code, rc::kSuccess);
  EXPECT_EQ(nlohmann::json::parse(text_of(second.body)).at("lockOKMQSet").size(), 0u);
  RemotingCommand unlock = lock_request("c1");
  unlock.code = code::kUnlockBatchMq;
  EXPECT_EQ(f.call(unlock).code, rc::kSuccess);
  auto third = f.call(lock_request("c2"));
  EXPECT_EQ(nlohmann::json::parse(text_of(third.body)).at("lockOKMQSet").size(), 2u);
  RemotingCommand bad = remoting::make_request(code::kLockBatchMq);
  bad.body = {'n', 'o'};
  EXPECT_EQ(f.call(bad).code, rc::kSystemError);
}

TEST(AdminProcessorTest, AllConsumerOffsetsAndDelayOffsets) {
  BrokerFixture f;
  f.services().offsets().commit("G", "T", 0, 12);
  auto offsets = f.call(remoting::make_request(code::kGetAllConsumerOffset));
  ASSERT_EQ(offsets.code, rc::kSuccess);
  EXPECT_NE(text_of(offsets.body).find("\"T@G\":{0:12"), std::string::npos) << text_of(offsets.body);
  // The fixture has no schedule service: Java's answer for an empty table.
  auto delay = f.call(remoting::make_request(code::kGetAllDelayOffset));
  EXPECT_EQ(delay.code, rc::kSystemError);
}

}  // namespace
}  // namespace rmq::server::testing
