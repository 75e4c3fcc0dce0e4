// The JSON shapes of topics.json, subscriptionGroup.json and consumerOffset.json (storage.md 4), written by the
// managers and compared with text written by hand from the spec; and loading them back, with .bak fallback.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/server/broker_outer_api.h"
#include "broker/server/consumer_offset_manager.h"
#include "broker/server/subscription_group_manager.h"
#include "broker/server/topic_config_manager.h"
#include "tests/unit/server/broker_fixture.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::server {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ConfigJsonTest, ConsumerOffsetFileHasUnquotedIntegerKeys) {
  rmq::testing::TempDir dir;
  const auto path = (dir.path() / "consumerOffset.json").string();
  ConsumerOffsetManager offsets(path);
  offsets.commit("GID_example", "TopicTest", 0, 123);
  offsets.commit("GID_example", "TopicTest", 1, 456);
  offsets.persist();
  EXPECT_EQ(read_text(path),
            "{\n"
            "\t\"offsetTable\":{\n"
            "\t\t\"TopicTest@GID_example\":{0:123,1:456\n"
            "\t\t}\n"
            "\t}\n"
            "}");
  ConsumerOffsetManager loaded(path);
  loaded.load();
  EXPECT_EQ(loaded.query("GID_example", "TopicTest", 1), 456);
  EXPECT_EQ(loaded.query("GID_example", "TopicTest", 2), std::nullopt);
}

TEST(ConfigJsonTest, ConsumerOffsetLoadFallsBackToBakAndRejectsGarbage) {
  rmq::testing::TempDir dir;
  const auto path = (dir.path() / "consumerOffset.json").string();
  {
    std::ofstream(path) << "{\"offsetTable\":{\"T@G\":{0:5,3:-1}}}";
  }
  {
    ConsumerOffsetManager offsets(path);
    offsets.load();
    EXPECT_EQ(offsets.query("G", "T", 0), 5);
    EXPECT_EQ(offsets.query("G", "T", 3), std::nullopt);  // negative = absent
    offsets.commit("G", "T", 0, 6);
    offsets.persist();  // old text goes to .bak
  }
  {
    std::ofstream(path, std::ios::trunc) << "{\"offsetTable\":{\"T@G\":{0:";  // torn
    ConsumerOffsetManager offsets(path);
    offsets.load();
    EXPECT_EQ(offsets.query("G", "T", 0), 5);  // from .bak
  }
  {
    std::ofstream(path, std::ios::trunc) << "garbage";
    std::ofstream(path + ".bak", std::ios::trunc) << "garbage";
    ConsumerOffsetManager offsets(path);
    EXPECT_THROW(offsets.load(), std::runtime_error);
  }
}

TEST(ConfigJsonTest, TopicsFileShape) {
  rmq::testing::TempDir dir;
  auto config = testing::test_config("autoCreateTopicEnable=false\n");
  const auto path = (dir.path() / "topics.json").string();
  TopicConfigManager topics(config, path);
  TopicConfig t;
  t.topic_name = "TopicTest";
  t.read_queue_nums = 4;
  t.write_queue_nums = 4;
  topics.update(t);
  const std::string text = read_text(path);
  const auto version = topics.data_version();
  EXPECT_EQ(version.counter, 1);
  // The topic's own entry, as storage.md 4 spells it (fields sorted, tab-indented, no spaces).
  EXPECT_NE(text.find("\t\t\"TopicTest\":{\n"
                      "\t\t\t\"order\":false,\n"
                      "\t\t\t\"perm\":6,\n"
                      "\t\t\t\"readQueueNums\":4,\n"
                      "\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
                      "\t\t\t\"topicName\":\"TopicTest\",\n"
                      "\t\t\t\"topicSysFlag\":0,\n"
                      "\t\t\t\"writeQueueNums\":4\n"
                      "\t\t}"),
            std::string::npos)
      << text;
  EXPECT_TRUE(text.starts_with("{\n\t\"dataVersion\":{\n\t\t\"counter\":1,\n\t\t\"timestamp\":" +
                               std::to_string(version.timestamp_ms) + "\n\t},\n\t\"topicConfigTable\":{"))
      << text;
  EXPECT_EQ(text.find("TBW102"), std::string::npos);  // autoCreateTopicEnable=false

  TopicConfigManager loaded(config, path);
  loaded.load();
  EXPECT_EQ(loaded.select("TopicTest"), t);
  EXPECT_EQ(loaded.data_version(), version);
}

TEST(ConfigJsonTest, SubscriptionGroupFileShape) {
  rmq::testing::TempDir dir;
  const auto path = (dir.path() / "subscriptionGroup.json").string();
  SubscriptionGroupManager groups(true, path);
  ASSERT_TRUE(groups.find_or_create("GID_example"));
  const std::string text = read_text(path);
  EXPECT_NE(text.find("\t\t\"GID_example\":{\n"
                      "\t\t\t\"brokerId\":0,\n"
                      "\t\t\t\"consumeBroadcastEnable\":true,\n"
                      "\t\t\t\"consumeEnable\":true,\n"
                      "\t\t\t\"consumeFromMinEnable\":true,\n"
                      "\t\t\t\"groupName\":\"GID_example\",\n"
                      "\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n"
                      "\t\t\t\"retryMaxTimes\":16,\n"
                      "\t\t\t\"retryQueueNums\":1,\n"
                      "\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n"
                      "\t\t}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"subscriptionGroupTable\":{"), std::string::npos);
  SubscriptionGroupManager no_auto(false, path);
  no_auto.load();
  EXPECT_TRUE(no_auto.select("GID_example"));
  EXPECT_FALSE(no_auto.find_or_create("Other"));
}

TEST(ConfigJsonTest, RegisterBrokerBodyIsCompactWithTheWrapper) {
  auto config = testing::test_config("autoCreateTopicEnable=false\n");
  TopicConfigManager topics(config, "");
  const std::string body = register_broker_body(topics, perm::kRead | perm::kWrite);
  EXPECT_TRUE(body.starts_with("{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":{\"counter\":0,"))
      << body;
  EXPECT_NE(body.find("\"SELF_TEST_TOPIC\":{\"order\":false,\"perm\":6,\"readQueueNums\":1,\"topicFilterType\":"
                      "\"SINGLE_TAG\",\"topicName\":\"SELF_TEST_TOPIC\",\"topicSysFlag\":0,\"writeQueueNums\":1}"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find(' '), std::string::npos);
}

}  // namespace
}  // namespace rmq::server
