// Regression tests for the review findings: client input that used to crash the broker (non-UTF-8 group
// names reaching JSON dumps), a failed start overwriting good config files, oversized properties, the
// registration body under brokerPermission, subscription updates by subVersion, heartbeat body types, the
// ORIGIN_MESSAGE_ID of a send-back.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <sstream>

#include "broker/server/broker_controller.h"
#include "broker/server/broker_outer_api.h"
#include "broker/server/property_edit.h"
#include "broker/store/message_properties.h"
#include "tests/unit/server/broker_fixture.h"

namespace rmq::server::testing {
namespace {

const std::string kBadGroup = std::string("G\xff\xfe");

RemotingCommand send_back(const std::string& group, const std::string& origin_msg_id) {
  RemotingCommand back = remoting::make_request(code::kConsumerSendMsgBack);
  back.version = 121;
  back.ext_fields = remoting::ExtFields{{"offset", "0"}, {"group", group}, {"delayLevel", "0"},
                                        {"originMsgId", origin_msg_id}, {"originTopic", "TopicTest"},
                                        {"unitMode", "false"}, {"maxReconsumeTimes", "16"}};
  return back;
}

RemotingCommand heartbeat_with(const std::string& body) {
  RemotingCommand r = remoting::make_request(code::kHeartBeat);
  r.body.assign(body.begin(), body.end());
  return r;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ReviewFixesTest, SendBackWithNonUtf8GroupIs1AndCreatesNoTopic) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("TopicTest", 0, "payload")).code, rc::kSuccess);
  auto response = f.call(send_back(kBadGroup, ""));
  EXPECT_EQ(response.code, rc::kSystemError);
  EXPECT_NE(response.remark.value_or("").find("group"), std::string::npos) << response.remark.value_or("");
  EXPECT_FALSE(f.services().topics().select("%RETRY%" + kBadGroup));
  EXPECT_FALSE(f.services().groups().select(kBadGroup));
  // The registration body still encodes (this threw type_error.316 in the registration thread).
  EXPECT_NO_THROW(register_broker_body(f.services().topics(), perm::kRead | perm::kWrite));
}

TEST(ReviewFixesTest, GroupNamesAreCheckedByPullOffsetsAndHeartbeat) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 1)).code, rc::kSuccess);
  EXPECT_EQ(f.call(pull_request(kBadGroup, "TopicTest", 0, 0, 0)).code, rc::kSystemError);
  RemotingCommand update = remoting::make_request(code::kUpdateConsumerOffset);
  update.ext_fields = remoting::ExtFields{{"consumerGroup", kBadGroup}, {"topic", "TopicTest"}, {"queueId", "0"},
                                          {"commitOffset", "1"}};
  EXPECT_EQ(f.call(update).code, rc::kSystemError);
  RemotingCommand query = remoting::make_request(code::kQueryConsumerOffset);
  query.ext_fields = remoting::ExtFields{{"consumerGroup", kBadGroup}, {"topic", "TopicTest"}, {"queueId", "0"}};
  EXPECT_EQ(f.call(query).code, rc::kSystemError);
  const std::string body = R"({"clientID":"c@1","consumerDataSet":[{"groupName":")" + kBadGroup +
                           R"(","subscriptionDataSet":[]}],"producerDataSet":[]})";
  EXPECT_EQ(f.call(heartbeat_with(body)).code, rc::kSystemError);
  EXPECT_FALSE(f.services().topics().select("%RETRY%" + kBadGroup));
  EXPECT_TRUE(f.services().offsets().snapshot().empty());
  EXPECT_TRUE(f.services().consumers().groups().empty());
  EXPECT_TRUE(validate_group_name(std::string(121, 'g')).has_value());  // %RETRY% + 121 > 127
  EXPECT_FALSE(validate_group_name(std::string(120, 'g')).has_value());
  EXPECT_FALSE(validate_group_name("GID_example-1|x%").has_value());
}

TEST(ReviewFixesTest, DumpJsonReplacesInvalidUtf8) {
  const nlohmann::json value = nlohmann::json::object({{"k", kBadGroup}});
  EXPECT_NO_THROW(dump_json(value));
  EXPECT_THROW((void)value.dump(), nlohmann::json::type_error);
}

