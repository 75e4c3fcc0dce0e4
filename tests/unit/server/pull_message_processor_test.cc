// PULL_MESSAGE against remoting.md 4.3: checks, status table, the four header fields on every answer, tag
// filtering, offset commit, long polling (arrival, timeout, shutdown).
#include <gtest/gtest.h>

#include <future>

#include "tests/unit/server/broker_fixture.h"

namespace rmq::server::testing {
namespace {

constexpr int kSubscriptionFlag = 0x4;
constexpr int kSuspendFlag = 0x2;
constexpr int kCommitFlag = 0x1;

void expect_four_fields(const RemotingCommand& r, std::int64_t next, std::int64_t min, std::int64_t max) {
  EXPECT_EQ(r.ext_fields.get_int64("nextBeginOffset"), next);
  EXPECT_EQ(r.ext_fields.get_int64("minOffset"), min);
  EXPECT_EQ(r.ext_fields.get_int64("maxOffset"), max);
  EXPECT_EQ(r.ext_fields.get("suggestWhichBrokerId"), "0");
}

TEST(PullMessageProcessorTest, FoundMessagesComeBackAsStoredRecords) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 2)).code, rc::kSuccess);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(f.call(send_v2("T", 0, "m" + std::to_string(i))).code, rc::kSuccess);
  auto r = f.call(pull_request("G", "T", 0, 1, kSubscriptionFlag));
  ASSERT_EQ(r.code, rc::kSuccess) << r.remark.value_or("");
  expect_four_fields(r, 3, 0, 3);
  // Two records back to back: each starts with its TOTALSIZE and the magic DA A3 20 A7.
  std::size_t pos = 0;
  int count = 0;
  while (pos + 8 <= r.body.size()) {
    const auto size = common::load_i32_be(r.body.data() + pos);
    EXPECT_EQ(common::load_u32_be(r.body.data() + pos + 4), 0xDAA320A7u);
    ASSERT_GT(size, 0);
    pos += static_cast<std::size_t>(size);
    ++count;
  }
  EXPECT_EQ(pos, r.body.size());
  EXPECT_EQ(count, 2);
}

TEST(PullMessageProcessorTest, StatusTableOfTheSpec) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 2)).code, rc::kSuccess);
  // Empty queue: 19 at offset 0, 21 elsewhere; next 0.
  auto empty = f.call(pull_request("G", "T", 1, 0, kSubscriptionFlag));
  EXPECT_EQ(empty.code, rc::kPullNotFound);
  expect_four_fields(empty, 0, 0, 0);
  EXPECT_EQ(f.call(pull_request("G", "T", 1, 5, kSubscriptionFlag)).code, rc::kPullOffsetMoved);

  for (int i = 0; i < 4; ++i) ASSERT_EQ(f.call(send_v2("T", 1, "x")).code, rc::kSuccess);
  auto at_max = f.call(pull_request("G", "T", 1, 4, kSubscriptionFlag));
  EXPECT_EQ(at_max.code, rc::kPullNotFound);
  expect_four_fields(at_max, 4, 0, 4);
  auto beyond = f.call(pull_request("G", "T", 1, 9, kSubscriptionFlag));
  EXPECT_EQ(beyond.code, rc::kPullOffsetMoved);
  expect_four_fields(beyond, 4, 0, 4);
  f.store().set_min_offset("T", 1, 2);
  auto too_small = f.call(pull_request("G", "T", 1, 1, kSubscriptionFlag));
  EXPECT_EQ(too_small.code, rc::kPullOffsetMoved);
  expect_four_fields(too_small, 2, 2, 4);
}

TEST(PullMessageProcessorTest, TopicQueueGroupAndSubscriptionChecks) {
  BrokerFixture f;
  EXPECT_EQ(f.call(pull_request("G", "Nope", 0, 0, kSubscriptionFlag)).code, rc::kTopicNotExist);
  ASSERT_EQ(f.call(create_topic("T", 2)).code, rc::kSuccess);
  EXPECT_EQ(f.call(pull_request("G", "T", 2, 0, kSubscriptionFlag)).code, rc::kSystemError);
  // No subscription in the request and no heartbeat: 24.
  EXPECT_EQ(f.call(pull_request("G", "T", 0, 0, 0)).code, rc::kSubscriptionNotExist);
  // A SQL92 expression is not parsed here: 23.
  auto sql = pull_request("G", "T", 0, 0, kSubscriptionFlag, 0, "a > 1");
  sql.ext_fields.set("expressionType", "SQL92");
  EXPECT_EQ(f.call(sql).code, rc::kSubscriptionParseFailed);
  // Write-only topic: 16.
  ASSERT_EQ(f.call(create_topic("WriteOnly", 1, 2)).code, rc::kSuccess);
  EXPECT_EQ(f.call(pull_request("G", "WriteOnly", 0, 0, kSubscriptionFlag)).code, rc::kNoPermission);
}

