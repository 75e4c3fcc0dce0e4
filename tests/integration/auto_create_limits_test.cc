// Issue 14 part 5: a client may not grow the broker's topic and group tables without bound by naming ever new
// topics and groups. A real rmq-broker on loopback with low autoCreateTopicMaxNums /
// autoCreateSubscriptionGroupMaxNums: past the limit, heartbeats create no group (and no %RETRY% topic), a pull
// or a send-back of a new group is answered SUBSCRIPTION_GROUP_NOT_EXIST (26), a send to a new topic
// TOPIC_NOT_EXIST (17), each with upstream's remark followed by the limit; groups and topics that exist work as
// before and UPDATE_AND_CREATE_SUBSCRIPTIONGROUP / UPDATE_AND_CREATE_TOPIC still create; the refusals are logged
// the first time and then every power-of-two-th time, not once per request; the limit holds across a restart
// (groups loaded from subscriptionGroup.json count).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "tests/cli/run_process.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

std::string remark_of(const RemotingCommand& r) { return r.remark.value_or(""); }

RemotingCommand heartbeat(const std::string& group) {
  RemotingCommand hb = remoting::make_request(code::kHeartBeat);
  const std::string body =
      R"({"clientID":"127.0.0.1@limits","consumerDataSet":[{"groupName":")" + group +
      R"(","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":)"
      R"("CONSUME_FROM_FIRST_OFFSET","unitMode":false,"subscriptionDataSet":[]}],"producerDataSet":[]})";
  hb.body.assign(body.begin(), body.end());
  return hb;
}

// The names in the table of a GET_ALL_TOPIC_CONFIG (21) / GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) answer.
std::set<std::string> table_keys(BrokerHarness& h, std::int32_t request_code, const char* table) {
  const RemotingCommand r = h.call(remoting::make_request(request_code));
  EXPECT_EQ(r.code, rc::kSuccess) << remark_of(r);
  std::set<std::string> out;
  const auto json = nlohmann::json::parse(std::string(r.body.begin(), r.body.end()), nullptr, false);
  if (json.is_discarded() || !json.contains(table)) {
    ADD_FAILURE() << "answer to " << request_code << " has no " << table;
    return out;
  }
  for (auto it = json[table].begin(); it != json[table].end(); ++it) out.insert(it.key());
  return out;
}
std::set<std::string> groups_of(BrokerHarness& h) {
  return table_keys(h, code::kGetAllSubscriptionGroupConfig, "subscriptionGroupTable");
}
std::set<std::string> topics_of(BrokerHarness& h) { return table_keys(h, code::kGetAllTopicConfig, "topicConfigTable"); }

RemotingCommand send_back(const std::string& group) {
  RemotingCommand r = remoting::make_request(code::kConsumerSendMsgBack);
  r.ext_fields.set_int("offset", 0);
  r.ext_fields.set("group", group);
  r.ext_fields.set_int("delayLevel", 0);
  r.ext_fields.set("originMsgId", "00");
  r.ext_fields.set("originTopic", "TopicTest");
  r.ext_fields.set_bool("unitMode", false);
  r.ext_fields.set_int("maxReconsumeTimes", 16);
  return r;
}

RemotingCommand create_group(const std::string& group) {
  RemotingCommand r = remoting::make_request(code::kUpdateAndCreateSubscriptionGroup);
  const std::string body = R"({"groupName":")" + group +
                           R"(","consumeEnable":true,"consumeFromMinEnable":true,"consumeBroadcastEnable":true,)"
                           R"("retryQueueNums":1,"retryMaxTimes":16,"brokerId":0,"whichBrokerWhenConsumeSlowly":1,)"
                           R"("notifyConsumerIdsChangedEnable":true})";
  r.body.assign(body.begin(), body.end());
  return r;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// 8 built-in groups (SubscriptionGroupManager's init) + 4 auto-created ones reach a limit of 12.
constexpr int kGroupLimit = 12;
constexpr int kBuiltInGroups = 8;

