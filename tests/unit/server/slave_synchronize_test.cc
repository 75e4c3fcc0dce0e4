// The follower sync of DLedger mode (broker/server/slave_synchronize.h, slave_sync_tables.h): a follower copies
// a leader's topics, subscription groups, consumer offsets and delay offsets over the real admin codes
// (21, 43, 45, 201) served by the real AdminBrokerProcessor on loopback; bodies hand-written from the spec are
// parsed, and bad ones are refused before anything is applied.
#include "broker/server/slave_synchronize.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <fstream>
#include <sstream>
#include <thread>

#include "broker/remoting/remoting_server.h"
#include "broker/server/admin_broker_processor.h"
#include "broker/server/request_fields.h"
#include "broker/server/schedule_message_service.h"
#include "broker/server/slave_sync_tables.h"
#include "tests/unit/server/broker_fixture.h"
#include "tests/unit/server/fake_message_store.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::server {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A leader: its managers, a delay service with offsets, and the admin processor on a loopback port.
class Leader {
 public:
  explicit Leader(const std::filesystem::path& dir)
      : services_(testing::test_config(), store_, false),
        admin_(services_),
        server_(remoting::ServerOptions{"127.0.0.1", 0, 1}) {
    const auto delay_path = (dir / "leader-delayOffset.json").string();
    {
      std::ofstream out(delay_path);
      out << "{\"offsetTable\":{1:5,3:17}}";
    }
    schedule_ = std::make_unique<ScheduleMessageService>(store_, std::vector<std::int64_t>{1000, 5000, 10000},
                                                         delay_path);
    schedule_->start();
    schedule_->shutdown();  // offsets loaded and kept; no delivery thread needed
    services_.set_schedule_service(schedule_.get());
    admin_.register_on(server_);
    server_.start();
  }
  ~Leader() {
    services_.shutdown_pools();
    server_.stop();
  }
  BrokerServices& services() { return services_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

 private:
  test_support::FakeMessageStore store_;
  BrokerServices services_;
  AdminBrokerProcessor admin_;
  remoting::RemotingServer server_;
  std::unique_ptr<ScheduleMessageService> schedule_;
};

class SlaveSynchronizeTest : public ::testing::Test {
 protected:
  SlaveSynchronizeTest() : leader_(dir_.path()), follower_(testing::test_config(), follower_store_, false) {}
  ~SlaveSynchronizeTest() override { follower_.shutdown_pools(); }

  std::unique_ptr<SlaveSynchronize> make_sync(SlaveSynchronize::MasterAddressFn master) {
    SlaveSyncOptions options;
    options.interval_ms = 100;
    options.retry_interval_ms = 50;
    options.call_timeout_ms = 2000;
    return std::make_unique<SlaveSynchronize>(follower_, delay_path().string(), options, std::move(master));
  }
  std::filesystem::path delay_path() const { return dir_.path() / "delayOffset.json"; }

  rmq::testing::TempDir dir_;
  Leader leader_;
  test_support::FakeMessageStore follower_store_;
  BrokerServices follower_;
};

TEST_F(SlaveSynchronizeTest, CopiesTopicsGroupsOffsetsAndDelayOffsetsFromTheLeader) {
  TopicConfig topic;
  topic.topic_name = "OrdersTopic";
  topic.read_queue_nums = 3;
  topic.write_queue_nums = 3;
  leader_.services().topics().update(topic);
  SubscriptionGroupConfig group;
  group.group_name = "GID_orders";
  group.retry_max_times = 5;
  leader_.services().groups().update(group);
  leader_.services().offsets().commit("GID_orders", "OrdersTopic", 2, 41);
  // The follower has an offset of its own for another group: putAll keeps it.
  follower_.offsets().commit("GID_other", "OtherTopic", 0, 7);

  auto sync = make_sync([this] { return leader_.address(); });
  ASSERT_TRUE(sync->sync_once());
  EXPECT_EQ(sync->successful_rounds(), 1u);

  auto copied = follower_.topics().select("OrdersTopic");
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->read_queue_nums, 3);
  EXPECT_EQ(follower_.topics().data_version(), leader_.services().topics().data_version());
  auto copied_group = follower_.groups().select("GID_orders");
  ASSERT_TRUE(copied_group.has_value());
  EXPECT_EQ(copied_group->retry_max_times, 5);
  EXPECT_EQ(follower_.offsets().query("GID_orders", "OrdersTopic", 2), 41);
  EXPECT_EQ(follower_.offsets().query("GID_other", "OtherTopic", 0), 7);
  const std::string delay = read_text(delay_path());
  // The leader's delay service lists every level it has (level 2 at 0).
  EXPECT_EQ(parse_delay_offset_body(delay), (std::map<std::int32_t, std::int64_t>{{1, 5}, {2, 0}, {3, 17}}));

