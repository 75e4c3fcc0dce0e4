// RouteTable against the registration rules of remoting.md 3.2 and the route lookup of 3.3, with a fake clock
// so that expiry is tested without sleeping.
#include <gtest/gtest.h>

#include "broker/namesrv/route_table.h"

namespace rmq::namesrv {
namespace {

struct FakeClock {
  std::int64_t now_ms = 1'700'000'000'000;
  Clock clock() {
    return [this] { return now_ms; };
  }
};

TopicQueueConfig topic(const std::string& name, int queues, int perm = 6) {
  return TopicQueueConfig{name, queues, queues, perm, 0};
}

RegisterRequest registration(const std::string& name, std::int64_t id, const std::string& addr,
                             std::vector<TopicQueueConfig> topics, DataVersion version = {1, 1},
                             std::uint64_t connection = 1) {
  RegisterRequest request;
  request.cluster_name = "DefaultCluster";
  request.broker_name = name;
  request.broker_id = id;
  request.broker_addr = addr;
  request.ha_server_addr = addr.substr(0, addr.find(':')) + ":10912";
  request.topic_config_wrapper.data_version = version;
  request.topic_config_wrapper.topics = std::move(topics);
  request.connection_id = connection;
  return request;
}

class RouteTableTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  RouteTable table_{clock_.clock()};
};

TEST_F(RouteTableTest, MasterRegistrationCreatesRoute) {
  const RegisterResult result = table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}));
  EXPECT_TRUE(result.first_registration);
  EXPECT_EQ(result.master_addr, "");
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0], (QueueData{"broker-a", 4, 4, 6, 0}));
  ASSERT_EQ(route->broker_datas.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].cluster, "DefaultCluster");
  EXPECT_EQ(route->broker_datas[0].broker_addrs, (std::map<std::int64_t, std::string>{{0, "10.0.0.5:10911"}}));
  const ClusterInfo info = table_.cluster_info();
  EXPECT_EQ(info.cluster_addr_table.at("DefaultCluster"), (std::set<std::string>{"broker-a"}));
  EXPECT_FALSE(table_.route("Unknown"));
}

TEST_F(RouteTableTest, SlaveGetsMasterAddressAndNoQueueDataFromSlave) {
  // A slave first: its topics are ignored, and with no master it learns nothing.
  RegisterResult slave = table_.register_broker(registration("broker-a", 1, "10.0.0.6:10911", {topic("S", 8)}, {1, 1}, 2));
  EXPECT_EQ(slave.master_addr, "");
  EXPECT_FALSE(table_.route("S"));
  EXPECT_EQ(table_.topic_names(), std::vector<std::string>{});
  // The master registers, then the slave again: it gets the master's address and HA address.
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {1, 1}, 1));
  slave = table_.register_broker(registration("broker-a", 1, "10.0.0.6:10911", {topic("S", 8)}, {1, 2}, 2));
  EXPECT_EQ(slave.master_addr, "10.0.0.5:10911");
  EXPECT_EQ(slave.ha_server_addr, "10.0.0.5:10912");
  EXPECT_FALSE(slave.first_registration);
  EXPECT_FALSE(table_.route("S"));
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->broker_datas[0].broker_addrs,
            (std::map<std::int64_t, std::string>{{0, "10.0.0.5:10911"}, {1, "10.0.0.6:10911"}}));
}

TEST_F(RouteTableTest, QueueDataOnlyTakenWhenDataVersionChanges) {
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {100, 1}));
  // Same DataVersion with a different table: ignored (the broker would have bumped its version).
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 8), topic("U", 2)}, {100, 1}));
  EXPECT_EQ(table_.route("T")->queue_datas[0].write_queue_nums, 4);
  EXPECT_FALSE(table_.route("U"));
  // Changed version: taken.
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 8), topic("U", 2)}, {100, 2}));
  EXPECT_EQ(table_.route("T")->queue_datas[0].write_queue_nums, 8);
  ASSERT_TRUE(table_.route("U"));
  EXPECT_EQ(table_.route("U")->queue_datas[0].read_queue_nums, 2);
}

