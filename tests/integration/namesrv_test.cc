// The real rmq-namesrv binary on a loopback port, driven through our RemotingClient as brokers and clients
// would drive it (remoting.md 3): registration of a master and a slave, routes, the drop of a broker whose
// connection closes, expiry, 17 for unknown topics, 3 for unknown codes, malformed frames closing only their
// own connection, and the exit codes of the binary.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "broker/common/crc32.h"
#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "tests/cli/run_process.h"
#include "tests/support/background_process.h"

namespace rmq::namesrv {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::RemotingCommand;
using test_support::BackgroundProcess;
using test_support::free_tcp_port;

constexpr std::int64_t kTimeoutMs = 5000;
const std::string kBinary = RMQ_BINARY_DIR "/rmq-namesrv";

std::string text_of(const common::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

RemotingCommand register_request(const std::string& name, std::int64_t id, const std::string& addr) {
  const std::string body =
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1700000000000},)"
      R"("topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",)"
      R"("topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}})";
  RemotingCommand request = remoting::make_request(code::kRegisterBroker);
  request.ext_fields.set("brokerName", name);
  request.ext_fields.set("brokerAddr", addr);
  request.ext_fields.set("clusterName", "DefaultCluster");
  request.ext_fields.set("haServerAddr", addr.substr(0, addr.find(':')) + ":10912");
  request.ext_fields.set_int("brokerId", id);
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

// Polls `condition` every 20 ms for up to 10 s (the server reacts to a close asynchronously).
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

class NamesrvProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rmq-namesrv-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    client_.close();
    process_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(const std::string& extra_config = "") {
    port_ = free_tcp_port();
    const auto conf = dir_ / "namesrv.conf";
    std::ofstream(conf) << "kvConfigPath=" << (dir_ / "kvConfig.json").string() << "\n" << extra_config;
    process_.emplace(std::vector<std::string>{kBinary, "-c", conf.string(), "--listen-port", std::to_string(port_)},
                     dir_ / "namesrv.log");
    ASSERT_TRUE(process_->wait_for_port(port_, std::chrono::seconds(20))) << process_->log();
  }
  std::shared_ptr<remoting::Connection> connect() { return client_.connect("127.0.0.1", port_, kTimeoutMs); }
  RemotingCommand call(const std::shared_ptr<remoting::Connection>& connection, const RemotingCommand& request) {
    const remoting::InvokeResult result = connection->invoke_sync(request, kTimeoutMs);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.response;
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::optional<BackgroundProcess> process_;
  remoting::RemotingClient client_;
};

TEST_F(NamesrvProcessTest, MasterAndSlaveRouteClusterInfoTopicList) {
  start();
  auto master = connect();
  auto slave = connect();
  auto client = connect();
  RemotingCommand response = call(master, register_request("broker-a", 0, "127.0.0.1:10911"));
  EXPECT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  response = call(slave, register_request("broker-a", 1, "127.0.0.1:10921"));
  EXPECT_EQ(response.code, rc::kSuccess);
  EXPECT_EQ(response.ext_fields.get("masterAddr"), "127.0.0.1:10911");
  EXPECT_EQ(response.ext_fields.get("haServerAddr"), "127.0.0.1:10912");

  response = call(client, route_request("TopicTest"));
  EXPECT_EQ(response.code, rc::kSuccess);
  EXPECT_EQ(text_of(response.body),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,)"
            R"("readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");

  response = call(client, remoting::make_request(code::kGetBrokerClusterInfo));
  EXPECT_EQ(text_of(response.body),
            R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"},)"
            R"("brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}})");
  response = call(client, remoting::make_request(code::kGetAllTopicListFromNameserver));
  EXPECT_EQ(text_of(response.body), R"({"topicList":["TopicTest"]})");
}

