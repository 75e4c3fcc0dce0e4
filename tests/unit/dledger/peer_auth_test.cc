// DLedger peer authentication (issue 14 part 3; peer_auth.h, peer_protocol.h, peer_transport.h):
// - the proof is HMAC-SHA256 over the input laid out in peer_auth.h, checked against bytes assembled by hand
//   here and a digest computed with OpenSSL directly, and it changes with the role, the group, each id, each
//   nonce and the secret (so a proof cannot be replayed on another connection or reflected to another role);
// - the version 2 handshake, the challenge and PEER_AUTH bodies against hand-written bytes, and every
//   truncated or oversized body refused;
// - real PeerTransports on loopback: the right secret connects both ways and carries messages; a wrong secret,
//   or a secret on one side only, never does; and a raw client that speaks the protocol by hand (an unsigned
//   handshake, a replayed proof, a reflected proof, a PEER_AUTH without a challenge, a malformed proof) never
//   gets a vote or append through to the message handler (the Raft core).
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "broker/dledger/dledger_config.h"
#include "broker/dledger/peer_auth.h"
#include "broker/dledger/peer_protocol.h"
#include "broker/dledger/peer_transport.h"
#include "broker/remoting/connection.h"
#include "broker/remoting/remoting_client.h"
#include "tests/support/background_process.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::dledger {
namespace {

using namespace std::chrono_literals;
using store::testing::concat;
using store::testing::hex_bytes;
using store::testing::text_bytes;

const std::string kSecret = "correct horse battery staple";
const Bytes kNonceA(32, 0xA1);
const Bytes kNonceB(32, 0xB2);

PeerAuthContext context() { return {"RaftNode00", "n1", "n0", kNonceA, kNonceB}; }

Bytes openssl_hmac_sha256(const std::string& key, const Bytes& input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), input.data(), input.size(), out, &len);
  return Bytes(out, out + len);
}

TEST(PeerAuth, ProofIsHmacSha256OverTheDocumentedInput) {
  // peer_auth.h: role label, group, sender id, receiver id, sender nonce, receiver nonce, each after a
  // big-endian uint16 length.
  const Bytes sender_input = concat({
      hex_bytes("001E"), text_bytes("rmq-dledger-peer-auth/1 sender"),
      hex_bytes("000A"), text_bytes("RaftNode00"),
      hex_bytes("0002"), text_bytes("n1"),
      hex_bytes("0002"), text_bytes("n0"),
      hex_bytes("0020"), kNonceA,
      hex_bytes("0020"), kNonceB,
  });
  const Bytes receiver_input = concat({
      hex_bytes("0020"), text_bytes("rmq-dledger-peer-auth/1 receiver"),
      hex_bytes("000A"), text_bytes("RaftNode00"),
      hex_bytes("0002"), text_bytes("n1"),
      hex_bytes("0002"), text_bytes("n0"),
      hex_bytes("0020"), kNonceA,
      hex_bytes("0020"), kNonceB,
  });
  const Bytes sender = peer_proof(kSecret, PeerRole::kSender, context());
  ASSERT_EQ(sender.size(), kPeerProofBytes);
  EXPECT_EQ(sender, openssl_hmac_sha256(kSecret, sender_input));
  EXPECT_EQ(peer_proof(kSecret, PeerRole::kReceiver, context()), openssl_hmac_sha256(kSecret, receiver_input));
  EXPECT_TRUE(peer_proof_matches(kSecret, PeerRole::kSender, context(), sender));
}

