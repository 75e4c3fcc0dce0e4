// rmqctl against a DLedger group whose brokers run with aclEnable=true (issue 14): every request rmqctl sends to
// a broker (GET_BROKER_RUNTIME_INFO 28 for start's wait and status, DLEDGER_TRANSFER_LEADERSHIP 52200 for stop's
// hand-over, an admin code) is refused unsigned, so rmqctl signs them with each node's own accessKey/secretKey
// from its broker.conf, or, with status --namesrv (no configs), with --access-key and --secret-key-file. Three
// real rmq-broker processes and the rmq-namesrv that rmqctl start launches, on free loopback ports; the group is
// stopped (then whatever names the test directory is SIGKILLed) by the fixture.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "tests/cli/group_test_support.h"

namespace rmq::cli_test {
namespace {

namespace fs = std::filesystem;
namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using nlohmann::json;

constexpr const char* kBrokerName = "RaftAcl";
constexpr const char* kAdminSecret = "acl-admin-secret-7f3a";
constexpr const char* kClientSecret = "acl-client-secret-91c2";

test_support::ProcessResult run_rmqctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RMQ_BINARY_DIR "/rmqctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  test_support::ProcessOptions options;
  options.timeout = std::chrono::seconds(120);
  return test_support::run_process(argv, options);
}

json parse(const test_support::ProcessResult& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n" << r.out << r.err;
    return json::object();
  }
}

class AclGroup {
 public:
  // `node_credentials`: the accessKey/secretKey lines of every broker.conf ("" for none).
  explicit AclGroup(const std::string& node_credentials) {
    namesrv_port_ = test_support::free_tcp_port();
    std::string peers;
    for (int i = 0; i < 3; ++i) {
      ports_.push_back(test_support::free_tcp_port(true));
      peers += (i ? ";n" : "n") + std::to_string(i) + "-127.0.0.1:" + std::to_string(test_support::free_tcp_port());
    }
    fs::create_directories(conf_dir());
    // No white list: 127.0.0.1 gets no pass, every request needs a valid signature.
    std::ofstream(dir_.path() / "plain_acl.yml") << "accounts:\n"
                                                 << "  - accessKey: rmqAdmin\n    secretKey: " << kAdminSecret
                                                 << "\n    admin: true\n"
                                                 << "  - accessKey: rmqClient\n    secretKey: " << kClientSecret
                                                 << "\n    defaultTopicPerm: PUB|SUB\n";
    std::ofstream(dir_.path() / "admin.secret") << kAdminSecret << "\n";
    for (int i = 0; i < 3; ++i) {
      std::ofstream out(conf_dir() / ("broker-n" + std::to_string(i) + ".conf"));
      out << "brokerClusterName=RaftCluster\nbrokerName=" << kBrokerName << "\nbrokerIP1=127.0.0.1\n"
          << "listenPort=" << ports_[i] << "\nnamesrvAddr=127.0.0.1:" << namesrv_port_ << "\n"
          << "storePathRootDir=" << (dir_.path() / ("node" + std::to_string(i))).string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kBrokerName << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n"
          << "aclEnable=true\nplainAclFile=" << (dir_.path() / "plain_acl.yml").string() << "\n"
          << node_credentials;
    }
  }
  ~AclGroup() {
    run_rmqctl({"stop", "--conf-dir", conf_dir().string(), "--timeout", "20"});
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = read_text(entry.path() / "cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (cmdline.find(dir_.path().string() + "/") != std::string::npos) ::kill(std::stoi(name), SIGKILL);
    }
  }

  fs::path dir() const { return dir_.path(); }
  fs::path conf_dir() const { return dir_.path() / "conf"; }
  std::uint16_t port(int i) const { return ports_.at(static_cast<std::size_t>(i)); }
  std::string namesrv() const { return "127.0.0.1:" + std::to_string(namesrv_port_); }

  // An unsigned request from this process: what rmqctl without credentials would get.
  remoting::RemotingCommand unsigned_call(int node, std::int32_t request_code) {
    remoting::RemotingClient client;
    auto connection = client.connect("127.0.0.1", port(node), 3000);
    auto result = connection->invoke_sync(remoting::make_request(request_code), 3000);
    client.close();
    EXPECT_TRUE(result.ok()) << result.error;
    return result.response;
  }

