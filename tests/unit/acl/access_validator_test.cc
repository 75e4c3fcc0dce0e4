// The ACL decision per request code (upstream PlainAccessResource.parse / PlainPermissionManager.validate,
// 4.9.x), the white lists, admin codes, and reloading plain_acl.yml. Requests here are signed with our
// sign_request; signature_test.cc checks that signer against literal values computed outside our code.
#include "broker/acl/access_validator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "broker/acl/signature.h"
#include "tests/unit/acl/acl_test_util.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::acl {
namespace {

using testing::request;
using Fields = std::initializer_list<std::pair<std::string, std::string>>;

constexpr const char* kRules = R"(globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: producerAK
    secretKey: producer-secret
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms:
      - TopicA=PUB
      - TopicB=SUB
      - TopicC=PUB|SUB
    groupPerms:
      - PID_a=PUB
  - accessKey: consumerAK
    secretKey: consumer-secret
    defaultTopicPerm: SUB
    defaultGroupPerm: DENY
    topicPerms:
      - TopicSecret=DENY
    groupPerms:
      - GID_a=SUB
      - GID_b=PUB|SUB
  - accessKey: adminAK
    secretKey: admin-secret
    admin: true
  - accessKey: limitedAdmin
    secretKey: limited-secret
    admin: true
    topicPerms:
      - TopicA=SUB
  - accessKey: officeAK
    secretKey: office-secret
    whiteRemoteAddress: 192.168.1.1-100
    defaultTopicPerm: DENY
)";

const char* secret_of(const std::string& ak) {
  if (ak == "producerAK") return "producer-secret";
  if (ak == "consumerAK") return "consumer-secret";
  if (ak == "adminAK") return "admin-secret";
  if (ak == "limitedAdmin") return "limited-secret";
  return "office-secret";
}

class AccessValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.path() / "plain_acl.yml";
    testing::write_text(file_, kRules);
    validator_ = std::make_unique<AccessValidator>(file_.string(), "test");
  }

  std::optional<std::string> signed_check(const std::string& ak, std::int32_t code, Fields fields,
                                          const std::string& body = "", const std::string& peer = "127.0.0.1:5000",
                                          bool admin_only = false) {
    remoting::RemotingCommand r = request(code, fields, body);
    sign_request(r, ak, secret_of(ak));
    return validator_->check(r, peer, admin_only);
  }
  static std::string denied(const std::string& what) { return "No default permission for " + what; }

  rmq::testing::TempDir dir_;
  std::filesystem::path file_;
  std::unique_ptr<AccessValidator> validator_;
};

TEST_F(AccessValidatorTest, SendNeedsTopicPub) {
  EXPECT_EQ(signed_check("producerAK", 310, {{"a", "PID_a"}, {"b", "TopicA"}}), std::nullopt);
  EXPECT_EQ(signed_check("producerAK", 310, {{"a", "PID_a"}, {"b", "TopicC"}}), std::nullopt);
  EXPECT_EQ(signed_check("producerAK", 310, {{"a", "PID_a"}, {"b", "TopicB"}}), denied("topic:TopicB"));
  EXPECT_EQ(signed_check("producerAK", 310, {{"a", "PID_a"}, {"b", "Other"}}), denied("topic:Other"));
  EXPECT_EQ(signed_check("producerAK", 320, {{"a", "PID_a"}, {"b", "TopicB"}}), denied("topic:TopicB"));
  // SEND_MESSAGE (V1 header): the topic is in "topic".
  EXPECT_EQ(signed_check("producerAK", 10, {{"producerGroup", "PID_a"}, {"topic", "TopicA"}}), std::nullopt);
  EXPECT_EQ(signed_check("producerAK", 10, {{"producerGroup", "PID_a"}, {"topic", "TopicB"}}), denied("topic:TopicB"));
  // A consumer account with topic SUB cannot send.
  EXPECT_EQ(signed_check("consumerAK", 310, {{"a", "GID_a"}, {"b", "TopicA"}}), denied("topic:TopicA"));
}

TEST_F(AccessValidatorTest, PullNeedsTopicSubAndGroupSub) {
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_a"}, {"topic", "TopicA"}}), std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_c"}, {"topic", "TopicA"}}), denied("group:GID_c"));
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_a"}, {"topic", "TopicSecret"}}),
            denied("topic:TopicSecret"));
  // The producer owns TopicA as PUB only: no pull.
  EXPECT_EQ(signed_check("producerAK", 11, {{"consumerGroup", "PID_a"}, {"topic", "TopicA"}}), denied("topic:TopicA"));
}