TEST(PeerAuth, ProofChangesWithEveryBoundField) {
  const Bytes base = peer_proof(kSecret, PeerRole::kSender, context());
  // Reflection: the listener's proof for the same connection is not a dialer's proof.
  EXPECT_FALSE(peer_proof_matches(kSecret, PeerRole::kSender, context(),
                                  peer_proof(kSecret, PeerRole::kReceiver, context())));
  EXPECT_FALSE(peer_proof_matches("another secret of 16+ bytes", PeerRole::kSender, context(), base));
  std::vector<PeerAuthContext> others(6, context());
  others[0].group = "RaftNode01";
  others[1].sender_id = "n2";
  others[2].receiver_id = "n2";
  std::swap(others[3].sender_id, others[3].receiver_id);  // the same pair, the other direction
  others[4].sender_nonce[31] ^= 1;                         // replay on a connection with another nonce
  others[5].receiver_nonce[0] ^= 0x80;
  for (std::size_t i = 0; i < others.size(); ++i) {
    EXPECT_FALSE(peer_proof_matches(kSecret, PeerRole::kSender, others[i], base)) << i;
  }
  // Field boundaries are length-prefixed: moving a byte from the group into the sender id changes the proof.
  PeerAuthContext shifted = context();
  shifted.group = "RaftNode0";
  shifted.sender_id = "0n1";
  EXPECT_FALSE(peer_proof_matches(kSecret, PeerRole::kSender, shifted, base));
  // Wrong sizes are refused, never compared past their end.
  EXPECT_FALSE(peer_proof_matches(kSecret, PeerRole::kSender, context(), Bytes(base.begin(), base.end() - 1)));
  EXPECT_FALSE(peer_proof_matches(kSecret, PeerRole::kSender, context(), Bytes{}));
  PeerAuthContext short_nonce = context();
  short_nonce.sender_nonce.pop_back();
  EXPECT_THROW(peer_proof(kSecret, PeerRole::kSender, short_nonce), std::invalid_argument);
}

TEST(PeerAuth, NoncesAreFreshAndFullLength) {
  const Bytes a = random_peer_nonce();
  const Bytes b = random_peer_nonce();
  EXPECT_EQ(a.size(), kPeerNonceBytes);
  EXPECT_NE(a, b);
}

TEST(PeerAuthProtocol, VersionTwoHandshakeChallengeAndAuthMatchHandWrittenBytes) {
  Handshake h{"g", "n1", "n0", "n0-127.0.0.1:1;n1-127.0.0.1:2", 0, kNonceA};
  const Bytes handshake = concat({
      hex_bytes("02"), hex_bytes("0001"), text_bytes("g"), hex_bytes("0002"), text_bytes("n1"),
      hex_bytes("0002"), text_bytes("n0"), hex_bytes("0000001D"), text_bytes("n0-127.0.0.1:1;n1-127.0.0.1:2"),
      hex_bytes("0000000000000000"),
      hex_bytes("01"), kNonceA,  // auth scheme HMAC-SHA256, sender nonce
  });
  EXPECT_EQ(encode_handshake(h), handshake);
  EXPECT_EQ(decode_handshake(handshake), h);
  // Without a nonce the handshake stays version 1 (today's bytes, for nodes without a secret).
  h.nonce.clear();
  EXPECT_EQ(encode_handshake(h)[0], 1);

  const Bytes proof(32, 0x5C);
  const Bytes challenge = concat({hex_bytes("02 01"), kNonceB, proof});
  EXPECT_EQ(encode_handshake_challenge({kNonceB, proof}), challenge);
  EXPECT_EQ(decode_handshake_challenge(challenge), (HandshakeChallenge{kNonceB, proof}));

  const Bytes auth = concat({hex_bytes("02"), proof});
  EXPECT_EQ(encode_peer_auth(proof), auth);
  EXPECT_EQ(decode_peer_auth(auth), proof);
}

TEST(PeerAuthProtocol, TruncatedAndOversizedBodiesAreRefused) {
  const Bytes handshake = encode_handshake({"g", "n1", "n0", "n0-127.0.0.1:1;n1-127.0.0.1:2", 0, kNonceA});
  for (std::size_t cut = 0; cut < handshake.size(); ++cut) {
    EXPECT_THROW(decode_handshake(Bytes(handshake.begin(), handshake.begin() + cut)), PeerProtocolError) << cut;
  }
  Bytes b = handshake;
  b.push_back(0);
  EXPECT_THROW(decode_handshake(b), PeerProtocolError);
  b = handshake;
  b[b.size() - 33] = 2;  // unknown auth scheme
  try {
    decode_handshake(b);
    ADD_FAILURE();
  } catch (const PeerProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("auth scheme"), std::string::npos) << e.what();
  }
  EXPECT_THROW(encode_handshake({"g", "n1", "n0", "", 0, Bytes(31, 1)}), PeerProtocolError);

  const Bytes challenge = encode_handshake_challenge({kNonceB, Bytes(32, 7)});
  for (std::size_t cut = 0; cut < challenge.size(); ++cut) {
    EXPECT_THROW(decode_handshake_challenge(Bytes(challenge.begin(), challenge.begin() + cut)), PeerProtocolError);
  }
  b = challenge;
  b.push_back(0);
  EXPECT_THROW(decode_handshake_challenge(b), PeerProtocolError);
  b = challenge;
  b[0] = 1;
  EXPECT_THROW(decode_handshake_challenge(b), PeerProtocolError);
  b = challenge;
  b[1] = 9;
  EXPECT_THROW(decode_handshake_challenge(b), PeerProtocolError);

  const Bytes auth = encode_peer_auth(Bytes(32, 7));
  for (std::size_t cut = 0; cut < auth.size(); ++cut) {
    EXPECT_THROW(decode_peer_auth(Bytes(auth.begin(), auth.begin() + cut)), PeerProtocolError);
  }
  b = auth;
  b.resize(64 * 1024, 0);
  EXPECT_THROW(decode_peer_auth(b), PeerProtocolError);
  b = auth;
  b[0] = 1;
  EXPECT_THROW(decode_peer_auth(b), PeerProtocolError);
}

