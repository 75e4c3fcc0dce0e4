// plain_acl.yml as upstream writes it (conf/plain_acl.yml of 4.9.x), and files we refuse with the line.
#include "broker/acl/acl_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::acl {
namespace {

// Upstream's sample file, keys and layout unchanged (values ours).
constexpr const char* kUpstreamStyle = R"(globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      # the group should convert to retry topic
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    # if it is admin, it could access all resources
    admin: true
dataVersion:
  - counter: 1
    timestamp: 1733400000000
)";

AclConfigError parse_error(const std::string& text) {
  try {
    parse_acl_rules(text, "conf/plain_acl.yml");
  } catch (const AclConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return AclConfigError("");
}

TEST(AclRules, ParsesTheUpstreamKeys) {
  const AclRules rules = parse_acl_rules(kUpstreamStyle, "plain_acl.yml");
  ASSERT_EQ(rules.global_white_remote_addresses.size(), 2u);
  EXPECT_TRUE(rules.global_white_remote_addresses[0].matches("10.10.103.5"));
  EXPECT_TRUE(rules.global_white_remote_addresses[1].matches("192.168.0.9"));
  EXPECT_FALSE(rules.global_white_remote_addresses[1].matches("192.168.1.9"));
  ASSERT_EQ(rules.accounts.size(), 2u);

  const Account& a = rules.accounts.at("RocketMQ");
  EXPECT_EQ(a.access_key, "RocketMQ");
  EXPECT_EQ(a.secret_key, "12345678");
  EXPECT_TRUE(a.white_remote_address.empty());
  EXPECT_FALSE(a.admin);
  EXPECT_EQ(a.default_topic_perm, kDeny);
  EXPECT_EQ(a.default_group_perm, kSub);
  ASSERT_EQ(a.topic_perms.size(), 3u);
  EXPECT_EQ(a.topic_perms.at("topicA"), kDeny);
  EXPECT_EQ(a.topic_perms.at("topicB"), kPub | kSub);
  EXPECT_EQ(a.topic_perms.at("topicC"), kSub);
  ASSERT_EQ(a.group_perms.size(), 3u);
  EXPECT_EQ(a.group_perms.at("groupA"), kDeny);
  EXPECT_EQ(a.group_perms.at("groupB"), kPub | kSub);
  EXPECT_EQ(a.group_perms.at("groupC"), kSub);

  const Account& b = rules.accounts.at("rocketmq2");
  EXPECT_TRUE(b.admin);
  EXPECT_TRUE(b.white_remote_address.matches("192.168.1.77"));
  EXPECT_FALSE(b.white_remote_address.matches("192.168.2.77"));
  EXPECT_EQ(b.default_topic_perm, kDeny);  // absent: DENY, as upstream's parsePermFromString(null)
  EXPECT_EQ(b.default_group_perm, kDeny);
  EXPECT_TRUE(b.topic_perms.empty());
}

TEST(AclRules, FlowListsAndPubSubInEitherOrder) {
  const AclRules rules = parse_acl_rules(
      "accounts:\n"
      "  - {accessKey: producer1, secretKey: secret-p1, defaultTopicPerm: PUB, topicPerms: [t1=SUB|PUB, t2=PUB]}\n",
      "x.yml");
  const Account& a = rules.accounts.at("producer1");
  EXPECT_EQ(a.default_topic_perm, kPub);
  EXPECT_EQ(a.topic_perms.at("t1"), kPub | kSub);
  EXPECT_EQ(a.topic_perms.at("t2"), kPub);
  EXPECT_TRUE(rules.global_white_remote_addresses.empty());
}

TEST(AclRules, BadPermIsRefusedWithItsLine) {
  const std::string text =
      "accounts:\n"                    // 1
      "  - accessKey: RocketMQ\n"      // 2
      "    secretKey: 12345678\n"      // 3
      "    topicPerms:\n"              // 4
      "      - topicA=PUB\n"           // 5
      "      - topicB=PUBLISH\n";      // 6
  const std::string what = parse_error(text).what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:6: ", 0), 0u) << what;
  EXPECT_NE(what.find("PUBLISH"), std::string::npos) << what;
}

TEST(AclRules, BadDefaultPermIsRefusedWithItsLine) {
  const std::string what = parse_error(
                               "accounts:\n"
                               "  - accessKey: RocketMQ\n"
                               "    secretKey: 12345678\n"
                               "    defaultGroupPerm: READ\n")
                               .what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:4: ", 0), 0u) << what;
}

TEST(AclRules, UnknownKeyIsRefusedWithItsLine) {
  const std::string what = parse_error(
                               "globalWhiteRemoteAddresses: []\n"
                               "accounts:\n"
                               "  - accessKey: RocketMQ\n"
                               "    secretKey: 12345678\n"
                               "    defaultTopicPerms: PUB\n")
                               .what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:5: ", 0), 0u) << what;
  EXPECT_NE(what.find("defaultTopicPerms"), std::string::npos) << what;
  const std::string top = parse_error("globalWhiteRemoteAddress:\n  - 1.2.3.*\n").what();
  EXPECT_EQ(top.rfind("conf/plain_acl.yml:1: ", 0), 0u) << top;
}

TEST(AclRules, YamlSyntaxErrorNamesItsLine) {
  const std::string what = parse_error(
                               "accounts:\n"
                               "  - accessKey: RocketMQ\n"
                               "    secretKey: [12345678\n"
                               "    admin: true\n")
                               .what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:", 0), 0u) << what;
  EXPECT_EQ(what.find("conf/plain_acl.yml:0:"), std::string::npos) << what;
}

TEST(AclRules, ShortKeysDuplicatesAndBadAddressesAreRefused) {
  std::string what = parse_error("accounts:\n  - accessKey: short\n    secretKey: 12345678\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:2: ", 0), 0u) << what;
  what = parse_error("accounts:\n  - accessKey: RocketMQ\n    secretKey: 123456\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:2: ", 0), 0u) << what;
  EXPECT_EQ(what.find("123456"), std::string::npos) << "a secret must not be printed: " << what;
  what = parse_error(
             "accounts:\n"
             "  - accessKey: RocketMQ\n"
             "    secretKey: 12345678\n"
             "  - accessKey: RocketMQ\n"
             "    secretKey: 87654321\n")
             .what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:4: ", 0), 0u) << what;
  what = parse_error("globalWhiteRemoteAddresses:\n  - 10.10.103.*\n  - 10.10.300.*\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:3: ", 0), 0u) << what;
  what = parse_error("accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    admin: maybe\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:4: ", 0), 0u) << what;
  what = parse_error("accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    topicPerms:\n      - =PUB\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:5: ", 0), 0u) << what;
}

TEST(AclRules, EmptyOrNonMapFileIsRefused) {
  std::string what = parse_error("").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:1: ", 0), 0u) << what;
  what = parse_error("# only a comment\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:1: ", 0), 0u) << what;
  what = parse_error("- a\n- b\n").what();
  EXPECT_EQ(what.rfind("conf/plain_acl.yml:1: ", 0), 0u) << what;
}

TEST(AclRules, MissingFileIsAnError) {
  try {
    load_acl_rules("/nonexistent/dir/plain_acl.yml");
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const AclConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/plain_acl.yml"), std::string::npos);
  }
}

}  // namespace
}  // namespace rmq::acl