TEST_F(RouteTableTest, FirstRegistrationOfAnIdTakesQueueDataEvenWithKnownVersion) {
  // A follower (id 2) becomes leader (id 0) carrying the same DataVersion it had as follower: the id-0 slot is
  // new, so its topic table is taken (register_first in 4.9.x).
  table_.register_broker(registration("broker-a", 2, "10.0.0.7:10911", {topic("T", 4)}, {5, 5}));
  EXPECT_FALSE(table_.route("T"));
  table_.register_broker(registration("broker-a", 0, "10.0.0.7:10911", {topic("T", 4)}, {5, 5}));
  ASSERT_TRUE(table_.route("T"));
}

TEST_F(RouteTableTest, IdSwitchRemovesSameAddressUnderOtherId) {
  // DLedger: n0 leader (id 0), n1 follower (id 2). n1 wins an election: registers as id 0, n0 as id 1.
  table_.register_broker(registration("RaftNode00", 0, "10.0.0.1:30911", {topic("T", 8)}, {1, 1}, 1));
  table_.register_broker(registration("RaftNode00", 2, "10.0.0.2:30911", {topic("T", 8)}, {1, 1}, 2));
  table_.register_broker(registration("RaftNode00", 0, "10.0.0.2:30911", {topic("T", 8)}, {1, 1}, 2));
  table_.register_broker(registration("RaftNode00", 1, "10.0.0.1:30911", {topic("T", 8)}, {1, 1}, 1));
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->broker_datas[0].broker_addrs,
            (std::map<std::int64_t, std::string>{{0, "10.0.0.2:30911"}, {1, "10.0.0.1:30911"}}));
}

TEST_F(RouteTableTest, ConnectionCloseDropsOnlyThatBroker) {
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {1, 1}, 7));
  table_.register_broker(registration("broker-a", 1, "10.0.0.6:10911", {topic("T", 4)}, {1, 1}, 8));
  EXPECT_EQ(table_.drop_connection(99), std::vector<std::string>{});
  EXPECT_EQ(table_.drop_connection(7), std::vector<std::string>{"10.0.0.5:10911"});
  // The slave remains: the route is still there (readable, no id 0).
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->broker_datas[0].broker_addrs, (std::map<std::int64_t, std::string>{{1, "10.0.0.6:10911"}}));
  EXPECT_EQ(table_.live_table().count("10.0.0.5:10911"), 0u);
  // Last address gone: BrokerData, cluster entry, queue data and the topic go.
  EXPECT_EQ(table_.drop_connection(8), std::vector<std::string>{"10.0.0.6:10911"});
  EXPECT_FALSE(table_.route("T"));
  EXPECT_TRUE(table_.cluster_info().broker_addr_table.empty());
  EXPECT_TRUE(table_.cluster_info().cluster_addr_table.empty());
  EXPECT_TRUE(table_.topic_names().empty());
}

TEST_F(RouteTableTest, DroppingOneBrokerNameKeepsTopicsOfOthers) {
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4), topic("OnlyA", 1)}, {1, 1}, 1));
  table_.register_broker(registration("broker-b", 0, "10.0.0.8:10911", {topic("T", 2)}, {1, 1}, 2));
  table_.drop_connection(1);
  EXPECT_FALSE(table_.route("OnlyA"));
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0].broker_name, "broker-b");
  EXPECT_EQ(table_.topic_names(), std::vector<std::string>{"T"});
  EXPECT_EQ(table_.cluster_info().cluster_addr_table.at("DefaultCluster"), (std::set<std::string>{"broker-b"}));
}