common::JavaProperties dledger_properties() {
  common::JavaProperties p;
  p.set("dLegerGroup", "RaftNode00");
  p.set("dLegerPeers", "n0-127.0.0.1:40911;n1-127.0.0.1:40912");
  p.set("dLegerSelfId", "n1");
  return p;
}

std::string config_error(const common::JavaProperties& p) {
  try {
    DLedgerConfig::from_properties(p);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PeerAuthConfig, SecretFromTheKeyOrAFileNeverInErrors) {
  EXPECT_EQ(DLedgerConfig::from_properties(dledger_properties()).peer_secret, "");  // unset: no authentication
  auto p = dledger_properties();
  p.set("dLedgerPeerSecret", kSecret);
  EXPECT_EQ(DLedgerConfig::from_properties(p).peer_secret, kSecret);
  EXPECT_TRUE(is_dledger_config_key("dLedgerPeerSecret"));
  EXPECT_TRUE(is_dledger_config_key("dLedgerPeerSecretFile"));

  const auto file = std::filesystem::temp_directory_path() / ("rmq-peer-secret-" + std::to_string(::getpid()));
  std::ofstream(file) << kSecret << "\n";
  p = dledger_properties();
  p.set("dLedgerPeerSecretFile", file.string());
  EXPECT_EQ(DLedgerConfig::from_properties(p).peer_secret, kSecret);  // trailing newline dropped
  p.set("dLedgerPeerSecret", kSecret);
  EXPECT_NE(config_error(p).find("both set"), std::string::npos);

  p = dledger_properties();
  p.set("dLedgerPeerSecret", "short secret");
  const std::string short_error = config_error(p);
  EXPECT_NE(short_error.find("dLedgerPeerSecret: the secret is 12 bytes"), std::string::npos) << short_error;
  EXPECT_EQ(short_error.find("short secret"), std::string::npos) << short_error;

  std::filesystem::remove(file);
  p = dledger_properties();
  p.set("dLedgerPeerSecretFile", file.string());
  EXPECT_NE(config_error(p).find("cannot be read"), std::string::npos);
}

// Real transports on loopback.
class AuthLab : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      ports_[i] = test_support::free_tcp_port();
      peers_.push_back({"n" + std::to_string(i), "127.0.0.1", ports_[i]});
    }
  }
  void TearDown() override {
    client_.close();
    for (auto& t : transports_) t->stop();
  }

  // A transport for node `i` holding `secret`; received messages are counted in received_[i].
  PeerTransport& start(int i, const std::string& secret) {
    PeerTransportOptions o;
    o.group = "RaftNode00";
    o.self_id = "n" + std::to_string(i);
    o.peers = peers_;
    o.listen_host = "127.0.0.1";
    o.reconnect_min_ms = 20;
    o.reconnect_max_ms = 100;
    o.secret = secret;
    transports_.push_back(std::make_unique<PeerTransport>(o, [this, i](raft::Message) { ++received_[i]; }));
    transports_.back()->start();
    return *transports_.back();
  }

  static bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return condition();
  }

  std::shared_ptr<remoting::Connection> dial(int i) { return client_.connect("127.0.0.1", ports_[i], 2000); }

  remoting::RemotingCommand call(const std::shared_ptr<remoting::Connection>& c, std::int32_t code, Bytes body) {
    remoting::RemotingCommand request = remoting::make_request(code);
    request.body = std::move(body);
    remoting::InvokeResult result = c->invoke_sync(std::move(request), 3000);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.response;
  }

  // A vote for a high term from node 2 to node 1, on `c`.
  static void send_vote(const std::shared_ptr<remoting::Connection>& c) {
    raft::Message vote;
    vote.type = raft::MessageType::kVote;
    vote.from = 3;
    vote.to = 1;
    vote.term = 1000;
    remoting::RemotingCommand request = remoting::make_oneway_request(peer_code::kRaftMessage);
    request.body = encode_raft_message(vote);
    c->invoke_oneway(std::move(request));
  }

  Handshake handshake_from_n2(Bytes nonce) const {
    return {"RaftNode00", "n2", "n0", common::format_peers(peers_), 0, std::move(nonce)};
  }

  std::uint16_t ports_[3]{};
  std::vector<common::Peer> peers_;
  std::vector<std::unique_ptr<PeerTransport>> transports_;
  std::atomic<int> received_[3]{};
  remoting::RemotingClient client_;
};