TEST_F(NamesrvProcessTest, ConnectionCloseDropsTheBroker) {
  start();
  auto master = connect();
  auto slave = connect();
  auto client = connect();
  ASSERT_EQ(call(master, register_request("broker-a", 0, "127.0.0.1:10911")).code, rc::kSuccess);
  ASSERT_EQ(call(slave, register_request("broker-a", 1, "127.0.0.1:10921")).code, rc::kSuccess);
  master->close();
  const std::string slave_only =
      R"({"brokerDatas":[{"brokerAddrs":{"1":"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"}],)"
      R"("filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,)"
      R"("writeQueueNums":4}]})";
  EXPECT_TRUE(eventually([&] { return text_of(call(client, route_request("TopicTest")).body) == slave_only; }))
      << text_of(call(client, route_request("TopicTest")).body);
  slave->close();
  EXPECT_TRUE(eventually([&] { return call(client, route_request("TopicTest")).code == rc::kTopicNotExist; }));
}

TEST_F(NamesrvProcessTest, DledgerLeaderSwitchMovesIds) {
  start();
  auto n0 = connect();
  auto n1 = connect();
  auto client = connect();
  // n0 leads (id 0), n1 follows (id 2); then n1 wins an election (id 0) and n0 follows (id 1).
  ASSERT_EQ(call(n0, register_request("RaftNode00", 0, "127.0.0.1:30911")).code, rc::kSuccess);
  ASSERT_EQ(call(n1, register_request("RaftNode00", 2, "127.0.0.1:30921")).code, rc::kSuccess);
  ASSERT_EQ(call(n1, register_request("RaftNode00", 0, "127.0.0.1:30921")).code, rc::kSuccess);
  const RemotingCommand follower = call(n0, register_request("RaftNode00", 1, "127.0.0.1:30911"));
  EXPECT_EQ(follower.ext_fields.get("masterAddr"), "127.0.0.1:30921");
  const std::string body = text_of(call(client, route_request("TopicTest")).body);
  EXPECT_NE(body.find(R"("brokerAddrs":{"0":"127.0.0.1:30921","1":"127.0.0.1:30911"})"), std::string::npos) << body;
}

TEST_F(NamesrvProcessTest, SilentBrokerExpires) {
  start("scanNotActiveBrokerInterval=100\nbrokerChannelExpiredTime=500\n");
  auto master = connect();
  auto client = connect();
  ASSERT_EQ(call(master, register_request("broker-a", 0, "127.0.0.1:10911")).code, rc::kSuccess);
  // No re-registration: dropped after 500 ms and its connection closed by the server, as Java does.
  EXPECT_TRUE(eventually([&] { return call(client, route_request("TopicTest")).code == rc::kTopicNotExist; }));
  EXPECT_TRUE(eventually([&] { return !master->is_open(); }));
  // The client connection never registered anything: it stays open.
  EXPECT_TRUE(client->is_open());
}

TEST_F(NamesrvProcessTest, UnknownTopicIs17WithNoBody) {
  start();
  auto client = connect();
  const RemotingCommand response = call(client, route_request("NoSuchTopic"));
  EXPECT_EQ(response.code, rc::kTopicNotExist);
  EXPECT_EQ(response.remark, "No topic route info in name server for the topic: NoSuchTopic");
  EXPECT_TRUE(response.body.empty());
}

TEST_F(NamesrvProcessTest, UnknownCodeIs3AndConnectionStillWorks) {
  start();
  auto client = connect();
  const RemotingCommand response = call(client, remoting::make_request(12345));
  EXPECT_EQ(response.code, rc::kRequestCodeNotSupported);
  EXPECT_EQ(response.remark, " request type 12345 not supported");
  EXPECT_TRUE(client->is_open());
  EXPECT_EQ(call(client, route_request("X")).code, rc::kTopicNotExist);
}

// Connects a plain socket, sends `bytes`, and reports whether the server closes it within 5 s.
bool server_closes_after(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  bool closed = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[256];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    closed = n == 0 || (n < 0 && errno == ECONNRESET);
  }
  ::close(fd);
  return closed;
}

