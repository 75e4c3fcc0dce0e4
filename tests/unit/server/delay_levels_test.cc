// messageDelayLevel parsing and the DELAY -> SCHEDULE_TOPIC_XXXX rewrite of 4.9.x CommitLog.putMessage.
#include "broker/server/delay_levels.h"

#include <gtest/gtest.h>

#include "broker/store/message_properties.h"
#include "broker/store/message_store.h"

namespace rmq::server {
namespace {

TEST(DelayLevels, ParsesTheDefault) {
  const std::vector<std::int64_t> expected = {1000,   5000,   10000,  30000,  60000,   120000,
                                              180000, 240000, 300000, 360000, 420000,  480000,
                                              540000, 600000, 1200000, 1800000, 3600000, 7200000};
  EXPECT_EQ(parse_delay_levels(kDefaultDelayLevels), expected);
}

TEST(DelayLevels, ParsesEveryUnit) {
  EXPECT_EQ(parse_delay_levels("1s 2m 3h 4d"), (std::vector<std::int64_t>{1000, 120000, 10800000, 345600000}));
  EXPECT_EQ(parse_delay_levels("  1s   5s "), (std::vector<std::int64_t>{1000, 5000}));
  EXPECT_EQ(parse_delay_levels("0s"), (std::vector<std::int64_t>{0}));
}

void expect_bad(std::string_view text, std::string_view token) {
  try {
    parse_delay_levels(text);
    ADD_FAILURE() << "accepted '" << text << "'";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(std::string(token)), std::string::npos) << error.what();
  }
}

TEST(DelayLevels, RejectsBadTokensByName) {
  expect_bad("1s 5x 10s", "'5x'");
  expect_bad("1s s", "'s'");
  expect_bad("1s 5", "'5'");
  expect_bad("1s abcm", "'abcm'");
  expect_bad("1s -5s", "'-5s'");
  expect_bad("99999999999999999999s", "'99999999999999999999s'");
  expect_bad("9999999999999999d", "'9999999999999999d'");
  expect_bad("", "no delay levels");
}

store::MessageRecord message_with(const store::PropertyList& properties) {
  store::MessageRecord message;
  message.topic = "TopicTest";
  message.queue_id = 3;
  message.properties = store::format_properties(properties);
  return message;
}

TEST(DelayLevels, RewritesForTheScheduleTopic) {
  auto message = message_with({{"TAGS", "TagA"}, {"DELAY", "3"}, {"KEYS", "k1"}});
  ASSERT_TRUE(apply_delay_level(message, 18));
  EXPECT_EQ(message.topic, "SCHEDULE_TOPIC_XXXX");
  EXPECT_EQ(message.queue_id, 2);
  EXPECT_EQ(store::property_value(message.properties, "REAL_TOPIC"), "TopicTest");
  EXPECT_EQ(store::property_value(message.properties, "REAL_QID"), "3");
  EXPECT_EQ(store::property_value(message.properties, "DELAY"), "3");
  EXPECT_EQ(store::property_value(message.properties, "TAGS"), "TagA");
  EXPECT_EQ(store::property_value(message.properties, "KEYS"), "k1");
}

TEST(DelayLevels, ClampsToTheMaxLevel) {
  auto message = message_with({{"DELAY", "99"}});
  ASSERT_TRUE(apply_delay_level(message, 18));
  EXPECT_EQ(message.queue_id, 17);
  EXPECT_EQ(store::property_value(message.properties, "DELAY"), "18");
  EXPECT_EQ(store::parse_properties(message.properties).size(), 3u);  // DELAY, REAL_TOPIC, REAL_QID once each
}

TEST(DelayLevels, LeavesOtherMessagesAlone) {
  for (const char* delay : {"0", "-1", "x", "", "2147483648"}) {
    auto message = message_with({{"DELAY", delay}});
    const auto before = message;
    EXPECT_FALSE(apply_delay_level(message, 18)) << delay;
    EXPECT_EQ(message, before) << delay;
  }
  auto plain = message_with({{"TAGS", "a"}});
  EXPECT_FALSE(apply_delay_level(plain, 18));
  for (std::int32_t type : {store::sysflag::kTransactionPrepared, store::sysflag::kTransactionRollback}) {
    auto message = message_with({{"DELAY", "2"}});
    message.sys_flag = type;
    EXPECT_FALSE(apply_delay_level(message, 18));
    EXPECT_EQ(message.topic, "TopicTest");
  }
  auto committed = message_with({{"DELAY", "2"}});
  committed.sys_flag = store::sysflag::kTransactionCommit;
  EXPECT_TRUE(apply_delay_level(committed, 18));
  EXPECT_EQ(committed.queue_id, 1);
  auto no_levels = message_with({{"DELAY", "2"}});
  EXPECT_FALSE(apply_delay_level(no_levels, 0));
}

}  // namespace
}  // namespace rmq::server