TEST_F(AuthLab, SameSecretConnectsBothWaysAndCarriesMessages) {
  PeerTransport& n0 = start(0, kSecret);
  PeerTransport& n1 = start(1, kSecret);
  ASSERT_TRUE(eventually([&] { return n0.connected_to(2) && n1.connected_to(1); }));
  raft::Message m;
  m.type = raft::MessageType::kHeartbeat;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  ASSERT_TRUE(eventually([&] {
    n0.send(m);
    return received_[1] > 0;
  }));
  EXPECT_EQ(n0.refused_handshakes(), 0u);
  EXPECT_EQ(n1.refused_handshakes(), 0u);
}

TEST_F(AuthLab, WrongSecretNeverConnects) {
  PeerTransport& n0 = start(0, kSecret);
  PeerTransport& n1 = start(1, "a different secret, 16+ bytes");
  ASSERT_TRUE(eventually([&] { return n0.refused_handshakes() > 0 && n1.refused_handshakes() > 0; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(n0.connected_to(2));
  EXPECT_FALSE(n1.connected_to(1));
  const std::string refusal = n0.last_refusal();
  EXPECT_NE(refusal.find("failed authentication"), std::string::npos) << refusal;
  EXPECT_EQ(refusal.find(kSecret), std::string::npos) << refusal;
  raft::Message m;
  m.type = raft::MessageType::kHeartbeat;
  m.from = 1;
  m.to = 2;
  n0.send(m);
  EXPECT_EQ(received_[0] + received_[1], 0);
}

TEST_F(AuthLab, SecretOnOneSideOnlyNeverConnects) {
  PeerTransport& n0 = start(0, kSecret);
  PeerTransport& n1 = start(1, "");
  ASSERT_TRUE(eventually([&] { return n0.refused_handshakes() > 0 && n1.refused_handshakes() > 0; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(n0.connected_to(2));
  EXPECT_FALSE(n1.connected_to(1));
}

TEST_F(AuthLab, UnsignedHandshakeIsRefusedAndItsVoteNeverArrives) {
  PeerTransport& n0 = start(0, kSecret);
  auto c = dial(0);
  const auto response = call(c, peer_code::kHandshake, encode_handshake(handshake_from_n2({})));
  EXPECT_EQ(response.code, peer_code::kRefused);
  EXPECT_NE(response.remark.value_or("").find("sent no proof"), std::string::npos);
  send_vote(c);
  EXPECT_TRUE(eventually([&] { return !c->is_open(); }));  // a Raft message without a handshake closes it
  EXPECT_EQ(received_[0], 0);
  EXPECT_GE(n0.rejected_messages(), 1u);
  EXPECT_NE(n0.last_refusal().find("refused peer connection from 127.0.0.1: "), std::string::npos)
      << n0.last_refusal();
}

TEST_F(AuthLab, ReplayedProofIsRefused) {
  start(0, kSecret);
  // Session 1: a client that holds the secret authenticates as n2, and the transcript is recorded.
  auto first = dial(0);
  auto r1 = call(first, peer_code::kHandshake, encode_handshake(handshake_from_n2(kNonceA)));
  ASSERT_EQ(r1.code, 0) << r1.remark.value_or("");
  const HandshakeChallenge c1 = decode_handshake_challenge(r1.body);
  ASSERT_TRUE(peer_proof_matches(kSecret, PeerRole::kReceiver, {"RaftNode00", "n2", "n0", kNonceA, c1.receiver_nonce},
                                 c1.receiver_proof));
  const Bytes recorded = peer_proof(kSecret, PeerRole::kSender, {"RaftNode00", "n2", "n0", kNonceA, c1.receiver_nonce});
  ASSERT_EQ(call(first, peer_code::kAuth, encode_peer_auth(recorded)).code, 0);
  send_vote(first);
  ASSERT_TRUE(eventually([&] { return received_[0] == 1; }));  // the legitimate session gets through
  first->close();

  // Session 2: an eavesdropper replays session 1's handshake and proof without the secret.
  auto second = dial(0);
  auto r2 = call(second, peer_code::kHandshake, encode_handshake(handshake_from_n2(kNonceA)));
  ASSERT_EQ(r2.code, 0);
  EXPECT_NE(decode_handshake_challenge(r2.body).receiver_nonce, c1.receiver_nonce);
  const auto refused = call(second, peer_code::kAuth, encode_peer_auth(recorded));
  EXPECT_EQ(refused.code, peer_code::kRefused);
  EXPECT_NE(refused.remark.value_or("").find("failed authentication"), std::string::npos);
  // A second try on the same challenge is refused too (one attempt per challenge).
  EXPECT_EQ(call(second, peer_code::kAuth, encode_peer_auth(recorded)).code, peer_code::kRefused);
  send_vote(second);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(received_[0], 1);
}

TEST_F(AuthLab, ReflectedProofIsRefused) {
  PeerTransport& n0 = start(0, kSecret);
  auto c = dial(0);
  auto r = call(c, peer_code::kHandshake, encode_handshake(handshake_from_n2(kNonceA)));
  ASSERT_EQ(r.code, 0);
  // The listener's own proof sent back as the dialer's.
  const HandshakeChallenge challenge = decode_handshake_challenge(r.body);
  EXPECT_EQ(call(c, peer_code::kAuth, encode_peer_auth(challenge.receiver_proof)).code, peer_code::kRefused);
  // A fresh connection waiting for its proof, and a proof the listener made on another connection for a
  // nonce of the attacker's choosing (the first connection's challenge nonce): still refused.
  auto fresh = dial(0);
  ASSERT_EQ(call(fresh, peer_code::kHandshake, encode_handshake(handshake_from_n2(kNonceB))).code, 0);
  auto other = dial(0);
  auto r2 = call(other, peer_code::kHandshake, encode_handshake(handshake_from_n2(challenge.receiver_nonce)));
  ASSERT_EQ(r2.code, 0);
  EXPECT_EQ(call(fresh, peer_code::kAuth, encode_peer_auth(decode_handshake_challenge(r2.body).receiver_proof)).code,
            peer_code::kRefused);
  send_vote(fresh);
  send_vote(c);
  send_vote(other);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(received_[0], 0);
  EXPECT_GE(n0.refused_handshakes(), 1u);
}

TEST_F(AuthLab, AuthWithoutChallengeAndMalformedProofAreRefused) {
  start(0, kSecret);
  auto c = dial(0);
  EXPECT_EQ(call(c, peer_code::kAuth, encode_peer_auth(Bytes(32, 1))).code, peer_code::kRefused);
  ASSERT_EQ(call(c, peer_code::kHandshake, encode_handshake(handshake_from_n2(kNonceA))).code, 0);
  const auto malformed = call(c, peer_code::kAuth, hex_bytes("02 0102"));
  EXPECT_EQ(malformed.code, peer_code::kRefused);
  EXPECT_NE(malformed.remark.value_or("").find("malformed proof"), std::string::npos);
  send_vote(c);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(received_[0], 0);
}

TEST_F(AuthLab, ListenerWithoutSecretRefusesAnAuthenticatingDialer) {
  start(0, "");
  auto c = dial(0);
  const auto response = call(c, peer_code::kHandshake, encode_handshake(handshake_from_n2(kNonceA)));
  EXPECT_EQ(response.code, peer_code::kRefused);
  EXPECT_NE(response.remark.value_or("").find("no dLedgerPeerSecret"), std::string::npos);
  // Today's behaviour without a secret: a version 1 handshake is accepted.
  auto plain = dial(0);
  EXPECT_EQ(call(plain, peer_code::kHandshake, encode_handshake(handshake_from_n2({}))).code, 0);
  send_vote(plain);
  EXPECT_TRUE(eventually([&] { return received_[0] == 1; }));
}

}  // namespace
}  // namespace rmq::dledger