TEST_F(AccessValidatorTest, OffsetsAndConsumerListNeedTheGroup) {
  EXPECT_EQ(signed_check("consumerAK", 15, {{"consumerGroup", "GID_a"}, {"topic", "TopicA"}, {"queueId", "0"}}),
            std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 15, {{"consumerGroup", "GID_x"}, {"topic", "TopicA"}}), denied("group:GID_x"));
  EXPECT_EQ(signed_check("consumerAK", 14, {{"consumerGroup", "GID_x"}, {"topic", "TopicA"}}), denied("group:GID_x"));
  EXPECT_EQ(signed_check("consumerAK", 38, {{"consumerGroup", "GID_a"}}), std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 38, {{"consumerGroup", "GID_x"}}), denied("group:GID_x"));
  EXPECT_EQ(signed_check("consumerAK", 35, {{"clientID", "c1"}, {"consumerGroup", "GID_x"}}), denied("group:GID_x"));
  // A producer's UNREGISTER_CLIENT names no consumer group: a valid signature is enough.
  EXPECT_EQ(signed_check("producerAK", 35, {{"clientID", "c1"}, {"producerGroup", "PID_a"}}), std::nullopt);
}

TEST_F(AccessValidatorTest, HeartbeatChecksEveryGroupAndSubscribedTopic) {
  const std::string ok = R"({"clientID":"c1","producerDataSet":[{"groupName":"PID_x"}],"consumerDataSet":[
      {"groupName":"GID_a","subscriptionDataSet":[{"topic":"TopicA","subString":"*"},{"topic":"%RETRY%GID_a"}]},
      {"groupName":"GID_b","subscriptionDataSet":[{"topic":"TopicC"}]}]})";
  EXPECT_EQ(signed_check("consumerAK", 34, {}, ok), std::nullopt);
  const std::string bad_group = R"({"clientID":"c1","consumerDataSet":[
      {"groupName":"GID_a","subscriptionDataSet":[]},{"groupName":"GID_z","subscriptionDataSet":[]}]})";
  EXPECT_EQ(signed_check("consumerAK", 34, {}, bad_group), denied("group:GID_z"));
  const std::string bad_topic = R"({"clientID":"c1","consumerDataSet":[
      {"groupName":"GID_a","subscriptionDataSet":[{"topic":"TopicSecret"}]}]})";
  EXPECT_EQ(signed_check("consumerAK", 34, {}, bad_topic), denied("topic:TopicSecret"));
  // A producer's heartbeat names no consumer group.
  EXPECT_EQ(signed_check("producerAK", 34, {}, R"({"clientID":"p","producerDataSet":[{"groupName":"PID_a"}]})"),
            std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 34, {}, "not json"), "heartbeat body is not a JSON object");
}

TEST_F(AccessValidatorTest, RetryAndDlqTopicsAreCheckedAsTheirGroup) {
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_a"}, {"topic", "%RETRY%GID_a"}}), std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_a"}, {"topic", "%RETRY%GID_c"}}),
            denied("group:GID_c"));
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_a"}, {"topic", "%DLQ%GID_a"}}), std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 11, {{"consumerGroup", "GID_a"}, {"topic", "%DLQ%GID_c"}}),
            denied("group:GID_c"));
  // A send to the group's retry topic (ali-ons when a send-back fails) needs the group, not topic PUB.
  EXPECT_EQ(signed_check("consumerAK", 310, {{"a", "GID_a"}, {"b", "%RETRY%GID_a"}}), std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 310, {{"a", "GID_c"}, {"b", "%RETRY%GID_c"}}), denied("group:GID_c"));
}

TEST_F(AccessValidatorTest, SendBackNeedsTheGroupOnly) {
  // 4.9.x: CONSUMER_SEND_MSG_BACK needs the group; a consumer that may only SUB the topic can retry.
  EXPECT_EQ(signed_check("consumerAK", 36, {{"group", "GID_a"}, {"originTopic", "TopicA"}, {"offset", "0"}}),
            std::nullopt);
  EXPECT_EQ(signed_check("consumerAK", 36, {{"group", "GID_c"}, {"originTopic", "TopicA"}}), denied("group:GID_c"));
}

TEST_F(AccessValidatorTest, AdminCodesNeedAnAdminAccount) {
  const Fields create = {{"topic", "NewTopic"}, {"readQueueNums", "4"}, {"writeQueueNums", "4"}, {"perm", "6"}};
  EXPECT_EQ(signed_check("producerAK", 17, create),
            "Need admin permission for request code=17, but accessKey=producerAK is not");
  EXPECT_EQ(signed_check("consumerAK", 200, {}),
            "Need admin permission for request code=200, but accessKey=consumerAK is not");
  EXPECT_EQ(signed_check("adminAK", 17, create), std::nullopt);
  EXPECT_EQ(signed_check("adminAK", 215, {{"topic", "x"}}), std::nullopt);
}

TEST_F(AccessValidatorTest, AdminWithoutRulesMayUseEverythingButRulesStillBind) {
  EXPECT_EQ(signed_check("adminAK", 310, {{"a", "P"}, {"b", "AnyTopic"}}), std::nullopt);
  EXPECT_EQ(signed_check("adminAK", 11, {{"consumerGroup", "G"}, {"topic", "AnyTopic"}}), std::nullopt);
  // An admin account with topicPerms is checked against them (upstream: ownedPermMap != null).
  EXPECT_EQ(signed_check("limitedAdmin", 310, {{"a", "P"}, {"b", "TopicA"}}), denied("topic:TopicA"));
  EXPECT_EQ(signed_check("limitedAdmin", 17, {{"topic", "T"}}), std::nullopt);
}