TEST(ReviewFixesTest, HeartbeatWithBadFieldTypeIs1NamingTheFieldAndRegistersNothing) {
  BrokerFixture f;
  for (const std::string& bad : {std::string(R"("unitMode":"yes")"), std::string(R"("messageModel":5)"),
                                 std::string(R"("subscriptionDataSet":{})")}) {
    const std::string body = R"({"clientID":"c@1","consumerDataSet":[{"groupName":"GID_ok"},)"
                             R"({"groupName":"GID_bad",)" + bad + R"(}],"producerDataSet":[{"groupName":"PID_x"}]})";
    auto response = f.call(heartbeat_with(body));
    EXPECT_EQ(response.code, rc::kSystemError) << bad;
    EXPECT_NE(response.remark.value_or("").find("consumerDataSet[1]."), std::string::npos)
        << response.remark.value_or("");
    EXPECT_TRUE(f.services().consumers().groups().empty()) << bad;
    EXPECT_EQ(f.services().producers().group_count(), 0u) << bad;
    EXPECT_FALSE(f.services().topics().select("%RETRY%GID_ok")) << bad;
  }
  // null counts as absent (fastjson leaves the default).
  const std::string ok = R"({"clientID":"c@1","consumerDataSet":[{"groupName":"GID_ok","unitMode":null}]})";
  EXPECT_EQ(f.call(heartbeat_with(ok)).code, rc::kSuccess);
  EXPECT_EQ(f.services().consumers().consumer_ids("GID_ok"), std::vector<std::string>{"c@1"});
}

TEST(ReviewFixesTest, HeartbeatProcessedAfterItsConnectionClosedLeavesNoZombie) {
  BrokerFixture f;
  auto group_heartbeat = [](const std::string& group) {
    return heartbeat_with(R"({"clientID":"c@1","consumerDataSet":[{"groupName":")" + group +
                          R"("}],"producerDataSet":[{"groupName":"PID_)" + group + R"("}]})");
  };
  auto other = f.second_connection();
  ASSERT_EQ(BrokerFixture::call_on(other, group_heartbeat("GID_first")).code, rc::kSuccess);
  ASSERT_TRUE(f.services().consumers().find_group("GID_first"));
  // Occupy both heartbeat workers so that the next heartbeat waits in the queue.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> blocked{0};
  for (int i = 0; i < 2; ++i) {
    f.services().heartbeat_pool().submit([released, &blocked] {
      ++blocked;
      released.wait();
    });
  }
  while (blocked.load() < 2) std::this_thread::yield();
  ASSERT_TRUE(other->invoke_oneway(group_heartbeat("GID_late")));
  while (f.services().heartbeat_pool().queue_size() == 0) std::this_thread::yield();
  other->close();
  // The broker has seen the close once the first registration is gone.
  for (int i = 0; i < 500 && f.services().consumers().find_group("GID_first"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(f.services().consumers().find_group("GID_first"));
  release.set_value();
  f.services().heartbeat_pool().shutdown();  // runs the queued heartbeat to its end
  EXPECT_FALSE(f.services().consumers().find_group("GID_late"));
  EXPECT_TRUE(f.services().producers().client_ids("PID_GID_late").empty());
}

TEST(ReviewFixesTest, SendBackOriginMessageIdIsTheStoredMessagesId) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 1)).code, rc::kSuccess);
  auto sent = f.call(send_v2("TopicTest", 0, "payload"));
  ASSERT_EQ(sent.code, rc::kSuccess);
  const std::string stored_id(*sent.ext_fields.get("msgId"));
  ASSERT_EQ(f.call(send_back("GID_retry", "0A0A0A0A00002A9F00000000DEADBEEF")).code, rc::kSuccess);
  auto scheduled = f.store().records_in_queue("SCHEDULE_TOPIC_XXXX", 2);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(store::property_value(scheduled[0].properties, "ORIGIN_MESSAGE_ID"), stored_id);
}

TEST(ReviewFixesTest, PropertiesLongerThan32767AreRefusedWith13) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("TopicTest", 1)).code, rc::kSuccess);
  std::string properties;
  for (int i = 0; properties.size() <= 32767; ++i) properties += "k" + std::to_string(i) + '\x01' + "v" + '\x02';
  auto response = f.call(send_v2("TopicTest", 0, "payload", properties));
  EXPECT_EQ(response.code, rc::kMessageIllegal);
  EXPECT_TRUE(f.store().records_in_queue("TopicTest", 0).empty());
}

