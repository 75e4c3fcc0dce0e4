// HEART_BEAT 34, UNREGISTER_CLIENT 35, GET_CONSUMER_LIST_BY_GROUP 38, NOTIFY_CONSUMER_IDS_CHANGED 40, and the
// offsets QUERY_CONSUMER_OFFSET 14 / UPDATE_CONSUMER_OFFSET 15 (remoting.md 4.4-4.6, section 7 trace).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/unit/server/broker_fixture.h"

namespace rmq::server::testing {
namespace {

RemotingCommand heartbeat(const std::string& client_id, const std::string& group) {
  RemotingCommand r = remoting::make_request(code::kHeartBeat);
  r.version = 121;
  // ali-ons's HeartbeatData (remoting.md 2.5).
  const std::string body = R"({"clientID":")" + client_id + R"(","consumerDataSet":[{"groupName":")" + group +
                           R"(","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",)"
                           R"("consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,)"
                           R"("subscriptionDataSet":[{"topic":"TopicTest","subString":"*","classFilterMode":false,)"
                           R"("tagsSet":[],"codeSet":[],"subVersion":1795708792634},{"topic":"%RETRY%)" +
                           group + R"(","subString":"*","classFilterMode":false,"tagsSet":[],"codeSet":[],)"
                           R"("subVersion":1795708792634}]}],"producerDataSet":[{"groupName":"PID_example"}]})";
  r.body.assign(body.begin(), body.end());
  return r;
}

RemotingCommand consumer_list(const std::string& group) {
  RemotingCommand r = remoting::make_request(code::kGetConsumerListByGroup);
  r.ext_fields.set("consumerGroup", group);
  return r;
}

