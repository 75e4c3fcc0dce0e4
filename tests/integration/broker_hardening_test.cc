// The broker process against the review's crash and data-loss cases: a non-UTF-8 consumer group sent in a
// ROCKETMQ binary header (which carries raw bytes) must be refused and must not crash the broker, and a
// start that fails on a damaged config file must leave every config file as it was.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BrokerHardeningTest, NonUtf8GroupInABinaryHeaderIsRefusedAndTheBrokerStaysUp) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicTest", 1).code, rc::kSuccess);
  const std::string bad_group("G\xff\xfe", 3);
  RemotingCommand back = remoting::make_request(code::kConsumerSendMsgBack);
  back.serialize_type = remoting::SerializeType::kRocketMq;
  back.ext_fields = remoting::ExtFields{{"offset", "0"}, {"group", bad_group}, {"delayLevel", "0"},
                                        {"originMsgId", ""}, {"maxReconsumeTimes", "16"}};
  EXPECT_EQ(h.call(back).code, rc::kSystemError);
  RemotingCommand pull = remoting::make_request(code::kPullMessage);
  pull.serialize_type = remoting::SerializeType::kRocketMq;
  pull.ext_fields = remoting::ExtFields{{"consumerGroup", bad_group}, {"topic", "TopicTest"}, {"queueId", "0"},
                                        {"queueOffset", "0"}, {"maxMsgNums", "32"}, {"sysFlag", "0"},
                                        {"commitOffset", "0"}, {"suspendTimeoutMillis", "0"}};
  EXPECT_EQ(h.call(pull).code, rc::kSystemError);
  // A topic change makes the broker register again; the process must still be there and serving.
  ASSERT_EQ(h.create_topic("TopicAfter", 1).code, rc::kSuccess);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(h.broker().running()) << h.broker_log();
  EXPECT_EQ(h.create_topic("TopicAfter2", 1).code, rc::kSuccess);
  EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
}

TEST(BrokerHardeningTest, FailedStartLeavesTheConfigFilesAlone) {
  BrokerHarness h("", false);
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicTest", 1).code, rc::kSuccess);
  RemotingCommand update = remoting::make_request(code::kUpdateConsumerOffset);
  update.ext_fields = remoting::ExtFields{{"consumerGroup", "GID_a"}, {"topic", "TopicTest"}, {"queueId", "0"},
                                          {"commitOffset", "42"}};
  ASSERT_EQ(h.call(update).code, rc::kSuccess);
  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();

  const auto config = h.store_dir() / "config";
  const std::string offsets = read_text(config / "consumerOffset.json");
  ASSERT_NE(offsets.find("42"), std::string::npos) << offsets;
  const std::string truncated = "{\n\t\"subscriptionGroupTable\":{\n\t\t\"GID_a\":{";
  std::ofstream(config / "subscriptionGroup.json", std::ios::trunc) << truncated;
  std::filesystem::remove(config / "subscriptionGroup.json.bak");

  test_support::BackgroundProcess second({RMQ_BINARY_DIR "/rmq-broker", "-c", h.conf_path().string()},
                                         h.dir() / "second.log");
  for (int i = 0; i < 600 && second.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(second.exit_code(), 3) << second.log();
  EXPECT_EQ(read_text(config / "consumerOffset.json"), offsets);
  EXPECT_EQ(read_text(config / "subscriptionGroup.json"), truncated);
}

}  // namespace
}  // namespace rmq::integration
