// The request signature against values computed outside our code: the expected Base64 strings below were
// produced with Python's hmac/hashlib/base64 following ali-ons lib/channel.js (beforeRequest: AccessKey and
// OnsChannel=ALIYUN added to the custom header, values concatenated in sorted key order without Signature,
// then the body, HmacSHA1 with the secret, Base64), and cross-checked by running ali-ons's own
// Channel.prototype.beforeRequest on the same header in node:
//
//   python3 -c 'import hmac,hashlib,base64; f={...}; s="".join(f[k] for k in sorted(f)).encode()+body;
//               print(base64.b64encode(hmac.new(b"12345678", s, hashlib.sha1).digest()).decode())'
#include "broker/acl/signature.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "broker/acl/access_validator.h"
#include "tests/unit/acl/acl_test_util.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::acl {
namespace {

using testing::request;

// SEND_MESSAGE_V2 as ali-ons sends it (header fields a..m), signed by AccessKey RocketMQ / secret 12345678.
remoting::RemotingCommand send_v2(const std::string& signature) {
  return request(310,
                 {{"a", "PID_acl"}, {"b", "TopicA"}, {"c", "TBW102"}, {"d", "4"}, {"e", "1"}, {"f", "0"},
                  {"g", "1733400000000"}, {"h", "0"}, {"i", "TAGS\x01TagA\x02"}, {"j", "0"}, {"k", "false"},
                  {"m", "false"}, {"AccessKey", "RocketMQ"}, {"OnsChannel", "ALIYUN"}, {"Signature", signature}},
                 "hello acl");
}
constexpr const char* kSendV2Signature = "ox/71CQRs1e5XyT0/aMOALjmMQk=";

// PULL_MESSAGE, no body.
remoting::RemotingCommand pull(const std::string& signature) {
  return request(11, {{"consumerGroup", "GID_acl"}, {"topic", "TopicA"}, {"queueId", "0"}, {"queueOffset", "0"},
                      {"maxMsgNums", "32"}, {"sysFlag", "2"}, {"commitOffset", "0"},
                      {"suspendTimeoutMillis", "15000"}, {"subscription", "*"}, {"subVersion", "0"},
                      {"AccessKey", "RocketMQ"}, {"OnsChannel", "ALIYUN"}, {"Signature", signature}});
}
constexpr const char* kPullSignature = "q2pMdS+X3aS+wWq/hRsRxaMgTRE=";

TEST(AclSignature, HmacSha1MatchesRfc2202) {
  // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?") = effcdf6a...7c79.
  EXPECT_EQ(hmac_sha1_base64("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

TEST(AclSignature, SignedContentIsSortedValuesThenBody) {
  EXPECT_EQ(signed_content(send_v2("ignored")),
            std::string("RocketMQALIYUNPID_aclTopicATBW10241017334000000000TAGS\x01TagA\x02" "0falsefalse") +
                "hello acl");
}

TEST(AclSignature, MatchesTheAliOnsAlgorithm) {
  EXPECT_EQ(hmac_sha1_base64("12345678", signed_content(send_v2(kSendV2Signature))), kSendV2Signature);
  EXPECT_EQ(hmac_sha1_base64("12345678", signed_content(pull(kPullSignature))), kPullSignature);
}

TEST(AclSignature, SignatureUniqueKeyQueryAndForwardMarkAreNotSigned) {
  remoting::RemotingCommand r = pull(kPullSignature);
  r.ext_fields.set("_UNIQUE_KEY_QUERY", "true");
  r.ext_fields.set("rmqForwardedBy", "127.0.0.1:10911");
  EXPECT_EQ(hmac_sha1_base64("12345678", signed_content(r)), kPullSignature);
  r.ext_fields.set("queueId", "1");
  EXPECT_NE(hmac_sha1_base64("12345678", signed_content(r)), kPullSignature);
}

// The streaming form (the one the validator and sign_request use) against the literal values, with two secrets
// alternating on one thread (each has its own cached keyed state), the unsigned fields present, and from
// several threads at once (each thread keys its own state).
TEST(AclSignature, RequestSignatureMatchesTheLiteralValuesWithAlternatingSecretsAndThreads) {
  remoting::RemotingCommand p = pull("x");
  p.ext_fields.set("_UNIQUE_KEY_QUERY", "true");
  p.ext_fields.set("rmqForwardedBy", "127.0.0.1:10911");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(request_signature(send_v2("x"), "12345678"), kSendV2Signature);
    EXPECT_EQ(request_signature(p, "Jefe-other-secret"), hmac_sha1_base64("Jefe-other-secret", signed_content(p)));
    EXPECT_EQ(request_signature(p, "12345678"), kPullSignature);
  }
  remoting::RemotingCommand empty = request(34, {});
  EXPECT_EQ(request_signature(empty, "12345678"), hmac_sha1_base64("12345678", ""));
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (request_signature(send_v2("x"), "12345678") != kSendV2Signature) ++wrong;
        if (request_signature(p, "12345678") != kPullSignature) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(AclSignature, SignRequestProducesTheSameSignature) {
  remoting::RemotingCommand r = send_v2("stale");
  r.ext_fields.erase("AccessKey");
  sign_request(r, "RocketMQ", "12345678");
  EXPECT_EQ(r.ext_fields.get("AccessKey"), "RocketMQ");
  EXPECT_EQ(r.ext_fields.get("Signature"), kSendV2Signature);
}

TEST(AclSignature, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("xbc", "abc"));
}

TEST(AclSignature, ValidatorAcceptsTheLiteralSignatureAndNothingElse) {
  rmq::testing::TempDir dir;
  const auto file = dir.path() / "plain_acl.yml";
  testing::write_text(file,
                      "accounts:\n"
                      "  - accessKey: RocketMQ\n"
                      "    secretKey: 12345678\n"
                      "    defaultTopicPerm: PUB|SUB\n"
                      "    defaultGroupPerm: SUB\n");
  AccessValidator validator(file.string(), "test");
  EXPECT_EQ(validator.check(send_v2(kSendV2Signature), "127.0.0.1:40000"), std::nullopt);
  EXPECT_EQ(validator.check(pull(kPullSignature), "127.0.0.1:40000"), std::nullopt);

  std::string wrong = kSendV2Signature;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(validator.check(send_v2(wrong), "127.0.0.1:40000"), "Check signature failed for accessKey=RocketMQ");
  // The same header with another body: the signature covers the body.
  remoting::RemotingCommand other_body = send_v2(kSendV2Signature);
  other_body.body.push_back('!');
  EXPECT_EQ(validator.check(other_body, "127.0.0.1:40000"), "Check signature failed for accessKey=RocketMQ");
  remoting::RemotingCommand unsigned_request = pull(kPullSignature);
  unsigned_request.ext_fields.erase("Signature");
  EXPECT_EQ(validator.check(unsigned_request, "127.0.0.1:40000"), "Check signature failed for accessKey=RocketMQ");
}

}  // namespace
}  // namespace rmq::acl