  // A later change on the leader arrives with the next round; a topic only the follower had is gone
  // (the whole table is the leader's when its DataVersion differs).
  follower_.topics().update(TopicConfig{"FollowerOnly"});
  // (A DataVersion is a counter and a ms timestamp; keep the two versions from being equal by accident.)
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  topic.topic_name = "PaymentsTopic";
  leader_.services().topics().update(topic);
  leader_.services().offsets().commit("GID_orders", "OrdersTopic", 2, 55);
  ASSERT_TRUE(sync->sync_once());
  EXPECT_TRUE(follower_.topics().select("PaymentsTopic").has_value());
  EXPECT_FALSE(follower_.topics().select("FollowerOnly").has_value());
  EXPECT_EQ(follower_.offsets().query("GID_orders", "OrdersTopic", 2), 55);
}

TEST_F(SlaveSynchronizeTest, UnknownLeaderChangesNothing) {
  follower_.offsets().commit("GID_other", "OtherTopic", 0, 7);
  const DataVersion before = follower_.topics().data_version();
  auto sync = make_sync([] { return std::string(); });
  EXPECT_FALSE(sync->sync_once());
  EXPECT_EQ(sync->failed_rounds(), 1u);
  EXPECT_EQ(follower_.topics().data_version(), before);
  EXPECT_FALSE(std::filesystem::exists(delay_path()));
}

TEST_F(SlaveSynchronizeTest, OwnAddressIsNeverALeader) {
  auto sync = make_sync([this] { return follower_.config().store_host_address(); });
  EXPECT_FALSE(sync->sync_once());
}

TEST_F(SlaveSynchronizeTest, UnreachableLeaderFailsTheRound) {
  auto sync = make_sync([] { return std::string("127.0.0.1:1"); });
  EXPECT_FALSE(sync->sync_once());
  EXPECT_FALSE(std::filesystem::exists(delay_path()));
}

TEST_F(SlaveSynchronizeTest, SyncingRunsAtOnceAndRepeatsUntilStopped) {
  auto sync = make_sync([this] { return leader_.address(); });
  sync->start_syncing();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sync->successful_rounds() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(sync->successful_rounds(), 2u);
  sync->stop_syncing();
  EXPECT_FALSE(sync->syncing());
  const auto rounds = sync->successful_rounds();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sync->successful_rounds(), rounds);
  // And again after a restart (a node that is a follower again after leading).
  sync->start_syncing();
  while (sync->successful_rounds() == rounds && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(sync->successful_rounds(), rounds);
  sync->shutdown();
}

// A leader that answers GET_ALL_TOPIC_CONFIG only when the test says so: a stop while a round is still
// fetching returns without waiting for it, and the late answer is never applied (the node may be the master
// by then, with its delay service owning delayOffset.json).
TEST_F(SlaveSynchronizeTest, StopDoesNotWaitForAFetchAndALateAnswerIsNotApplied) {
  remoting::RemotingServer slow(remoting::ServerOptions{"127.0.0.1", 0, 1});
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<remoting::Responder> held;
  slow.register_handler(remoting::request_code::kGetAllTopicConfig, [&](remoting::RemotingCommand, remoting::Responder responder) {
    std::lock_guard lock(mutex);
    held = responder;
    cv.notify_all();
  });
  auto answer = [](const std::string& body) {
    return [body](remoting::RemotingCommand request, remoting::Responder responder) {
      auto response = response_for(request, remoting::response_code::kSuccess);
      response.body.assign(body.begin(), body.end());
      responder.respond(std::move(response));
    };
  };
  slow.register_handler(remoting::request_code::kGetAllConsumerOffset, answer("{\"offsetTable\":{\"SlowTopic@G\":{0:9}}}"));
  slow.register_handler(remoting::request_code::kGetAllDelayOffset, answer("{\"offsetTable\":{1:3}}"));
  slow.register_handler(remoting::request_code::kGetAllSubscriptionGroupConfig,
                        answer("{\"dataVersion\":{\"counter\":1,\"timestamp\":1},\"subscriptionGroupTable\":{}}"));
  slow.start();
  const std::string address = "127.0.0.1:" + std::to_string(slow.port());
  SlaveSyncOptions options;
  options.call_timeout_ms = 120000;  // the held request does not time out while the test runs
  auto sync = std::make_unique<SlaveSynchronize>(follower_, delay_path().string(), options,
                                                 [address] { return address; });
  sync->start_syncing();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return held.has_value(); }));
  }
  // stop_syncing returns although the topic request is still unanswered (a deadlock check, not a timing one).
  auto stopped = std::async(std::launch::async, [&] { sync->stop_syncing(); });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  {
    std::lock_guard lock(mutex);
    auto response = response_for(remoting::RemotingCommand{}, remoting::response_code::kSuccess);
    const std::string body = R"({"dataVersion":{"counter":77,"timestamp":5},"topicConfigTable":{"SlowTopic":)"
                             R"({"topicName":"SlowTopic","perm":6,"readQueueNums":1,"writeQueueNums":1}}})";
    response.body.assign(body.begin(), body.end());
    held->respond(std::move(response));
  }
  sync->shutdown();  // the round has ended by now
  EXPECT_FALSE(follower_.topics().select("SlowTopic").has_value());
  EXPECT_EQ(follower_.offsets().query("G", "SlowTopic", 0), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(delay_path()));
  slow.stop();
}