TEST(ReviewFixesTest, ParseUniquePropertiesKeepsFirstOrderAndLastValue) {
  const auto list = parse_unique_properties(std::string("A\x01" "1\x02" "B\x01" "2\x02" "A\x01" "3\x02"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (store::Property{"A", "3"}));
  EXPECT_EQ(list[1], (store::Property{"B", "2"}));
  // Many distinct keys (quadratic before): all kept.
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "k" + std::to_string(i) + '\x01' + "v" + '\x02';
  EXPECT_EQ(parse_unique_properties(many).size(), 200000u);
}

TEST(ReviewFixesTest, PutPropertiesOverridesAndAppendsInOrder) {
  store::PropertyList list{{"A", "1"}, {"B", "2"}};
  put_properties(list, store::PropertyList{{"B", "x"}, {"C", "3"}, {"C", "4"}});
  EXPECT_EQ(list, (store::PropertyList{{"A", "1"}, {"B", "x"}, {"C", "4"}}));
}

TEST(ReviewFixesTest, RegisterBodyMasksTopicPermsWithBrokerPermission) {
  BrokerConfig config = test_config();
  TopicConfigManager topics(config, "");
  TopicConfig topic;
  topic.topic_name = "TopicTest";
  topic.read_queue_nums = topic.write_queue_nums = 4;
  topic.perm = perm::kRead | perm::kWrite;
  topics.update(topic);
  auto perm_of = [](const std::string& body) {
    return nlohmann::json::parse(body)["topicConfigSerializeWrapper"]["topicConfigTable"]["TopicTest"]["perm"]
        .get<int>();
  };
  EXPECT_EQ(perm_of(register_broker_body(topics, perm::kRead | perm::kWrite)), 6);
  EXPECT_EQ(perm_of(register_broker_body(topics, perm::kRead)), 4);  // read-only broker
  EXPECT_EQ(perm_of(register_broker_body(topics, 0)), 0);
}

TEST(ReviewFixesTest, OlderSubVersionDoesNotReplaceASubscription) {
  ConsumerManager consumers;
  ClientChannel channel;
  channel.client_id = "c@1";
  channel.connection_id = 1;
  auto newer = *build_subscription("T", "TagA", "TAG");
  newer.sub_version = 200;
  auto older = *build_subscription("T", "TagB", "TAG");
  older.sub_version = 100;
  consumers.register_consumer("G", channel, "CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET", {newer}, 1);
  consumers.register_consumer("G", channel, "CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET", {older}, 2);
  EXPECT_EQ(consumers.find_subscription("G", "T")->sub_string, "TagA");
}

TEST(ReviewFixesTest, FailedStartDoesNotRewriteTheConfigFiles) {
  const auto root = std::filesystem::temp_directory_path() /
                    ("rmq-review-h2-" + std::to_string(::getpid()) + "-" + std::to_string(now_ms()));
  std::filesystem::create_directories(root / "config");
  const std::string offsets = "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@GID_a\":{0:42,1:7\n\t\t}\n\t}\n}";
  const std::string truncated_groups = "{\n\t\"subscriptionGroupTable\":{\n\t\t\"GID_a\":{";
  write_text(root / "config" / "consumerOffset.json", offsets);
  write_text(root / "config" / "subscriptionGroup.json", truncated_groups);
  {
    BrokerController controller(test_config("storePathRootDir=" + root.string() + "\n"));
    EXPECT_THROW(controller.start(), BrokerStartError);
    controller.shutdown();
  }
  EXPECT_EQ(read_text(root / "config" / "consumerOffset.json"), offsets);
  EXPECT_EQ(read_text(root / "config" / "subscriptionGroup.json"), truncated_groups);
  EXPECT_FALSE(std::filesystem::exists(root / "config" / "consumerOffset.json.bak"));
  std::filesystem::remove_all(root);
}

TEST(ReviewFixesTest, HugeSuspendTimeoutIsClampedNotOverflowed) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  std::promise<remoting::InvokeResult> done;
  // sysFlag 2|4: suspend + subscription; suspendTimeoutMillis = Long.MAX_VALUE (the deadline overflowed).
  f.connection()->invoke_async(pull_request("G", "T", 0, 0, 0x2 | 0x4, INT64_MAX), 30000,
                               [&done](remoting::InvokeResult r) { done.set_value(std::move(r)); });
  auto future = done.get_future();
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_EQ(f.pull().hold_service().held_count(), 1u);
  ASSERT_EQ(BrokerFixture::call_on(f.second_connection(), send_v2("T", 0, "arrived")).code, rc::kSuccess);
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get().response.code, rc::kSuccess);
}

TEST(ReviewFixesTest, HeldPullOfAClosedConnectionIsDroppedByTheScan) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  auto other = f.second_connection();
  other->invoke_async(pull_request("G", "T", 0, 0, 0x2 | 0x4, 20000), 30000, [](remoting::InvokeResult) {});
  for (int i = 0; i < 500 && f.pull().hold_service().held_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(f.pull().hold_service().held_count(), 1u);
  other->close();
  // The scan runs every second; well before the 20 s suspend ends the pull is gone.
  for (int i = 0; i < 1000 && f.pull().hold_service().held_count() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(f.pull().hold_service().held_count(), 0u);
}

TEST(ReviewFixesTest, ConcurrentTopicUpdatesAreAllPersisted) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rmq-review-m2-" + std::to_string(::getpid()) + "-" + std::to_string(now_ms()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "topics.json").string();
  BrokerConfig config = test_config();
  {
    TopicConfigManager topics(config, path);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&topics, t] {
        for (int i = 0; i < 10; ++i) {
          TopicConfig topic;
          topic.topic_name = "T" + std::to_string(t) + "_" + std::to_string(i);
          topic.read_queue_nums = topic.write_queue_nums = 1;
          topics.update(topic);
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  TopicConfigManager reloaded(config, path);
  ASSERT_NO_THROW(reloaded.load());
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_TRUE(reloaded.select("T" + std::to_string(t) + "_" + std::to_string(i))) << t << "_" << i;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::server::testing
