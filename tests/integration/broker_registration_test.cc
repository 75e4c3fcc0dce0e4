// Registration with the real name server (remoting.md 3.2, 4.5, 6 rules 8 and 13): a heartbeat's %RETRY% topic
// gets a route at once, a restarted name server learns the broker again on the next topic change (the broker
// reconnects), and a clean stop unregisters the broker.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

RemotingCommand route_request(const std::string& topic) {
  RemotingCommand r = remoting::make_request(code::kGetRouteinfoByTopic);
  r.ext_fields.set("topic", topic);
  return r;
}

bool route_appears(BrokerHarness& h, const std::string& topic, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto ns = h.connect_namesrv();
    if (BrokerHarness::call_on(ns, route_request(topic)).code == rc::kSuccess) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(BrokerRegistrationTest, HeartbeatRetryTopicIsRoutedAndStopUnregisters) {
  BrokerHarness h;
  h.start_broker();
  RemotingCommand hb = remoting::make_request(code::kHeartBeat);
  const std::string body =
      R"({"clientID":"127.0.0.1@1","consumerDataSet":[{"groupName":"GID_reg","consumeType":"CONSUME_PASSIVELY",)"
      R"("messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,)"
      R"("subscriptionDataSet":[]}],"producerDataSet":[]})";
  hb.body.assign(body.begin(), body.end());
  ASSERT_EQ(h.call(hb).code, rc::kSuccess);
  EXPECT_TRUE(route_appears(h, "%RETRY%GID_reg", std::chrono::seconds(5))) << h.broker_log();

  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();
  auto ns = h.connect_namesrv();
  EXPECT_EQ(BrokerHarness::call_on(ns, route_request("%RETRY%GID_reg")).code, rc::kTopicNotExist);
  EXPECT_EQ(BrokerHarness::call_on(ns, route_request("TBW102")).code, rc::kTopicNotExist);
}

TEST(BrokerRegistrationTest, BrokerReconnectsToARestartedNameServer) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("BeforeRestart", 1).code, rc::kSuccess);
  ASSERT_TRUE(route_appears(h, "BeforeRestart", std::chrono::seconds(5)));
  h.restart_namesrv();
  // The new name server knows nothing until the broker registers again; a topic change makes it do so over
  // a new connection.
  ASSERT_EQ(h.create_topic("AfterRestart", 1).code, rc::kSuccess);
  EXPECT_TRUE(route_appears(h, "AfterRestart", std::chrono::seconds(10))) << h.broker_log();
  EXPECT_TRUE(route_appears(h, "BeforeRestart", std::chrono::seconds(1)));
}

}  // namespace
}  // namespace rmq::integration
