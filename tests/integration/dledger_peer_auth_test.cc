// Issue 14 part 3, Done-when 2 (second half): a process that does not hold the DLedger group's peer secret
// (dLedgerPeerSecret, man/rmq-broker.8) cannot join or disturb the group. Real rmq-broker processes on free
// loopback ports:
// - n0 and n1 hold the secret and elect a leader;
// - n2, a real rmq-broker with the right group, peer list and id but a wrong secret, is started: it never
//   becomes a follower of that leader, and n0 / n1 log once that n2 failed authentication;
// - this test process, holding no secret, speaks the peer protocol by hand to the leader's peer port: a vote
//   and an append for a far higher term after an unsigned handshake, after a forged proof, and with no
//   handshake at all; all are refused or dropped and logged;
// - the group keeps its leader and its term throughout.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "broker/dledger/peer_auth.h"
#include "broker/dledger/peer_protocol.h"
#include "broker/store/config_file.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kGroup = "RaftAuth00";
constexpr const char* kSecret = "group-secret-for-the-auth-test";

struct NodeView {
  std::string role;
  std::int64_t term = -1;
  std::string leader_id;
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class AuthGroup {
 public:
  AuthGroup() {
    std::string peers;
    for (int i = 0; i < 3; ++i) {
      broker_ports_[i] = test_support::free_tcp_port(true);
      peer_ports_[i] = test_support::free_tcp_port();
      peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-127.0.0.1:" +
               std::to_string(peer_ports_[i]);
    }
    peers_ = peers;
    std::ofstream(dir_.path() / "peer.secret") << kSecret << "\n";
    for (int i = 0; i < 3; ++i) {
      const auto root = dir_.path() / ("node" + std::to_string(i));
      std::filesystem::create_directories(root);
      std::ofstream out(conf(i));
      out << "brokerClusterName=AuthCluster\nbrokerName=" << kGroup << "\nbrokerIP1=127.0.0.1\n"
          << "listenPort=" << broker_ports_[i] << "\nstorePathRootDir=" << root.string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kGroup << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n";
      // n0 reads the secret from a file, n1 from the key; n2 holds a wrong one.
      if (i == 0) out << "dLedgerPeerSecretFile=" << (dir_.path() / "peer.secret").string() << "\n";
      if (i == 1) out << "dLedgerPeerSecret=" << kSecret << "\n";
      if (i == 2) out << "dLedgerPeerSecret=not-the-group-secret-at-all\n";
    }
  }
  ~AuthGroup() { client_.close(); }

  std::filesystem::path conf(int i) const { return dir_.path() / ("broker-n" + std::to_string(i) + ".conf"); }
  std::uint16_t peer_port(int i) const { return peer_ports_[i]; }
  const std::string& peers() const { return peers_; }

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
    } catch (const std::exception&) {
    }
    return v;
  }

  // Waits until n0 and n1 agree on a leader among them in one term; returns the leader's index (or -1).
  int wait_for_leader(std::chrono::milliseconds timeout = 30s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      const NodeView a = view(0);
      const NodeView b = view(1);
      if (a.term > 0 && a.term == b.term && !a.leader_id.empty() && a.leader_id == b.leader_id &&
          (a.role == "LEADER") != (b.role == "LEADER")) {
        return a.role == "LEADER" ? 0 : 1;
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

  remoting::RemotingClient& client() { return client_; }

 private:
  testing::TempDir dir_;
  std::uint16_t broker_ports_[3]{};
  std::uint16_t peer_ports_[3]{};
  std::string peers_;
  std::unique_ptr<test_support::BackgroundProcess> brokers_[3];
  std::shared_ptr<remoting::Connection> connections_[3];
  remoting::RemotingClient client_;
};

// A vote and an append from "n2" (node id 3) to `to` for a term far above the group's, on `c`.
void send_vote_and_append(const std::shared_ptr<remoting::Connection>& c, raft::NodeId to, std::int64_t term) {
  raft::Message vote;
  vote.type = raft::MessageType::kVote;
  vote.from = 3;
  vote.to = to;
  vote.term = static_cast<std::uint64_t>(term + 100);
  vote.log_term = vote.term;
  vote.log_index = 1000000;
  raft::Message append;
  append.type = raft::MessageType::kAppend;
  append.from = 3;
  append.to = to;
  append.term = static_cast<std::uint64_t>(term + 100);
  append.commit_index = 0;
  for (const raft::Message& m : {vote, append}) {
    RemotingCommand request = remoting::make_oneway_request(dledger::peer_code::kRaftMessage);
    request.body = dledger::encode_raft_message(m);
    c->invoke_oneway(std::move(request));
  }
}

TEST(DLedgerPeerAuthTest, ProcessWithoutTheSecretCannotJoinOrDisturbTheGroup) {
  AuthGroup group;
  group.start(0);
  group.start(1);
  const int leader = group.wait_for_leader();
  ASSERT_GE(leader, 0) << group.log(0) << group.log(1);
  const NodeView before = group.view(leader);
  const raft::NodeId leader_node = static_cast<raft::NodeId>(leader + 1);
  EXPECT_EQ(group.log(0).find(kSecret), std::string::npos);
  EXPECT_EQ(group.log(0).find("no dLedgerPeerSecret"), std::string::npos);

  // A real broker with a wrong secret.
  group.start(2);

  // This process, without the secret, on the leader's peer port.
  auto& client = group.client();
  const dledger::Handshake as_n2{kGroup, "n2", "n" + std::to_string(leader), group.peers(), 0, {}};
  // 1. No handshake at all.
  auto bare = client.connect("127.0.0.1", group.peer_port(leader), 3000);
  send_vote_and_append(bare, leader_node, before.term);
  // 2. An unsigned (version 1) handshake: refused.
  auto unsigned_conn = client.connect("127.0.0.1", group.peer_port(leader), 3000);
  {
    RemotingCommand hs = remoting::make_request(dledger::peer_code::kHandshake);
    hs.body = dledger::encode_handshake(as_n2);
    auto r = unsigned_conn->invoke_sync(std::move(hs), 3000);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.response.code, dledger::peer_code::kRefused);
    EXPECT_NE(r.response.remark.value_or("").find("sent no proof"), std::string::npos);
  }
  send_vote_and_append(unsigned_conn, leader_node, before.term);
  // 3. A signed handshake with a proof made with a guessed secret: refused.
  auto forged = client.connect("127.0.0.1", group.peer_port(leader), 3000);
  {
    dledger::Handshake signed_hs = as_n2;
    signed_hs.nonce = dledger::random_peer_nonce();
    RemotingCommand hs = remoting::make_request(dledger::peer_code::kHandshake);
    hs.body = dledger::encode_handshake(signed_hs);
    auto r = forged->invoke_sync(std::move(hs), 3000);
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.response.code, 0) << r.response.remark.value_or("");
    const auto challenge = dledger::decode_handshake_challenge(r.response.body);
    const dledger::PeerAuthContext context{kGroup, "n2", "n" + std::to_string(leader), signed_hs.nonce,
                                           challenge.receiver_nonce};
    RemotingCommand auth = remoting::make_request(dledger::peer_code::kAuth);
    auth.body = dledger::encode_peer_auth(dledger::peer_proof("guessed-secret-0123456789", dledger::PeerRole::kSender,
                                                              context));
    auto a = forged->invoke_sync(std::move(auth), 3000);
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.response.code, dledger::peer_code::kRefused);
  }
  send_vote_and_append(forged, leader_node, before.term);

  // Several election timeouts (750 ms) of n2 trying with its wrong secret and our votes in flight.
  std::this_thread::sleep_for(4s);
  const NodeView after_leader = group.view(leader);
  const NodeView after_other = group.view(1 - leader);
  EXPECT_EQ(after_leader.role, "LEADER");
  EXPECT_EQ(after_leader.term, before.term);
  EXPECT_EQ(after_leader.leader_id, before.leader_id);
  EXPECT_EQ(after_other.term, before.term);
  EXPECT_EQ(after_other.leader_id, before.leader_id);
  const NodeView intruder = group.view(2);
  EXPECT_NE(intruder.leader_id, before.leader_id) << "n2 joined the group without the secret";
  EXPECT_NE(intruder.role, "LEADER");

  const std::string leader_log = group.log(leader);
  // The raw messages: dropped and logged (the connections without an accepted handshake are closed).
  EXPECT_NE(leader_log.find("before an accepted handshake"), std::string::npos) << leader_log;
  EXPECT_NE(leader_log.find("refused peer connection from 127.0.0.1: peer \"n2\" sent no proof"), std::string::npos)
      << leader_log;
  EXPECT_EQ(count_of(leader_log, "refused peer connection from 127.0.0.1: peer \"n2\" failed authentication"), 1u)
      << leader_log;
  // The wrong-secret broker: each member logs once that n2 failed to prove itself; n2 logs that they did.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(count_of(group.log(i), "peer n2 at 127.0.0.1:" + std::to_string(group.peer_port(2)) +
                                         " failed authentication"),
              1u)
        << group.log(i);
    EXPECT_EQ(group.log(i).find(kSecret), std::string::npos);
  }
  EXPECT_NE(group.log(2).find("failed authentication"), std::string::npos) << group.log(2);
  EXPECT_EQ(group.log(2).find("not-the-group-secret-at-all"), std::string::npos);
}

