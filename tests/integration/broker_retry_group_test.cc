// Issue 9 item 1: one frame must never brick the broker's next start. A send to the topic `%RETRY%` (or
// `%DLQ%`, or a %DLQ% topic whose group part is too long) used to create a subscription group with an empty
// name, persist it, and every later start exited 3. The real broker receives those frames, is stopped and
// started again, and must serve; and a config file holding one bad entry (as that old broker wrote it) must be
// skipped entry by entry, with a warning naming the entry, rather than refusing the start.
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

void expect_serves(BrokerHarness& h, const std::string& topic) {
  const RemotingCommand sent = h.send(topic, 0, "after-restart");
  ASSERT_EQ(sent.code, rc::kSuccess) << sent.remark.value_or("") << "\n" << h.broker_log();
  const auto records = h.pull_until("GID_after", topic, 0, 0, 1);
  ASSERT_EQ(records.size(), 1u) << h.broker_log();
  EXPECT_EQ(BrokerHarness::body_text(records[0]), "after-restart");
}

TEST(BrokerRetryGroupTest, SendsToGroupTopicsWithoutAValidGroupAreRefusedAndTheBrokerRestarts) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicTest", 1).code, rc::kSuccess);

  const std::string long_group(121, 'g');  // 121 > 127 - 7: no valid %RETRY% topic can be made from it
  for (const std::string& topic : {std::string("%RETRY%"), std::string("%DLQ%"), "%DLQ%" + long_group}) {
    ASSERT_LE(topic.size(), 127u);  // a valid topic name: only the group part is wrong
    const RemotingCommand answer = h.send(topic, 0, "x");
    EXPECT_EQ(answer.code, rc::kSubscriptionGroupNotExist) << topic << ": " << answer.remark.value_or("");
    // Retry sends as ali-ons makes them (reconsumeTimes past the max: the DLQ path).
    const RemotingCommand retry = h.call(BrokerHarness::send_request(topic, 0, "x", "", 17, 16));
    EXPECT_EQ(retry.code, rc::kSubscriptionGroupNotExist) << topic << ": " << retry.remark.value_or("");
  }
  // A valid retry group still works.
  EXPECT_EQ(h.send("%RETRY%GID_ok", 0, "y").code, rc::kSuccess);

  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();
  const auto config = h.store_dir() / "config";
  const std::string groups = read_text(config / "subscriptionGroup.json");
  EXPECT_EQ(groups.find("\"groupName\":\"\""), std::string::npos) << groups;
  EXPECT_NE(groups.find("GID_ok"), std::string::npos) << groups;
  const std::string topics = read_text(config / "topics.json");
  EXPECT_EQ(topics.find("\"%RETRY%\""), std::string::npos) << topics;
  EXPECT_EQ(topics.find("\"%DLQ%\""), std::string::npos) << topics;

  h.start_broker();
  expect_serves(h, "TopicTest");
  EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
}

TEST(BrokerRetryGroupTest, OneBadEntryInEachConfigFileIsSkippedWithAWarning) {
  BrokerHarness h("", false);
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicTest", 1).code, rc::kSuccess);
  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();

  // The files as the old broker left them after a send to `%RETRY%`: an entry without a group name, written
  // to the file and its .bak. Plus one bad entry in topics.json and in consumerOffset.json.
  const auto config = h.store_dir() / "config";
  const std::string groups =
      "{\n\t\"dataVersion\":{\"counter\":3,\"timestamp\":1700000000000},\n\t\"subscriptionGroupTable\":{\n"
      "\t\t\"\":{\"brokerId\":0,\"consumeBroadcastEnable\":true,\"consumeEnable\":true,\"consumeFromMinEnable\":true,"
      "\"groupName\":\"\",\"notifyConsumerIdsChangedEnable\":true,\"retryMaxTimes\":16,\"retryQueueNums\":1,"
      "\"whichBrokerWhenConsumeSlowly\":1},\n"
      "\t\t\"GID_kept\":{\"groupName\":\"GID_kept\",\"retryMaxTimes\":5,\"retryQueueNums\":1}\n\t}\n}";
  std::ofstream(config / "subscriptionGroup.json", std::ios::trunc) << groups;
  std::ofstream(config / "subscriptionGroup.json.bak", std::ios::trunc) << groups;
  std::string topics = read_text(config / "topics.json");
  const auto table = topics.find("\"topicConfigTable\":{");
  ASSERT_NE(table, std::string::npos) << topics;
  topics.insert(table + std::string("\"topicConfigTable\":{").size(),
                "\"BadTopic\":{\"topicName\":\"BadTopic\",\"readQueueNums\":\"many\"},");
  std::ofstream(config / "topics.json", std::ios::trunc) << topics;
  std::ofstream(config / "consumerOffset.json", std::ios::trunc)
      << "{\"offsetTable\":{\"TopicTest@GID_bad\":[1,2],\"TopicTest@GID_good\":{0:0,\"x\":3}}}";

  h.start_broker();
  expect_serves(h, "TopicTest");
  const std::string log = h.broker_log();
  EXPECT_NE(log.find("subscriptionGroupTable.\"\" skipped"), std::string::npos) << log;
  EXPECT_NE(log.find("topicConfigTable.\"BadTopic\" skipped"), std::string::npos) << log;
  EXPECT_NE(log.find("offsetTable.\"TopicTest@GID_bad\" skipped"), std::string::npos) << log;
  EXPECT_NE(log.find("offsetTable.\"TopicTest@GID_good\".\"x\" skipped"), std::string::npos) << log;
  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();

  // What the broker writes back holds only entries its loader accepts; the good group kept its settings.
  const std::string written = read_text(config / "subscriptionGroup.json");
  EXPECT_EQ(written.find("\"groupName\":\"\""), std::string::npos) << written;
  EXPECT_NE(written.find("GID_kept"), std::string::npos) << written;
  EXPECT_EQ(read_text(config / "topics.json").find("BadTopic"), std::string::npos);
  EXPECT_EQ(read_text(config / "consumerOffset.json").find("GID_bad"), std::string::npos);
}

}  // namespace
}  // namespace rmq::integration