template <typename Predicate>
bool eventually(Predicate predicate) {
  for (int i = 0; i < 300; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

TEST(ClientManageTest, HeartbeatRegistersTheConsumerAndCreatesItsRetryTopic) {
  BrokerFixture f;
  auto response = f.call(heartbeat("192.0.2.2@10676", "GID_example"));
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  EXPECT_EQ(response.version, remoting::kCurrentVersion);
  EXPECT_TRUE(response.body.empty());
  auto retry = f.services().topics().select("%RETRY%GID_example");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->read_queue_nums, 1);
  EXPECT_EQ(retry->perm, 6);
  EXPECT_GE(f.register_async_calls.load(), 1);
  ASSERT_TRUE(f.services().groups().select("GID_example"));

  auto list = f.call(consumer_list("GID_example"));
  ASSERT_EQ(list.code, rc::kSuccess);
  EXPECT_EQ(text_of(list.body), R"({"consumerIdList":["192.0.2.2@10676"]})");
  // The first heartbeat changed the group: the client itself was told (one-way, flag 2, extField group).
  ASSERT_TRUE(eventually([&] { return !f.notifications().empty(); }));
  auto note = f.notifications()[0];
  EXPECT_EQ(note.code, code::kNotifyConsumerIdsChanged);
  EXPECT_EQ(note.flag, 2);
  EXPECT_EQ(note.ext_fields.get("consumerGroup"), "GID_example");
}

TEST(ClientManageTest, SecondClientNotifiesTheGroupAndUnregisterRemovesIt) {
  BrokerFixture f;
  ASSERT_EQ(f.call(heartbeat("a@1", "G")).code, rc::kSuccess);
  ASSERT_TRUE(eventually([&] { return f.notifications().size() == 1; }));
  auto other = f.second_connection();
  ASSERT_EQ(BrokerFixture::call_on(other, heartbeat("b@2", "G")).code, rc::kSuccess);
  // Both connections are this test client's, whose handler records every notification: b joining notifies a and b.
  ASSERT_TRUE(eventually([&] { return f.notifications().size() >= 2; }));
  EXPECT_EQ(text_of(f.call(consumer_list("G")).body), R"({"consumerIdList":["a@1","b@2"]})");
  // A repeated heartbeat changes nothing.
  const auto before = f.notifications().size();
  ASSERT_EQ(f.call(heartbeat("a@1", "G")).code, rc::kSuccess);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(f.notifications().size(), before);

  RemotingCommand unregister = remoting::make_request(code::kUnregisterClient);
  unregister.ext_fields = remoting::ExtFields{{"clientID", "b@2"}, {"consumerGroup", "G"}};
  EXPECT_EQ(BrokerFixture::call_on(other, unregister).code, rc::kSuccess);
  EXPECT_EQ(text_of(f.call(consumer_list("G")).body), R"({"consumerIdList":["a@1"]})");
  unregister.ext_fields = remoting::ExtFields{{"clientID", "a@1"}, {"consumerGroup", "G"}, {"producerGroup", "PID_example"}};
  EXPECT_EQ(f.call(unregister).code, rc::kSuccess);
  auto empty = f.call(consumer_list("G"));
  EXPECT_EQ(empty.code, rc::kSystemError);
  EXPECT_EQ(empty.remark, "no consumer for this group, G");
}

TEST(ClientManageTest, ClosedConnectionDropsItsConsumers) {
  BrokerFixture f;
  auto other = f.second_connection();
  ASSERT_EQ(BrokerFixture::call_on(other, heartbeat("gone@1", "G")).code, rc::kSuccess);
  ASSERT_EQ(f.call(consumer_list("G")).code, rc::kSuccess);
  other->close();
  EXPECT_TRUE(eventually([&] { return f.call(consumer_list("G")).code == rc::kSystemError; }));
}

TEST(ClientManageTest, BadHeartbeatBodyIsAnErrorNotACrash) {
  BrokerFixture f;
  RemotingCommand r = remoting::make_request(code::kHeartBeat);
  r.body = {'{', 'x'};
  EXPECT_EQ(f.call(r).code, rc::kSystemError);
  r.body = {'[', ']'};
  EXPECT_EQ(f.call(r).code, rc::kSystemError);
}

RemotingCommand query_offset(const std::string& group, const std::string& topic, int queue) {
  RemotingCommand r = remoting::make_request(code::kQueryConsumerOffset);
  r.ext_fields = remoting::ExtFields{{"consumerGroup", group}, {"topic", topic}, {"queueId", std::to_string(queue)}};
  return r;
}

TEST(ConsumerOffsetTest, QueryFollowsThe49xQuirkThenTheStoredOffset) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 2)).code, rc::kSuccess);
  // No stored offset, queue starts at 0: 0 SUCCESS with offset 0.
  auto young = f.call(query_offset("GID", "TopicTest", 0));
  EXPECT_EQ(young.code, rc::kSuccess);
  EXPECT_EQ(young.ext_fields.get("offset"), "0");
  // Queue head deleted: 22 with Java's remark.
  ASSERT_EQ(f.call(send_v2("TopicTest", 1, "x")).code, rc::kSuccess);
  f.store().set_min_offset("TopicTest", 1, 1);
  auto old = f.call(query_offset("GID", "TopicTest", 1));
  EXPECT_EQ(old.code, rc::kQueryNotFound);
  EXPECT_EQ(old.remark, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");

  // UPDATE_CONSUMER_OFFSET as ali-ons sends it (flag 0, JSON numbers already strings here).
  RemotingCommand update = remoting::make_request(code::kUpdateConsumerOffset);
  update.ext_fields = remoting::ExtFields{{"topic", "TopicTest"}, {"consumerGroup", "GID"}, {"queueId", "1"},
                                          {"commitOffset", "1"}};
  EXPECT_EQ(f.call(update).code, rc::kSuccess);
  auto stored = f.call(query_offset("GID", "TopicTest", 1));
  EXPECT_EQ(stored.code, rc::kSuccess);
  EXPECT_EQ(stored.ext_fields.get("offset"), "1");

  // A stored -1 (ali-ons's "nothing consumed") counts as absent.
  update.ext_fields.set("commitOffset", "-1");
  EXPECT_EQ(f.call(update).code, rc::kSuccess);
  EXPECT_EQ(f.call(query_offset("GID", "TopicTest", 1)).code, rc::kQueryNotFound);

  // One-way (Java) is accepted too: the offset changes, nothing is answered.
  RemotingCommand oneway = update;
  oneway.ext_fields.set("commitOffset", "5");
  ASSERT_TRUE(f.connection()->invoke_oneway(oneway));
  EXPECT_TRUE(eventually([&] { return f.services().offsets().query("GID", "TopicTest", 1) == 5; }));
}

}  // namespace
}  // namespace rmq::server::testing
