// The follower sync's requests (slave_synchronize.h: 21, 43, 45, 201) carry the broker's AccessKey and an
// upstream-compatible Signature when broker.conf has accessKey/secretKey (issue 14: a leader or Master with
// aclEnable=true refuses unsigned requests from addresses outside its white lists), and none without them.
// The signature is checked here with HmacSHA1 over the request's content as upstream computes it.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "broker/acl/signature.h"
#include "broker/remoting/remoting_server.h"
#include "broker/server/request_fields.h"
#include "broker/server/slave_synchronize.h"
#include "tests/unit/server/broker_fixture.h"
#include "tests/unit/server/fake_message_store.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::server {
namespace {

struct Seen {
  std::int32_t code = 0;
  std::string access_key;
  std::string signature;
  std::string expected_signature;  // HmacSHA1("12345678", signed content), base64
};

class RecordingLeader {
 public:
  RecordingLeader() : server_(remoting::ServerOptions{"127.0.0.1", 0, 1}) {
    const std::pair<std::int32_t, std::string> answers[] = {
        {remoting::request_code::kGetAllTopicConfig,
         R"({"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{}})"},
        {remoting::request_code::kGetAllConsumerOffset, R"({"offsetTable":{}})"},
        {remoting::request_code::kGetAllDelayOffset, R"({"offsetTable":{1:3}})"},
        {remoting::request_code::kGetAllSubscriptionGroupConfig,
         R"({"dataVersion":{"counter":1,"timestamp":1},"subscriptionGroupTable":{}})"},
    };
    for (const auto& [request_code, body] : answers) {
      server_.register_handler(request_code, [this, body = body](remoting::RemotingCommand request,
                                                                  remoting::Responder responder) {
        {
          std::lock_guard lock(mu_);
          seen_.push_back({request.code, std::string(request.ext_fields.get(acl::kAccessKeyField).value_or("")),
                           std::string(request.ext_fields.get(acl::kSignatureField).value_or("")),
                           acl::hmac_sha1_base64("12345678", acl::signed_content(request))});
        }
        auto response = response_for(request, remoting::response_code::kSuccess);
        response.body.assign(body.begin(), body.end());
        responder.respond(std::move(response));
      });
    }
    server_.start();
  }
  ~RecordingLeader() { server_.stop(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  remoting::RemotingServer server_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

std::vector<Seen> one_round(const std::string& extra_conf) {
  rmq::testing::TempDir dir;
  RecordingLeader leader;
  test_support::FakeMessageStore store;
  BrokerServices follower(testing::test_config(extra_conf), store, false);
  {
    SlaveSynchronize sync(follower, (dir.path() / "delayOffset.json").string(), SlaveSyncOptions{},
                          [&] { return leader.address(); });
    EXPECT_TRUE(sync.sync_once());
  }
  follower.shutdown_pools();
  return leader.seen();
}

TEST(SlaveSyncSigning, RequestsAreSignedWithTheBrokersCredentials) {
  const std::vector<Seen> seen = one_round("accessKey=RocketMQ\nsecretKey=12345678\n");
  ASSERT_EQ(seen.size(), 4u);
  for (const Seen& s : seen) {
    EXPECT_EQ(s.access_key, "RocketMQ") << s.code;
    EXPECT_FALSE(s.signature.empty()) << s.code;
    EXPECT_EQ(s.signature, s.expected_signature) << s.code;
  }
}

TEST(SlaveSyncSigning, WithoutCredentialsNothingIsAdded) {
  const std::vector<Seen> seen = one_round("");
  ASSERT_EQ(seen.size(), 4u);
  for (const Seen& s : seen) {
    EXPECT_EQ(s.access_key, "") << s.code;
    EXPECT_EQ(s.signature, "") << s.code;
  }
}

}  // namespace
}  // namespace rmq::server