TEST_F(NamesrvProcessTest, MalformedFrameClosesOnlyThatConnection) {
  start();
  auto master = connect();
  auto client = connect();
  ASSERT_EQ(call(master, register_request("broker-a", 0, "127.0.0.1:10911")).code, rc::kSuccess);
  // Frame length 0x7FFFFFFF: over the 16 MiB limit.
  EXPECT_TRUE(server_closes_after(port_, std::string("\x7F\xFF\xFF\xFF\x00\x00\x00\x02{}", 10)));
  // Header length (0x100) past the end of an 8-byte frame.
  EXPECT_TRUE(server_closes_after(port_, std::string("\x00\x00\x00\x08\x00\x00\x01\x00{}{}", 12)));
  // Header that is not JSON.
  EXPECT_TRUE(server_closes_after(port_, std::string("\x00\x00\x00\x07\x00\x00\x00\x03xyz", 11)));
  EXPECT_TRUE(master->is_open());
  EXPECT_TRUE(client->is_open());
  EXPECT_EQ(call(client, route_request("TopicTest")).code, rc::kSuccess);
  EXPECT_TRUE(process_->running());
}

TEST_F(NamesrvProcessTest, KvConfigPersistsAcrossRestart) {
  start();
  auto client = connect();
  RemotingCommand put = remoting::make_request(code::kPutKvConfig);
  put.ext_fields.set("namespace", "ns");
  put.ext_fields.set("key", "k");
  put.ext_fields.set("value", "v");
  ASSERT_EQ(call(client, put).code, rc::kSuccess);
  client_.close();
  EXPECT_EQ(process_->stop(), 0) << process_->log();
  process_->restart();
  ASSERT_TRUE(process_->wait_for_port(port_, std::chrono::seconds(20))) << process_->log();
  remoting::RemotingClient second;
  auto connection = second.connect("127.0.0.1", port_, kTimeoutMs);
  RemotingCommand get = remoting::make_request(code::kGetKvConfig);
  get.ext_fields.set("namespace", "ns");
  get.ext_fields.set("key", "k");
  const remoting::InvokeResult result = connection->invoke_sync(get, kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.code, rc::kSuccess);
  EXPECT_EQ(result.response.ext_fields.get("value"), "v");
}

TEST_F(NamesrvProcessTest, BootLineAndCleanStopOnSigterm) {
  start();
  EXPECT_NE(process_->log().find("The Name Server boot success. serializeType=JSON"), std::string::npos)
      << process_->log();
  EXPECT_NE(process_->log().find(":" + std::to_string(port_)), std::string::npos) << process_->log();
  EXPECT_EQ(process_->stop(), 0) << process_->log();
}

TEST_F(NamesrvProcessTest, ExitCodes) {
  test_support::ProcessOptions options;
  options.timeout = std::chrono::milliseconds(20'000);
  const auto bad_conf = dir_ / "bad.conf";
  std::ofstream(bad_conf) << "listenPort=notaport\n";
  test_support::ProcessResult result = test_support::run_process({kBinary, "-c", bad_conf.string()}, options);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("listenPort"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(bad_conf.string()), std::string::npos) << result.err;

  result = test_support::run_process({kBinary, "--no-such-option"}, options);
  EXPECT_EQ(result.exit_code, 2) << result.err;

  result = test_support::run_process({kBinary, "-p", "--listen-port", "9999", "--kv-config-path", ""}, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("listenPort=9999\n"), std::string::npos) << result.out;

  // Port in use: I/O error, 5.
  start();
  result = test_support::run_process(
      {kBinary, "--listen-port", std::to_string(port_), "--kv-config-path", (dir_ / "kv2.json").string()}, options);
  EXPECT_EQ(result.exit_code, 5) << result.out << result.err;
}

}  // namespace
}  // namespace rmq::namesrv