TEST_F(AccessValidatorTest, MissingOrUnknownKeysAreRefused) {
  EXPECT_EQ(validator_->check(request(310, {{"a", "P"}, {"b", "TopicA"}}), "127.0.0.1:1"),
            "No accessKey is configured");
  remoting::RemotingCommand r = request(310, {{"a", "P"}, {"b", "TopicA"}});
  sign_request(r, "nobodyAK", "whatever-secret");
  EXPECT_EQ(validator_->check(r, "127.0.0.1:1"), "No acl config for nobodyAK");
  remoting::RemotingCommand wrong = request(310, {{"a", "P"}, {"b", "TopicA"}});
  sign_request(wrong, "producerAK", "not-the-secret");
  EXPECT_EQ(validator_->check(wrong, "127.0.0.1:1"), "Check signature failed for accessKey=producerAK");
}

TEST_F(AccessValidatorTest, GlobalWhiteAddressNeedsNoSignature) {
  EXPECT_EQ(validator_->check(request(310, {{"b", "Anything"}}), "10.10.103.7:4000"), std::nullopt);
  EXPECT_EQ(validator_->check(request(17, {{"topic", "T"}}), "10.10.103.7:4000"), std::nullopt);
  EXPECT_EQ(validator_->check(request(310, {{"b", "Anything"}}), "10.10.104.7:4000"), "No accessKey is configured");
}

TEST_F(AccessValidatorTest, AccountWhiteAddressNeedsNoSignature) {
  remoting::RemotingCommand r = request(310, {{"b", "TopicZ"}, {"AccessKey", "officeAK"}});
  EXPECT_EQ(validator_->check(r, "192.168.1.50:4000"), std::nullopt);
  EXPECT_EQ(validator_->check(r, "192.168.1.150:4000"), "Check signature failed for accessKey=officeAK");
  // The name server's admin-only codes still need an admin account from such an address.
  remoting::RemotingCommand reg = request(103, {{"brokerName", "b"}, {"AccessKey", "officeAK"}});
  EXPECT_EQ(validator_->check(reg, "192.168.1.50:4000", true),
            "Need admin permission for request code=103, but accessKey=officeAK is not");
}

TEST_F(AccessValidatorTest, AdminOnlyForNameServerCodes) {
  EXPECT_EQ(signed_check("producerAK", 205, {{"brokerName", "b"}}, "", "127.0.0.1:1", true),
            "Need admin permission for request code=205, but accessKey=producerAK is not");
  EXPECT_EQ(signed_check("adminAK", 205, {{"brokerName", "b"}}, "", "127.0.0.1:1", true), std::nullopt);
  EXPECT_EQ(validator_->check(request(103, {{"brokerName", "b"}}), "127.0.0.1:1", true), "No accessKey is configured");
}

TEST_F(AccessValidatorTest, ChangedFileIsReloadedAndABadOneKeepsTheOldRules) {
  EXPECT_FALSE(validator_->reload_if_changed());  // unchanged
  EXPECT_EQ(signed_check("producerAK", 310, {{"b", "TopicB"}}), denied("topic:TopicB"));
  std::string text = kRules;
  text.replace(text.find("TopicB=SUB"), 10, "TopicB=PUB");
  testing::write_text(file_, text);
  EXPECT_TRUE(validator_->reload_if_changed());
  EXPECT_EQ(signed_check("producerAK", 310, {{"b", "TopicB"}}), std::nullopt);

  const auto before = validator_->rules();
  testing::write_text(file_, text + "  - accessKey: broken\n    secretKey: 12345678\n    admin: perhaps\n");
  EXPECT_FALSE(validator_->reload_if_changed());
  EXPECT_EQ(validator_->rules(), before) << "a bad file must leave the rules in force";
  EXPECT_EQ(signed_check("producerAK", 310, {{"b", "TopicB"}}), std::nullopt);
  testing::write_text(file_, "");  // an editor's truncate before it writes
  EXPECT_FALSE(validator_->reload_if_changed());
  EXPECT_EQ(validator_->rules(), before);
  EXPECT_EQ(signed_check("adminAK", 17, {}), std::nullopt);
}

TEST_F(AccessValidatorTest, WatcherPicksUpAnEditWithoutACall) {
  validator_->start_watching(20);
  std::string text = kRules;
  text.replace(text.find("TopicB=SUB"), 10, "TopicB=PUB");
  testing::write_text(file_, text);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (signed_check("producerAK", 310, {{"b", "TopicB"}}) != std::nullopt &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(signed_check("producerAK", 310, {{"b", "TopicB"}}), std::nullopt);
  validator_->stop_watching();
}

TEST(AccessValidatorStart, BadFileRefusesTheStart) {
  rmq::testing::TempDir dir;
  const auto file = dir.path() / "plain_acl.yml";
  testing::write_text(file, "accounts:\n  - accessKey: RocketMQ\n    secretKey: 1234\n");
  EXPECT_THROW(AccessValidator(file.string(), "test"), AclConfigError);
  EXPECT_THROW(AccessValidator((dir.path() / "missing.yml").string(), "test"), AclConfigError);
}

}  // namespace
}  // namespace rmq::acl
