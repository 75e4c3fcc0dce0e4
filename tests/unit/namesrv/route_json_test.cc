// The JSON the name server writes, against hand-written expected text (remoting.md 2.5, 2.6): compact,
// quoted numeric ids, both lists always present, filterServerTable {}.
#include <gtest/gtest.h>

#include "broker/namesrv/body_error.h"
#include "broker/namesrv/route_json.h"

namespace rmq::namesrv {
namespace {

TEST(RouteJson, TopicRouteData) {
  TopicRoute route;
  route.queue_datas.push_back(QueueData{"broker-a", 4, 4, 6, 0});
  route.broker_datas.push_back(BrokerData{"DefaultCluster", "broker-a", {{0, "10.0.0.5:10911"}, {1, "10.0.0.6:10911"}}});
  EXPECT_EQ(topic_route_json(route),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.5:10911","1":"10.0.0.6:10911"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,)"
            R"("readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");
}

TEST(RouteJson, EmptyListsStillPresent) {
  EXPECT_EQ(topic_route_json(TopicRoute{}), R"({"brokerDatas":[],"filterServerTable":{},"queueDatas":[]})");
}

TEST(RouteJson, ClusterInfo) {
  ClusterInfo info;
  info.broker_addr_table["broker-a"] = BrokerData{"DefaultCluster", "broker-a", {{0, "10.0.0.5:10911"}}};
  info.cluster_addr_table["DefaultCluster"] = {"broker-a"};
  EXPECT_EQ(cluster_info_json(info),
            R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.5:10911"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}})");
  EXPECT_EQ(cluster_info_json(ClusterInfo{}), R"({"brokerAddrTable":{},"clusterAddrTable":{}})");
}

TEST(RouteJson, TopicListDataVersionKvTable) {
  EXPECT_EQ(topic_list_json({"TBW102", "TopicTest"}), R"({"topicList":["TBW102","TopicTest"]})");
  EXPECT_EQ(topic_list_json({}), R"({"topicList":[]})");
  EXPECT_EQ(data_version_json(DataVersion{1700000000000, 3}), R"({"counter":3,"timestamp":1700000000000})");
  EXPECT_EQ(kv_table_json({{"T", "broker-a:4"}}), R"({"table":{"T":"broker-a:4"}})");
}

TEST(RouteJson, ParseDataVersion) {
  EXPECT_EQ(parse_data_version(R"({"counter":3,"timestamp":1700000000000})", "x"), (DataVersion{1700000000000, 3}));
  // 5.x adds stateVersion; ignored.
  EXPECT_EQ(parse_data_version(R"({"stateVersion":0,"timestamp":5,"counter":6})", "x"), (DataVersion{5, 6}));
  EXPECT_THROW(parse_data_version("{", "x"), BodyError);
  EXPECT_THROW(parse_data_version(R"({"counter":"3"})", "x"), BodyError);
}

}  // namespace
}  // namespace rmq::namesrv