TEST(PullMessageProcessorTest, GroupMustExistWhenAutoCreateIsOff) {
  BrokerFixture f("autoCreateSubscriptionGroup=false\n");
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  EXPECT_EQ(f.call(pull_request("NoSuchGroup", "T", 0, 0, kSubscriptionFlag)).code, rc::kSubscriptionGroupNotExist);
}

TEST(PullMessageProcessorTest, TagFilterSkipsOtherTags) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "a", std::string("TAGS\x01TagA\x02"))).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "b", std::string("TAGS\x01TagB\x02"))).code, rc::kSuccess);
  auto only_b = f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag, 0, "TagB || TagC"));
  ASSERT_EQ(only_b.code, rc::kSuccess);
  EXPECT_EQ(only_b.ext_fields.get("nextBeginOffset"), "2");
  store::MessageRecord record;
  ASSERT_EQ(store::decode_record(only_b.body, false, &record).status, store::DecodeStatus::kOk);
  EXPECT_EQ(text_of(record.body), "b");
  EXPECT_EQ(static_cast<std::size_t>(store::decode_record(only_b.body, false, nullptr).size), only_b.body.size());
  // Nothing matches: 20, next offset past the scanned entries.
  auto none = f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag, 0, "TagZ"));
  EXPECT_EQ(none.code, rc::kPullRetryImmediately);
  EXPECT_EQ(none.ext_fields.get("nextBeginOffset"), "2");
}

TEST(PullMessageProcessorTest, HeartbeatSubscriptionIsUsedWhenThePullHasNone) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "a", std::string("TAGS\x01TagA\x02"))).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "b", std::string("TAGS\x01TagB\x02"))).code, rc::kSuccess);
  RemotingCommand hb = remoting::make_request(code::kHeartBeat);
  const std::string body =
      R"({"clientID":"10.0.0.1@1","consumerDataSet":[{"groupName":"G","consumeType":"CONSUME_ACTIVELY",)"
      R"("messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,)"
      R"("subscriptionDataSet":[{"topic":"T","subString":"TagB","classFilterMode":false,"tagsSet":["TagB"],)"
      R"("codeSet":[2598920],"subVersion":100}]}],"producerDataSet":[]})";
  hb.body.assign(body.begin(), body.end());
  ASSERT_EQ(f.call(hb).code, rc::kSuccess);
  auto request = pull_request("G", "T", 0, 0, 0);
  request.ext_fields.set("subVersion", "100");
  auto r = f.call(request);
  ASSERT_EQ(r.code, rc::kSuccess) << r.remark.value_or("");
  store::MessageRecord record;
  ASSERT_EQ(store::decode_record(r.body, false, &record).status, store::DecodeStatus::kOk);
  EXPECT_EQ(text_of(record.body), "b");
  // The request knows a newer subscription than the heartbeat: 25.
  request.ext_fields.set("subVersion", "101");
  EXPECT_EQ(f.call(request).code, rc::kSubscriptionNotLatest);
}

TEST(PullMessageProcessorTest, CommitOffsetFlagStoresTheOffsetEvenWhenNothingIsFound) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  auto r = f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag | kCommitFlag, 0, "*", 7));
  EXPECT_EQ(r.code, rc::kPullNotFound);
  EXPECT_EQ(f.services().offsets().query("G", "T", 0), 7);
  // Without the flag the commitOffset field is ignored.
  f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag, 0, "*", 9));
  EXPECT_EQ(f.services().offsets().query("G", "T", 0), 7);
}

TEST(PullMessageProcessorTest, LongPollIsAnsweredOnArrival) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  std::promise<remoting::InvokeResult> done;
  f.connection()->invoke_async(pull_request("G", "T", 0, 0, kSubscriptionFlag | kSuspendFlag, 20000), 30000,
                               [&done](remoting::InvokeResult r) { done.set_value(std::move(r)); });
  auto future = done.get_future();
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  auto other = f.second_connection();
  ASSERT_EQ(BrokerFixture::call_on(other, send_v2("T", 0, "arrived")).code, rc::kSuccess);
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.response.code, rc::kSuccess);
  expect_four_fields(result.response, 1, 0, 1);
}

TEST(PullMessageProcessorTest, LongPollIsAnswered19AtTheSuspendTimeout) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  auto r = f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag | kSuspendFlag, 300), 10000);
  EXPECT_EQ(r.code, rc::kPullNotFound);
  expect_four_fields(r, 0, 0, 0);
  EXPECT_EQ(f.pull().hold_service().held_count(), 0u);
}

TEST(PullMessageProcessorTest, ParkedPullsAreAnsweredAtShutdown) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  std::promise<remoting::InvokeResult> done;
  f.connection()->invoke_async(pull_request("G", "T", 0, 0, kSubscriptionFlag | kSuspendFlag, 60000), 30000,
                               [&done](remoting::InvokeResult r) { done.set_value(std::move(r)); });
  for (int i = 0; i < 100 && f.pull().hold_service().held_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(f.pull().hold_service().held_count(), 1u);
  f.pull().shutdown();
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get().response.code, rc::kPullNotFound);
}

}  // namespace
}  // namespace rmq::server::testing
