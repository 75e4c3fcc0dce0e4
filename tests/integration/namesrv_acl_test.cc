// rmq-namesrv with aclEnable=true (issue 14 part 2, Done-when 2): REGISTER_BROKER and
// WIPE_WRITE_PERM_OF_BROKER unsigned, wrongly signed or signed by a non-admin account are refused with 16
// and leave the routes as they were; route reads stay open; a real rmq-broker with an admin
// accessKey/secretKey in its config registers, one without credentials does not.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "broker/acl/signature.h"
#include "broker/common/crc32.h"
#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "tests/integration/broker_test_harness.h"
#include "tests/support/background_process.h"

namespace rmq::namesrv {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::RemotingCommand;

constexpr std::int64_t kTimeoutMs = 5000;

constexpr const char* kAclFile = R"(accounts:
  - accessKey: brokerAdmin
    secretKey: broker-secret-1
    admin: true
  - accessKey: clientAccess
    secretKey: client-secret-1
    defaultTopicPerm: PUB|SUB
)";

std::string text_of(const common::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

RemotingCommand register_request(const std::string& addr) {
  const std::string body =
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1700000000000},)"
      R"("topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",)"
      R"("topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}})";
  RemotingCommand request = remoting::make_request(code::kRegisterBroker);
  request.ext_fields.set("brokerName", "broker-a");
  request.ext_fields.set("brokerAddr", addr);
  request.ext_fields.set("clusterName", "DefaultCluster");
  request.ext_fields.set("haServerAddr", "127.0.0.1:10912");
  request.ext_fields.set_int("brokerId", 0);
  request.ext_fields.set("compressed", "false");
  request.body.assign(body.begin(), body.end());
  request.ext_fields.set_int("bodyCrc32", common::masked_crc32(request.body));
  return request;
}

RemotingCommand route_request(const std::string& topic) {
  RemotingCommand request = remoting::make_request(code::kGetRouteinfoByTopic);
  request.ext_fields.set("topic", topic);
  return request;
}

RemotingCommand wipe_request() {
  RemotingCommand request = remoting::make_request(code::kWipeWritePermOfBroker);
  request.ext_fields.set("brokerName", "broker-a");
  return request;
}

class NamesrvAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = test_support::free_tcp_port();
    std::ofstream(dir_.path() / "plain_acl.yml") << kAclFile;
    const auto conf = dir_.path() / "namesrv.conf";
    std::ofstream(conf) << "kvConfigPath=" << (dir_.path() / "kvConfig.json").string() << "\naclEnable=true\n"
                        << "plainAclFile=" << (dir_.path() / "plain_acl.yml").string() << "\n";
    process_.emplace(std::vector<std::string>{RMQ_BINARY_DIR "/rmq-namesrv", "-c", conf.string(), "--listen-port",
                                              std::to_string(port_)},
                     dir_.path() / "namesrv.log");
    ASSERT_TRUE(process_->wait_for_port(port_, std::chrono::seconds(20))) << process_->log();
  }
  void TearDown() override { client_.close(); }

  RemotingCommand call(RemotingCommand request) {
    auto connection = connection_ ? connection_ : (connection_ = client_.connect("127.0.0.1", port_, kTimeoutMs));
    const remoting::InvokeResult result = connection->invoke_sync(std::move(request), kTimeoutMs);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.response;
  }
  static RemotingCommand signed_by(RemotingCommand request, const std::string& ak, const std::string& sk) {
    acl::sign_request(request, ak, sk);
    return request;
  }

  rmq::testing::TempDir dir_;
  std::uint16_t port_ = 0;
  std::optional<test_support::BackgroundProcess> process_;
  remoting::RemotingClient client_;
  std::shared_ptr<remoting::Connection> connection_;
};

TEST_F(NamesrvAclTest, OnlyAnAdminSignatureRegistersOrWipesAndRoutesStayUnchanged) {
  RemotingCommand response = call(signed_by(register_request("127.0.0.1:10911"), "brokerAdmin", "broker-secret-1"));
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  response = call(route_request("TopicTest"));  // unsigned read: open
  ASSERT_EQ(response.code, rc::kSuccess);
  const std::string route = text_of(response.body);
  EXPECT_NE(route.find("127.0.0.1:10911"), std::string::npos) << route;

  struct Case {
    std::string what;
    RemotingCommand request;
    std::string remark;
  };
  const Case cases[] = {
      {"unsigned register", register_request("127.0.0.1:20000"), "No accessKey is configured"},
      {"wrong secret", signed_by(register_request("127.0.0.1:20000"), "brokerAdmin", "not-the-secret"),
       "Check signature failed for accessKey=brokerAdmin"},
      {"non-admin", signed_by(register_request("127.0.0.1:20000"), "clientAccess", "client-secret-1"),
       "Need admin permission for request code=103, but accessKey=clientAccess is not"},
      {"unsigned wipe", wipe_request(), "No accessKey is configured"},
      {"wrongly signed wipe", signed_by(wipe_request(), "brokerAdmin", "broker-secret-2"),
       "Check signature failed for accessKey=brokerAdmin"},
      {"non-admin wipe", signed_by(wipe_request(), "clientAccess", "client-secret-1"),
       "Need admin permission for request code=205, but accessKey=clientAccess is not"},
  };
  for (const Case& c : cases) {
    response = call(c.request);
    EXPECT_EQ(response.code, rc::kNoPermission) << c.what;
    EXPECT_EQ(response.remark.value_or(""), c.remark) << c.what;
    response = call(route_request("TopicTest"));
    EXPECT_EQ(text_of(response.body), route) << "routes changed after: " << c.what;
  }
  // A wrongly signed request carrying a valid signature of another request (replayed header, other body).
  RemotingCommand replay = signed_by(register_request("127.0.0.1:10911"), "brokerAdmin", "broker-secret-1");
  replay.ext_fields.set("brokerAddr", "127.0.0.1:20000");
  EXPECT_EQ(call(replay).code, rc::kNoPermission);
  EXPECT_EQ(text_of(call(route_request("TopicTest")).body), route);

  response = call(signed_by(wipe_request(), "brokerAdmin", "broker-secret-1"));
  EXPECT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  EXPECT_NE(text_of(call(route_request("TopicTest")).body), route) << "the admin's wipe changed nothing";
}

TEST_F(NamesrvAclTest, BrokerWithAdminCredentialsRegistersAndOneWithoutDoesNot) {
  const std::string namesrv = "namesrvAddr=127.0.0.1:" + std::to_string(port_) + "\n";
  integration::BrokerHarness without(namesrv, false);
  without.start_broker();
  integration::BrokerHarness with(namesrv + "brokerName=broker-signed\naccessKey=brokerAdmin\nsecretKey=broker-secret-1\n",
                                  false);
  with.start_broker();
  auto cluster_info = [&] { return text_of(call(remoting::make_request(code::kGetBrokerClusterInfo)).body); };
  bool registered = false;
  for (int i = 0; i < 200 && !registered; ++i) {
    registered = cluster_info().find("broker-signed") != std::string::npos;
    if (!registered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(registered) << cluster_info() << "\n" << with.broker_log();
  EXPECT_EQ(cluster_info().find("\"broker-t\""), std::string::npos) << "the unsigned broker registered";
  EXPECT_NE(process_->log().find("No accessKey is configured"), std::string::npos) << process_->log();
}

}  // namespace
}  // namespace rmq::namesrv