 private:
  ::rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::vector<std::uint16_t> ports_;
};

void expect_no_secret(const test_support::ProcessResult& r) {
  for (const char* secret : {kAdminSecret, kClientSecret}) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
  }
}

TEST(GroupAcl, StartStatusAndStopHandOverSignWithTheNodesCredentials) {
  AclGroup group(std::string("accessKey=rmqAdmin\nsecretKey=") + kAdminSecret + "\n");
  // start waits for a healthy group through GET_BROKER_RUNTIME_INFO: signed, or it would never see one.
  const auto started = run_rmqctl({"start", "--conf-dir", group.conf_dir().string(), "--wait", "60"});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  expect_no_secret(started);

  // The ACL is on: the same request unsigned is refused with upstream's remark.
  const auto refused = group.unsigned_call(0, code::kGetBrokerRuntimeInfo);
  EXPECT_EQ(refused.code, rc::kNoPermission);
  EXPECT_EQ(refused.remark.value_or(""), "No accessKey is configured");

  const auto status = run_rmqctl({"status", "--conf-dir", group.conf_dir().string(), "-o", "json"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  expect_no_secret(status);
  const json s = parse(status);
  ASSERT_TRUE(s["leader"].is_string()) << status.out;
  const std::string leader = s["leader"];

  // By name server (no configs): without credentials every node answers 16 (exit 1); with the admin's key
  // and its secret in a file, healthy.
  const auto by_namesrv_unsigned =
      run_rmqctl({"status", "--namesrv", group.namesrv(), "--cluster", "RaftCluster", "-o", "json"});
  EXPECT_EQ(by_namesrv_unsigned.exit_code, 1) << by_namesrv_unsigned.out << by_namesrv_unsigned.err;
  EXPECT_NE(by_namesrv_unsigned.out.find("No accessKey is configured"), std::string::npos) << by_namesrv_unsigned.out;
  const auto by_namesrv = run_rmqctl({"status", "--namesrv", group.namesrv(), "--cluster", "RaftCluster", "-o",
                                      "json", "--access-key", "rmqAdmin", "--secret-key-file",
                                      (group.dir() / "admin.secret").string()});
  EXPECT_EQ(by_namesrv.exit_code, 0) << by_namesrv.out << by_namesrv.err;
  expect_no_secret(by_namesrv);
  const auto half_given = run_rmqctl({"status", "--namesrv", group.namesrv(), "--cluster", "RaftCluster",
                                      "--access-key", "rmqAdmin"});
  EXPECT_EQ(half_given.exit_code, 2) << half_given.out << half_given.err;

  // stop --node <leader> hands leadership over (52200, an admin code) before the SIGTERM.
  const auto stop = run_rmqctl({"stop", "--conf-dir", group.conf_dir().string(), "--node", leader, "-o", "json",
                                "--timeout", "30"});
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  expect_no_secret(stop);
  const json stopped = parse(stop);
  ASSERT_TRUE(stopped["transferredTo"].is_string()) << stop.out << stop.err;
  EXPECT_NE(stopped["transferredTo"].get<std::string>(), leader);
  EXPECT_NE(stop.err.find("leadership handed over from " + leader), std::string::npos) << stop.err;
}

TEST(GroupAcl, ANonAdminAccountReadsStatusButCannotMoveLeadership) {
  AclGroup group(std::string("accessKey=rmqClient\nsecretKey=") + kClientSecret + "\n");
  const auto started = run_rmqctl({"start", "--conf-dir", group.conf_dir().string(), "--wait", "60"});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  const json s = parse(run_rmqctl({"status", "--conf-dir", group.conf_dir().string(), "-o", "json"}));
  ASSERT_TRUE(s["leader"].is_string()) << s.dump();
  const std::string leader = s["leader"];
  // 52200 needs an admin account: the leader refuses, stop says so and stops the node anyway.
  const auto stop = run_rmqctl({"stop", "--conf-dir", group.conf_dir().string(), "--node", leader, "-o", "json",
                                "--timeout", "30"});
  EXPECT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  expect_no_secret(stop);
  EXPECT_TRUE(parse(stop)["transferredTo"].is_null()) << stop.out;
  EXPECT_NE(stop.err.find("Need admin permission for request code=52200"), std::string::npos) << stop.err;
}

}  // namespace
}  // namespace rmq::cli_test