TEST(AutoCreateLimitsTest, GroupsStopBeingAutoCreatedAtTheLimitButExistingAndAdminGroupsWork) {
  BrokerHarness h("autoCreateSubscriptionGroupMaxNums=" + std::to_string(kGroupLimit) + "\n", false);
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicTest", 1).code, rc::kSuccess);
  ASSERT_EQ(h.send("TopicTest", 0, "m0").code, rc::kSuccess);
  ASSERT_EQ(groups_of(h).size(), static_cast<std::size_t>(kBuiltInGroups));

  // Heartbeats are answered SUCCESS as upstream does for a group it will not create; only the first ones
  // make a group and its %RETRY% topic.
  constexpr int kHeartbeatGroups = 20;
  for (int i = 0; i < kHeartbeatGroups; ++i) {
    ASSERT_EQ(h.call(heartbeat("GID_hb" + std::to_string(i))).code, rc::kSuccess) << i;
  }
  const auto groups = groups_of(h);
  EXPECT_EQ(groups.size(), static_cast<std::size_t>(kGroupLimit));
  const auto topics = topics_of(h);
  for (int i = 0; i < kHeartbeatGroups; ++i) {
    const std::string g = "GID_hb" + std::to_string(i);
    const bool made = i < kGroupLimit - kBuiltInGroups;
    EXPECT_EQ(groups.count(g), made ? 1u : 0u) << g;
    EXPECT_EQ(topics.count("%RETRY%" + g), made ? 1u : 0u) << g;
  }

  // A pull, a send-back and a send to the %RETRY% topic of a new group: 26 naming the limit; no topic made.
  const RemotingCommand pull = h.call(BrokerHarness::pull_request("GID_new_pull", "TopicTest", 0, 0));
  EXPECT_EQ(pull.code, rc::kSubscriptionGroupNotExist);
  EXPECT_NE(remark_of(pull).find("subscription group [GID_new_pull] does not exist"), std::string::npos)
      << remark_of(pull);
  EXPECT_NE(remark_of(pull).find("autoCreateSubscriptionGroupMaxNums=12"), std::string::npos) << remark_of(pull);
  const RemotingCommand back = h.call(send_back("GID_new_back"));
  EXPECT_EQ(back.code, rc::kSubscriptionGroupNotExist);
  EXPECT_NE(remark_of(back).find("subscription group not exist, GID_new_back"), std::string::npos) << remark_of(back);
  const RemotingCommand retry_send = h.send("%RETRY%GID_new_send", 0, "r");
  EXPECT_EQ(retry_send.code, rc::kSubscriptionGroupNotExist) << remark_of(retry_send);
  EXPECT_NE(remark_of(retry_send).find("autoCreateSubscriptionGroupMaxNums=12"), std::string::npos)
      << remark_of(retry_send);
  EXPECT_EQ(topics_of(h).count("%RETRY%GID_new_send"), 0u);
  EXPECT_EQ(groups_of(h).size(), static_cast<std::size_t>(kGroupLimit));

  // A group that exists still pulls; an operator's UPDATE_AND_CREATE_SUBSCRIPTIONGROUP still creates one,
  // which then pulls too.
  const auto existing = h.pull_until("GID_hb0", "TopicTest", 0, 0, 1);
  ASSERT_EQ(existing.size(), 1u) << h.broker_log();
  EXPECT_EQ(BrokerHarness::body_text(existing[0]), "m0");
  const RemotingCommand admin = h.call(create_group("GID_by_admin"));
  EXPECT_EQ(admin.code, rc::kSuccess) << remark_of(admin);
  const auto by_admin = h.pull_until("GID_by_admin", "TopicTest", 0, 0, 1);
  EXPECT_EQ(by_admin.size(), 1u) << h.broker_log();
  EXPECT_EQ(groups_of(h).size(), static_cast<std::size_t>(kGroupLimit + 1));

  // 16 heartbeat refusals + pull + send-back + %RETRY% send + pull_until's none = 19 or more: logged at the
  // 1st, 2nd, 4th, 8th and 16th, not once per request.
  const std::string log = h.broker_log();
  EXPECT_EQ(count_of(log, "(1 refused so far)"), 1u) << log;
  EXPECT_EQ(count_of(log, "(3 refused so far)"), 0u) << log;
  EXPECT_EQ(count_of(log, "(16 refused so far)"), 1u) << log;
  EXPECT_LE(count_of(log, "not auto-created ("), 6u) << log;

  // After a restart the groups loaded from subscriptionGroup.json count: still no new group.
  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();
  h.start_broker();
  EXPECT_EQ(groups_of(h).size(), static_cast<std::size_t>(kGroupLimit + 1));
  EXPECT_EQ(h.call(BrokerHarness::pull_request("GID_after_restart", "TopicTest", 0, 0)).code,
            rc::kSubscriptionGroupNotExist);
  EXPECT_EQ(h.pull_until("GID_hb1", "TopicTest", 0, 0, 1).size(), 1u);
  EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
}

TEST(AutoCreateLimitsTest, TopicRefusalsAreLoggedAtPowersOfTwoNotPerSend) {
  BrokerHarness h("autoCreateTopicMaxNums=10\n", false);
  h.start_broker();
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    const RemotingCommand r = h.send("Auto" + std::to_string(i), 0, "x");
    if (r.code == rc::kTopicNotExist) {
      ++refused;
      EXPECT_NE(remark_of(r).find("autoCreateTopicMaxNums=10"), std::string::npos) << remark_of(r);
    } else {
      EXPECT_EQ(r.code, rc::kSuccess) << remark_of(r);
    }
  }
  ASSERT_GE(refused, 20);
  const std::string log = h.broker_log();
  EXPECT_EQ(count_of(log, "not auto-created (1 refused so far)"), 1u) << log;
  EXPECT_EQ(count_of(log, "(3 refused so far)"), 0u) << log;
  EXPECT_LE(count_of(log, "not auto-created ("), 6u) << log;
  EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
}

TEST(AutoCreateLimitsTest, ZeroTurnsGroupAutoCreationOffAndANegativeLimitIsAConfigError) {
  {
    BrokerHarness h("autoCreateSubscriptionGroupMaxNums=0\n", false);
    h.start_broker();
    ASSERT_EQ(h.create_topic("TopicTest", 1).code, rc::kSuccess);
    EXPECT_EQ(h.call(BrokerHarness::pull_request("GID_zero", "TopicTest", 0, 0)).code, rc::kSubscriptionGroupNotExist);
    // The built-in groups exist and are served.
    EXPECT_NE(h.call(BrokerHarness::pull_request("TOOLS_CONSUMER", "TopicTest", 0, 0)).code,
              rc::kSubscriptionGroupNotExist);
    EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
  }
  BrokerHarness bad("autoCreateSubscriptionGroupMaxNums=-1\n", false);
  test_support::ProcessOptions options;
  options.timeout = std::chrono::milliseconds(15'000);
  const auto r = test_support::run_process({RMQ_BINARY_DIR "/rmq-broker", "-c", bad.conf_path().string()}, options);
  EXPECT_FALSE(r.timed_out) << "the broker started with a negative limit";
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("autoCreateSubscriptionGroupMaxNums"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rmq::integration
