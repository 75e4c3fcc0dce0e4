// Issue 14 part 4: TLS on the DLedger peer port (dLedgerPeerTlsMode, man/rmq-broker.8). Real rmq-broker
// processes on free loopback ports, a certificate made by the openssl CLI in the test's temp dir:
// - three members with dLedgerPeerTlsMode=enforcing elect a leader and replicate sends: every member's ledger
//   end and committed index reach the leader's; `openssl s_client` on a peer port is handed the configured
//   certificate (the peer port really speaks TLS);
// - under enforcing, a member configured without peer TLS (it dials plain) never joins the group, and a plain
//   connection from this process to a member's peer port is closed before its Raft messages reach the core
//   (the leader's term is unchanged);
// - with the peer secret as well, TLS and the challenge-response work together;
// - a mode other than disabled without tls.server.certPath is a config error (exit 2) naming the keys.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "broker/dledger/peer_protocol.h"
#include "broker/store/config_file.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kGroup = "RaftTls00";

struct NodeView {
  std::string role;
  std::int64_t term = -1;
  std::string leader_id;
  std::int64_t end_index = -1;
  std::int64_t committed_index = -1;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command line to its end; returns the exit code, with the output in *output.
int run_shell(const std::string& command_line, const std::filesystem::path& log, std::string* output = nullptr) {
  std::filesystem::remove(log);
  test_support::BackgroundProcess process({"/bin/sh", "-c", command_line}, log);
  const auto deadline = Clock::now() + 120s;
  while (process.exit_code() == -1 && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  const int code = process.exit_code() == -1 ? process.stop() : process.exit_code();
  if (output != nullptr) *output = read_file(log);
  return code;
}

class TlsGroup {
 public:
  // `node_extra(i)`: more broker.conf lines for node i.
  explicit TlsGroup(const std::function<std::string(int)>& node_extra) {
    std::string output;
    const int made = run_shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                               "'/CN=localhost/O=rmq-peer-tls-test' -addext "
                               "'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout " + key() + " -out " + cert(),
                               dir_.path() / "openssl.log", &output);
    EXPECT_EQ(made, 0) << "openssl CLI needed for this test\n" << output;
    std::string peers;
    for (int i = 0; i < 3; ++i) {
      broker_ports_[i] = test_support::free_tcp_port(true);
      peer_ports_[i] = test_support::free_tcp_port();
      peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-127.0.0.1:" +
               std::to_string(peer_ports_[i]);
    }
    for (int i = 0; i < 3; ++i) {
      const auto root = dir_.path() / ("node" + std::to_string(i));
      std::filesystem::create_directories(root);
      std::ofstream out(conf(i));
      out << "brokerClusterName=TlsCluster\nbrokerName=" << kGroup << "\nbrokerIP1=127.0.0.1\n"
          << "listenPort=" << broker_ports_[i] << "\nstorePathRootDir=" << root.string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kGroup << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n"
          << node_extra(i);
    }
  }
  ~TlsGroup() { client_.close(); }

  std::string cert() const { return (dir_.path() / "peer.pem").string(); }
  std::string key() const { return (dir_.path() / "peer.key").string(); }
  std::string tls_lines(const std::string& mode) const {
    return "dLedgerPeerTlsMode=" + mode + "\ntls.server.certPath=" + cert() + "\ntls.server.keyPath=" + key() + "\n";
  }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path conf(int i) const { return dir_.path() / ("broker-n" + std::to_string(i) + ".conf"); }
  std::uint16_t peer_port(int i) const { return peer_ports_[i]; }

  void start(int i) {
    brokers_[i] = std::make_unique<test_support::BackgroundProcess>(
        std::vector<std::string>{RMQ_BINARY_DIR "/rmq-broker", "-c", conf(i).string()},
        dir_.path() / ("broker-n" + std::to_string(i) + ".log"));
    ASSERT_TRUE(brokers_[i]->wait_for_port(broker_ports_[i], 30s)) << brokers_[i]->log();
  }
  std::string log(int i) const { return brokers_[i] ? brokers_[i]->log() : ""; }

  NodeView view(int i) {
    NodeView v;
    try {
      auto& conn = connections_[i];
      if (!conn || !conn->is_open()) conn = client_.connect("127.0.0.1", broker_ports_[i], 3000);
      auto result = conn->invoke_sync(remoting::make_request(code::kGetBrokerRuntimeInfo), 3000);
      if (!result.ok() || result.response.code != rc::kSuccess) return v;
      const auto& body = result.response.body;
      const auto json =
          store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
      const auto table = json.find("table");
      if (table == json.end()) return v;
      v.role = table->value("dLegerRole", "");
      v.term = std::stoll(table->value("dLegerTerm", "-1"));
      v.leader_id = table->value("dLegerLeaderId", "");
      v.end_index = std::stoll(table->value("dLegerLedgerEndIndex", "-1"));
      v.committed_index = std::stoll(table->value("dLegerCommittedIndex", "-1"));
    } catch (const std::exception&) {
    }
    return v;
  }

  // Waits until the members in `members` agree on one leader among them in one term; its index or -1.
  int wait_for_leader(std::initializer_list<int> members, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int leader = -1;
      int leaders = 0;
      bool agree = true;
      NodeView first;
      bool have_first = false;
      for (int i : members) {
        const NodeView v = view(i);
        if (!have_first) {
          first = v;
          have_first = true;
        }
        if (v.term <= 0 || v.term != first.term || v.leader_id.empty() || v.leader_id != first.leader_id) agree = false;
        if (v.role == "LEADER") {
          leader = i;
          ++leaders;
        }
      }
      if (agree && leaders == 1) return leader;
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

  RemotingCommand send(int node, const std::string& body) {
    try {
      auto& conn = connections_[node];
      if (!conn || !conn->is_open()) conn = client_.connect("127.0.0.1", broker_ports_[node], 3000);
      auto result = conn->invoke_sync(BrokerHarness::send_request("PeerTlsTopic", 0, body), 10000);
      if (result.ok()) return result.response;
    } catch (const std::exception&) {
    }
    RemotingCommand failed;
    failed.code = -1;
    return failed;
  }

  remoting::RemotingClient& client() { return client_; }

 private:
  testing::TempDir dir_;
  std::uint16_t broker_ports_[3]{};
  std::uint16_t peer_ports_[3]{};
  std::unique_ptr<test_support::BackgroundProcess> brokers_[3];
  std::shared_ptr<remoting::Connection> connections_[3];
  remoting::RemotingClient client_;
};

// Sends `count` messages to the leader, then waits until every member in `members` has the leader's ledger end
// as its ledger end and committed index.
void expect_replicated(TlsGroup& group, int leader, std::initializer_list<int> members, int count) {
  for (int m = 0; m < count; ++m) {
    const RemotingCommand r = group.send(leader, "peer-tls-" + std::to_string(m));
    ASSERT_EQ(r.code, rc::kSuccess) << "send " << m << ": " << r.remark.value_or("") << "\n" << group.log(leader);
  }
  const std::int64_t end = group.view(leader).end_index;
  ASSERT_GE(end, count);
  const auto deadline = Clock::now() + 20s;
  for (int i : members) {
    NodeView v = group.view(i);
    while ((v.end_index != end || v.committed_index != end) && Clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      v = group.view(i);
    }
    EXPECT_EQ(v.end_index, end) << "n" << i << "\n" << group.log(i);
    EXPECT_EQ(v.committed_index, end) << "n" << i;
  }
}

TEST(DLedgerPeerTlsTest, EnforcingGroupElectsAndReplicatesAndRefusesPlainPeers) {
  TlsGroup group([](int) { return std::string(); });
  // n0 and n1 enforce; n2 is the plain one: it dials its peers without TLS.
  for (int i = 0; i < 2; ++i) std::ofstream(group.conf(i), std::ios::app) << group.tls_lines("enforcing");
  group.start(0);
  group.start(1);
  const int leader = group.wait_for_leader({0, 1});
  ASSERT_GE(leader, 0) << group.log(0) << group.log(1);
  expect_replicated(group, leader, {0, 1}, 50);
  const NodeView before = group.view(leader);

  // The peer port speaks TLS with the configured certificate.
  std::string expected;
  std::string seen;
  ASSERT_EQ(run_shell("openssl x509 -in " + group.cert() + " -noout -fingerprint -sha256", group.dir() / "fp.log",
                      &expected),
            0);
  ASSERT_EQ(run_shell("openssl s_client -connect 127.0.0.1:" + std::to_string(group.peer_port(leader)) +
                          " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256",
                      group.dir() / "sclient.log", &seen),
            0);
  EXPECT_EQ(seen, expected);

  // A plain member: it never joins (its handshakes never reach the members' peer protocol).
  group.start(2);
  // This process, plain, on the leader's peer port: a handshake is never answered; the connection is closed.
  bool closed = false;
  try {
    auto plain = group.client().connect("127.0.0.1", group.peer_port(leader), 3000);
    RemotingCommand hs = remoting::make_request(dledger::peer_code::kHandshake);
    hs.body = dledger::encode_handshake(dledger::Handshake{kGroup, "n2", "n" + std::to_string(leader), "", 0, {}});
    auto r = plain->invoke_sync(std::move(hs), 3000);
    closed = !r.ok();
  } catch (const std::exception&) {
    closed = true;
  }
  EXPECT_TRUE(closed) << "a plain handshake was answered on an enforcing peer port";

  std::this_thread::sleep_for(4s);  // several election timeouts of n2 trying
  const NodeView intruder = group.view(2);
  EXPECT_NE(intruder.leader_id, before.leader_id) << "a plain peer joined an enforcing group\n" << group.log(2);
  EXPECT_LE(intruder.end_index, 0) << "a plain peer received entries";
  const NodeView after = group.view(leader);
  EXPECT_EQ(after.role, "LEADER");
  EXPECT_EQ(after.term, before.term) << "the plain peer disturbed the group";
  EXPECT_EQ(group.view(1 - leader).term, before.term);
}

TEST(DLedgerPeerTlsTest, TlsAndThePeerSecretTogetherAndPermissiveMembersJoin) {
  TlsGroup group([](int) { return std::string("dLedgerPeerSecret=group-secret-for-the-tls-test\n"); });
  // n0 and n1 enforce, n2 is permissive (it also dials with TLS): all three form one group.
  std::ofstream(group.conf(0), std::ios::app) << group.tls_lines("enforcing");
  std::ofstream(group.conf(1), std::ios::app) << group.tls_lines("enforcing");
  std::ofstream(group.conf(2), std::ios::app) << group.tls_lines("permissive");
  for (int i = 0; i < 3; ++i) group.start(i);
  const int leader = group.wait_for_leader({0, 1, 2});
  ASSERT_GE(leader, 0) << group.log(0) << group.log(1) << group.log(2);
  expect_replicated(group, leader, {0, 1, 2}, 30);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(group.log(i).find("group-secret-for-the-tls-test"), std::string::npos);
}

TEST(DLedgerPeerTlsTest, AModeWithoutACertificateIsAConfigError) {
  TlsGroup group([](int) { return std::string("dLedgerPeerTlsMode=enforcing\n"); });
  test_support::BackgroundProcess broker({RMQ_BINARY_DIR "/rmq-broker", "-c", group.conf(0).string()},
                                         group.dir() / "bad.log");
  for (int i = 0; i < 400 && broker.running(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(broker.exit_code(), 2) << broker.log();
  EXPECT_NE(broker.log().find("dLedgerPeerTlsMode=enforcing needs tls.server.certPath"), std::string::npos)
      << broker.log();

  TlsGroup bad_mode([](int) { return std::string("dLedgerPeerTlsMode=sometimes\n"); });
  test_support::BackgroundProcess other({RMQ_BINARY_DIR "/rmq-broker", "-c", bad_mode.conf(0).string()},
                                        bad_mode.dir() / "bad.log");
  for (int i = 0; i < 400 && other.running(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(other.exit_code(), 2) << other.log();
  EXPECT_NE(other.log().find("dLedgerPeerTlsMode"), std::string::npos) << other.log();
}

}  // namespace
}  // namespace rmq::integration