// ---- bodies, hand-written as the Java broker sends them ----

TEST(SlaveSyncTables, TopicBody) {
  const std::string body =
      R"({"dataVersion":{"counter":12,"timestamp":1700000000000},"topicConfigTable":{"T1":{"order":false,"perm":6,)"
      R"("readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T1","topicSysFlag":0,"writeQueueNums":4}}})";
  auto parsed = parse_topic_table_body(body);
  EXPECT_EQ(parsed.version.counter, 12);
  EXPECT_EQ(parsed.version.timestamp_ms, 1700000000000);
  ASSERT_EQ(parsed.table.size(), 1u);
  EXPECT_EQ(parsed.table.at("T1").read_queue_nums, 4);
  EXPECT_THROW(parse_topic_table_body("{\"topicConfigTable\":{}}"), std::invalid_argument);  // no dataVersion
  EXPECT_THROW(parse_topic_table_body("{\"dataVersion\":{\"counter\":1,\"timestamp\":2}}"), std::invalid_argument);
  EXPECT_THROW(parse_topic_table_body("{\"dataVersion\":{\"counter\":1,\"timestamp\":2},\"topicConfigTable\":{"),
               std::invalid_argument);
  EXPECT_THROW(parse_topic_table_body(R"({"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"x y":)"
                                      R"({"topicName":"x y","perm":6,"readQueueNums":1,"writeQueueNums":1}}})"),
               std::invalid_argument);
}

TEST(SlaveSyncTables, GroupBody) {
  const std::string body =
      R"({"dataVersion":{"counter":3,"timestamp":5},"subscriptionGroupTable":{"G":{"brokerId":0,)"
      R"("consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"G",)"
      R"("notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}})";
  auto parsed = parse_group_table_body(body);
  EXPECT_EQ(parsed.version.counter, 3);
  ASSERT_EQ(parsed.table.size(), 1u);
  EXPECT_EQ(parsed.table.at("G").retry_queue_nums, 1);
  EXPECT_THROW(parse_group_table_body(R"({"dataVersion":{"counter":3,"timestamp":5},"subscriptionGroupTable":{"G":{}}})"),
               std::invalid_argument);  // no groupName
}

TEST(SlaveSyncTables, OffsetBodyWithFastjsonKeys) {
  auto parsed = parse_offset_table_body("{\"offsetTable\":{\"T@G\":{0:12,1:5},\"U@H\":{}}}");
  EXPECT_EQ(parsed.at("T@G"), (std::map<std::int32_t, std::int64_t>{{0, 12}, {1, 5}}));
  EXPECT_TRUE(parsed.at("U@H").empty());
  EXPECT_THROW(parse_offset_table_body("{\"offsetTable\":{\"TG\":{0:12}}}"), std::invalid_argument);
  EXPECT_THROW(parse_offset_table_body("{\"offsetTable\":{\"T@G\":{0:\"12\"}}}"), std::invalid_argument);
  EXPECT_THROW(parse_offset_table_body("{\"offsetTable\":{\"T@G\":{x:12}}}"), std::invalid_argument);
  EXPECT_THROW(parse_offset_table_body("[]"), std::invalid_argument);
}

TEST(SlaveSyncTables, DelayBody) {
  EXPECT_EQ(parse_delay_offset_body("{\"offsetTable\":{1:0,18:4}}"),
            (std::map<std::int32_t, std::int64_t>{{1, 0}, {18, 4}}));
  EXPECT_THROW(parse_delay_offset_body("{\"offsetTable\":{0:1}}"), std::invalid_argument);
  EXPECT_THROW(parse_delay_offset_body("{}"), std::invalid_argument);
}

TEST(SlaveSyncTables, MasterAddressFromClusterInfo) {
  // Java writes the brokerAddrs keys unquoted; our name server quotes them. Both must work.
  const std::string java =
      R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",2:"10.0.0.2:10911"},"brokerName":"broker-a",)"
      R"("cluster":"C"}},"clusterAddrTable":{"C":["broker-a"]}})";
  EXPECT_EQ(master_address_from_cluster_info(java, "broker-a"), "10.0.0.1:10911");
  EXPECT_EQ(master_address_from_cluster_info(java, "broker-b"), std::nullopt);
  const std::string followers_only =
      R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{"1":"10.0.0.1:10911","3":"10.0.0.3:10911"}}}})";
  EXPECT_EQ(master_address_from_cluster_info(followers_only, "broker-a"), std::nullopt);
  EXPECT_THROW(master_address_from_cluster_info("{}", "broker-a"), std::invalid_argument);
}

}  // namespace
}  // namespace rmq::server
