// Parsing the bodies of GET_BROKER_CLUSTER_INFO and GET_BROKER_RUNTIME_INFO as the Java name server and broker
// write them (fastjson: integer map keys unquoted), from bytes written by hand after spec/remoting.md 3.
#include <gtest/gtest.h>

#include "ctl/broker_query.h"

namespace rmq::ctl {
namespace {

TEST(BrokerQuery, ClusterInfoWithUnquotedIntegerKeys) {
  const std::string body =
      R"({"brokerAddrTable":{"RaftNode00":{"brokerAddrs":{0:"127.0.0.1:30911",2:"127.0.0.1:30921"},)"
      R"("brokerName":"RaftNode00","cluster":"RaftCluster"}},"clusterAddrTable":{"RaftCluster":["RaftNode00"]}})";
  const ClusterInfo info = parse_cluster_info(body);
  ASSERT_EQ(info.broker_addrs.count("RaftNode00"), 1u);
  EXPECT_EQ(info.broker_addrs.at("RaftNode00").at(0), "127.0.0.1:30911");
  EXPECT_EQ(info.broker_addrs.at("RaftNode00").at(2), "127.0.0.1:30921");
  ASSERT_EQ(info.clusters.at("RaftCluster").size(), 1u);
}

TEST(BrokerQuery, MalformedBodiesAreOneLineErrors) {
  EXPECT_THROW(parse_cluster_info("[1,2]"), std::runtime_error);
  EXPECT_THROW(parse_cluster_info(R"({"brokerAddrTable":{"b":{"brokerAddrs":{"x":"a:1"}}}})"), std::runtime_error);
  EXPECT_ANY_THROW(parse_cluster_info("{"));
  EXPECT_THROW(parse_runtime_info(R"({"nottable":{}})"), std::runtime_error);
}

TEST(BrokerQuery, RuntimeInfoTable) {
  const RuntimeInfo info =
      parse_runtime_info(R"({"table":{"brokerRole":"SLAVE","brokerId":"2","commitLogMaxOffset":"x12","bootTimestamp":"17"}})");
  EXPECT_EQ(info.get("brokerRole"), "SLAVE");
  EXPECT_EQ(info.get_int("brokerId"), 2);
  EXPECT_FALSE(info.get_int("commitLogMaxOffset").has_value()) << "not a number";
  EXPECT_FALSE(info.get("missing").has_value());
  EXPECT_EQ(info.get_int("bootTimestamp"), 17);
}

}  // namespace
}  // namespace rmq::ctl