// Three members on free ports (a group of one is refused at start); only n0 is started.
std::string three_peers() {
  std::string peers;
  for (int i = 0; i < 3; ++i) {
    peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-127.0.0.1:" +
             std::to_string(test_support::free_tcp_port());
  }
  return peers;
}

TEST(DLedgerPeerAuthTest, NoSecretWarnsAtStart) {
  testing::TempDir dir;
  const std::uint16_t port = test_support::free_tcp_port(true);
  const auto conf = dir.path() / "broker.conf";
  std::ofstream(conf) << "brokerName=" << kGroup << "\nbrokerIP1=127.0.0.1\nlistenPort=" << port
                      << "\nstorePathRootDir=" << (dir.path() / "store").string()
                      << "\nmappedFileSizeCommitLog=1048576\nenableDLegerCommitLog=true\ndLegerGroup=" << kGroup
                      << "\ndLegerPeers=" << three_peers() << "\ndLegerSelfId=n0\n";
  test_support::BackgroundProcess broker({RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir.path() / "b.log");
  ASSERT_TRUE(broker.wait_for_port(port, 30s)) << broker.log();
  const auto deadline = Clock::now() + 10s;
  while (broker.log().find("no dLedgerPeerSecret") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(broker.log().find("no dLedgerPeerSecret: peer connections to"), std::string::npos) << broker.log();
}

TEST(DLedgerPeerAuthTest, ShortSecretIsAConfigError) {
  testing::TempDir dir;
  const auto conf = dir.path() / "broker.conf";
  std::ofstream(conf) << "brokerName=" << kGroup << "\nbrokerIP1=127.0.0.1\nlistenPort="
                      << test_support::free_tcp_port(true) << "\nstorePathRootDir=" << (dir.path() / "store").string()
                      << "\nenableDLegerCommitLog=true\ndLegerGroup=" << kGroup << "\ndLegerPeers=" << three_peers()
                      << "\ndLegerSelfId=n0\ndLedgerPeerSecret=tooshort\n";
  test_support::BackgroundProcess broker({RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir.path() / "b.log");
  for (int i = 0; i < 400 && broker.running(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(broker.exit_code(), 2) << broker.log();
  EXPECT_NE(broker.log().find("dLedgerPeerSecret: the secret is 8 bytes"), std::string::npos) << broker.log();
  EXPECT_EQ(broker.log().find("tooshort"), std::string::npos) << broker.log();
}

}  // namespace
}  // namespace rmq::integration