TEST_F(RouteTableTest, ExpiryAfterTimeoutWithFakeClock) {
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {1, 1}, 7));
  clock_.now_ms += 60'000;
  table_.register_broker(registration("broker-b", 0, "10.0.0.8:10911", {topic("T", 4)}, {1, 1}, 8));
  clock_.now_ms += 60'000;  // broker-a is exactly 120 s old: not yet (Java expires strictly after)
  EXPECT_TRUE(table_.expire(120'000).empty());
  clock_.now_ms += 1;
  const auto expired = table_.expire(120'000);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].broker_addr, "10.0.0.5:10911");
  EXPECT_EQ(expired[0].connection_id, 7u);
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  ASSERT_EQ(route->broker_datas.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].broker_name, "broker-b");
  // A re-registration refreshes the timestamp.
  clock_.now_ms += 100'000;
  table_.register_broker(registration("broker-b", 0, "10.0.0.8:10911", {topic("T", 4)}, {1, 1}, 8));
  clock_.now_ms += 100'000;
  EXPECT_TRUE(table_.expire(120'000).empty());
}

TEST_F(RouteTableTest, UnregisterRemovesAddressAndEmptyBrokerName) {
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {1, 1}, 1));
  table_.register_broker(registration("broker-a", 1, "10.0.0.6:10911", {}, {1, 1}, 2));
  // Wrong address for the id: nothing removed from brokerAddrs.
  EXPECT_FALSE(table_.unregister_broker("DefaultCluster", "10.0.0.9:10911", "broker-a", 0));
  EXPECT_TRUE(table_.unregister_broker("DefaultCluster", "10.0.0.6:10911", "broker-a", 1));
  EXPECT_EQ(table_.live_table().count("10.0.0.6:10911"), 0u);
  EXPECT_EQ(table_.route("T")->broker_datas[0].broker_addrs.size(), 1u);
  EXPECT_TRUE(table_.unregister_broker("DefaultCluster", "10.0.0.5:10911", "broker-a", 0));
  EXPECT_FALSE(table_.route("T"));
  EXPECT_TRUE(table_.cluster_info().cluster_addr_table.empty());
  EXPECT_TRUE(table_.topic_names().empty());
}

TEST_F(RouteTableTest, RouteNeedsBrokerDataForSomeQueueData) {
  // Queue data whose broker name has no BrokerData cannot happen through the public operations (dropping
  // the BrokerData drops the queue data), so check the positive case across two names instead.
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {1, 1}, 1));
  table_.register_broker(registration("broker-b", 0, "10.0.0.8:10911", {topic("T", 2)}, {1, 1}, 2));
  const auto route = table_.route("T");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->queue_datas.size(), 2u);
  EXPECT_EQ(route->broker_datas.size(), 2u);
}

TEST_F(RouteTableTest, DataVersionQueriesAndTouch) {
  EXPECT_TRUE(table_.data_version_changed("10.0.0.5:10911", {1, 1}));
  EXPECT_FALSE(table_.data_version("10.0.0.5:10911"));
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4)}, {7, 3}, 1));
  EXPECT_FALSE(table_.data_version_changed("10.0.0.5:10911", {7, 3}));
  EXPECT_TRUE(table_.data_version_changed("10.0.0.5:10911", {7, 4}));
  EXPECT_EQ(table_.data_version("10.0.0.5:10911"), (DataVersion{7, 3}));
  clock_.now_ms += 100'000;
  table_.touch("10.0.0.5:10911");
  clock_.now_ms += 100'000;
  EXPECT_TRUE(table_.expire(120'000).empty());
}

TEST_F(RouteTableTest, WipeAndAddWritePerm) {
  table_.register_broker(registration("broker-a", 0, "10.0.0.5:10911", {topic("T", 4, 6), topic("U", 4, 7)}));
  table_.register_broker(registration("broker-b", 0, "10.0.0.8:10911", {topic("T", 4, 6)}, {1, 1}, 2));
  EXPECT_EQ(table_.wipe_write_perm("broker-a"), 2);
  EXPECT_EQ(table_.route("U")->queue_datas[0].perm, 5);
  const auto route_t = table_.route("T");
  ASSERT_TRUE(route_t);
  for (const QueueData& queue : route_t->queue_datas) {
    EXPECT_EQ(queue.perm, queue.broker_name == "broker-a" ? 4 : 6) << queue.broker_name;
  }
  EXPECT_EQ(table_.add_write_perm("broker-a"), 2);
  EXPECT_EQ(table_.route("U")->queue_datas[0].perm, 6);
  EXPECT_EQ(table_.wipe_write_perm("nobody"), 0);
}

}  // namespace
}  // namespace rmq::namesrv
