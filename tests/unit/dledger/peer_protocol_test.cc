// The peer protocol bodies (peer_protocol.h) against bytes written by hand from the layout tables in that
// header, and malformed bodies that must be refused with a one-line error naming the field.
#include <gtest/gtest.h>

#include <string>

#include "broker/dledger/peer_protocol.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::dledger {
namespace {

using store::testing::concat;
using store::testing::hex_bytes;
using store::testing::text_bytes;

// Append from node 1 to node 3, term 5, prev (7, 4), commit 6, two entries: index 8 term 5 normal "ab",
// index 9 term 5 no-op with no data.
const Bytes kAppend = concat({
    hex_bytes("01"),                 // version
    hex_bytes("00"),                 // type Append
    hex_bytes("00"),                 // flags
    hex_bytes("00"),                 // reserved
    hex_bytes("0000000000000001"),   // from
    hex_bytes("0000000000000003"),   // to
    hex_bytes("0000000000000005"),   // term
    hex_bytes("0000000000000004"),   // log_term
    hex_bytes("0000000000000007"),   // log_index
    hex_bytes("0000000000000006"),   // commit_index
    hex_bytes("0000000000000000"),   // hint_index
    hex_bytes("0000000000000000"),   // hint_term
    hex_bytes("00000002"),           // entry count
    hex_bytes("0000000000000008 0000000000000005 00 00000002"), text_bytes("ab"),
    hex_bytes("0000000000000009 0000000000000005 01 00000000"),
});

raft::Message append_message() {
  raft::Message m;
  m.type = raft::MessageType::kAppend;
  m.from = 1;
  m.to = 3;
  m.term = 5;
  m.log_term = 4;
  m.log_index = 7;
  m.commit_index = 6;
  m.entries.push_back({8, 5, raft::EntryType::kNormal, Bytes{'a', 'b'}});
  m.entries.push_back({9, 5, raft::EntryType::kNoop, Bytes{}});
  return m;
}

TEST(PeerProtocol, AppendMatchesHandWrittenBytes) {
  EXPECT_EQ(encode_raft_message(append_message()), kAppend);
  EXPECT_EQ(decode_raft_message(kAppend), append_message());
}

TEST(PeerProtocol, RejectedAppendResponseWithHints) {
  const Bytes body = concat({
      hex_bytes("01 01 01 00"),
      hex_bytes("0000000000000002"), hex_bytes("0000000000000001"), hex_bytes("0000000000000009"),
      hex_bytes("0000000000000000"), hex_bytes("0000000000000011"), hex_bytes("0000000000000000"),
      hex_bytes("000000000000000C"), hex_bytes("0000000000000003"), hex_bytes("00000000"),
  });
  raft::Message m;
  m.type = raft::MessageType::kAppendResponse;
  m.from = 2;
  m.to = 1;
  m.term = 9;
  m.log_index = 17;
  m.reject = true;
  m.hint_index = 12;
  m.hint_term = 3;
  EXPECT_EQ(encode_raft_message(m), body);
  EXPECT_EQ(decode_raft_message(body), m);
}

TEST(PeerProtocol, TransferVoteAndEveryType) {
  const Bytes body = concat({hex_bytes("01 04 02 00"), Bytes(64, 0), hex_bytes("00000000")});
  raft::Message vote = decode_raft_message(body);
  EXPECT_EQ(vote.type, raft::MessageType::kVote);
  EXPECT_TRUE(vote.transfer);
  EXPECT_FALSE(vote.reject);
  for (int t = 0; t <= 8; ++t) {
    raft::Message m;
    m.type = static_cast<raft::MessageType>(t);
    m.from = 3;
    m.to = 2;
    m.term = 100 + t;
    EXPECT_EQ(decode_raft_message(encode_raft_message(m)), m) << t;
  }
}

TEST(PeerProtocol, HandshakeMatchesHandWrittenBytes) {
  const Handshake h{"RaftNode00", "n1", "n0", "n0-127.0.0.1:40911;n1-127.0.0.1:40912", 1073741824};
  const Bytes body = concat({
      hex_bytes("01"),
      hex_bytes("000A"), text_bytes("RaftNode00"),
      hex_bytes("0002"), text_bytes("n1"),
      hex_bytes("0002"), text_bytes("n0"),
      hex_bytes("00000025"), text_bytes("n0-127.0.0.1:40911;n1-127.0.0.1:40912"),
      hex_bytes("0000000040000000"),  // 1 GiB data files
  });
  EXPECT_EQ(encode_handshake(h), body);
  EXPECT_EQ(decode_handshake(body), h);
}

// Each malformed body is refused with a PeerProtocolError whose message names the field.
void expect_refused(const Bytes& body, const std::string& field) {
  try {
    decode_raft_message(body);
    ADD_FAILURE() << "accepted a malformed body; expected an error about " << field;
  } catch (const PeerProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

TEST(PeerProtocol, MalformedRaftMessagesAreRefused) {
  expect_refused({}, "header");
  expect_refused(Bytes(kAppend.begin(), kAppend.begin() + 71), "header");
  Bytes b = kAppend;
  b[0] = 2;
  expect_refused(b, "version");
  b = kAppend;
  b[1] = 9;
  expect_refused(b, "type");
  b = kAppend;
  b[2] = 4;
  expect_refused(b, "flags");
  b = kAppend;
  b[3] = 1;
  expect_refused(b, "reserved");
  // An entry count far beyond what the body holds (never allocated for).
  b = kAppend;
  b[68] = 0x7F;
  expect_refused(b, "entry count");
  // Entries on a message type that carries none.
  b = kAppend;
  b[1] = 2;
  expect_refused(b, "entry count");
  // First entry's data length past the end.
  b = kAppend;
  b[72 + 17 + 3] = 0x30;
  expect_refused(b, "raft entry data");
  // First entry's data length over the limit.
  b = kAppend;
  b[72 + 17] = 0x7F;
  expect_refused(b, "data length");
  // Unknown entry type.
  b = kAppend;
  b[72 + 16] = 2;
  expect_refused(b, "entry type");
  // Truncated second entry header.
  expect_refused(Bytes(kAppend.begin(), kAppend.end() - 1), "entry");
  // Trailing garbage.
  b = kAppend;
  b.push_back(0);
  expect_refused(b, "unexpected bytes");
}

TEST(PeerProtocol, MalformedHandshakesAreRefused) {
  const Bytes good = encode_handshake({"g", "n1", "n0", "n0-127.0.0.1:1;n1-127.0.0.1:2;n2-127.0.0.1:3"});
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_THROW(decode_handshake(Bytes(good.begin(), good.begin() + cut)), PeerProtocolError) << cut;
  }
  Bytes b = good;
  b.push_back('x');
  EXPECT_THROW(decode_handshake(b), PeerProtocolError);
  b = good;
  b[0] = 7;
  EXPECT_THROW(decode_handshake(b), PeerProtocolError);
  // Peers length over 64 KiB is refused before anything is read.
  const Bytes huge = concat({hex_bytes("01 0001"), text_bytes("g"), hex_bytes("0002"), text_bytes("n1"),
                             hex_bytes("0002"), text_bytes("n0"), hex_bytes("7FFFFFFF"),
                             hex_bytes("0000000000000000")});
  try {
    decode_handshake(huge);
    ADD_FAILURE();
  } catch (const PeerProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("dLegerPeers"), std::string::npos) << e.what();
  }
}

TEST(PeerProtocol, HandshakeChecks) {
  const std::string peers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913";
  const Handshake self{"RaftNode00", "n0", "", peers};
  EXPECT_EQ(check_handshake(self, {"RaftNode00", "n1", "n0", peers}), std::nullopt);
  // The peer list is compared normalized: spaces and a trailing ';' do not matter.
  EXPECT_EQ(check_handshake(self, {"RaftNode00", "n1", "n0", " " + peers + ";"}), std::nullopt);

  auto group = check_handshake(self, {"RaftNode01", "n1", "n0", peers});
  ASSERT_TRUE(group);
  EXPECT_NE(group->find("dLegerGroup=\"RaftNode00\""), std::string::npos) << *group;
  EXPECT_NE(group->find("dLegerGroup=\"RaftNode01\""), std::string::npos) << *group;

  const std::string other = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40999";
  auto mismatch = check_handshake(self, {"RaftNode00", "n1", "n0", other});
  ASSERT_TRUE(mismatch);
  EXPECT_NE(mismatch->find(peers), std::string::npos) << *mismatch;
  EXPECT_NE(mismatch->find(other), std::string::npos) << *mismatch;

  auto stranger = check_handshake(self, {"RaftNode00", "n7", "n0", peers});
  ASSERT_TRUE(stranger);
  EXPECT_NE(stranger->find("\"n7\" is not a member"), std::string::npos) << *stranger;
  EXPECT_TRUE(check_handshake(self, {"RaftNode00", "n0", "n0", peers}));  // our own id from elsewhere
  EXPECT_TRUE(check_handshake(self, {"RaftNode00", "n1", "n2", peers}));  // dialled the wrong node

  const Handshake sized{"RaftNode00", "n0", "", peers, 1073741824};
  EXPECT_EQ(check_handshake(sized, {"RaftNode00", "n1", "n0", peers, 1073741824}), std::nullopt);
  EXPECT_EQ(check_handshake(sized, {"RaftNode00", "n1", "n0", peers, 0}), std::nullopt);  // not stated
  auto size = check_handshake(sized, {"RaftNode00", "n1", "n0", peers, 65536});
  ASSERT_TRUE(size);
  EXPECT_NE(size->find("mappedFileSizeCommitLog=1073741824"), std::string::npos) << *size;
  EXPECT_NE(size->find("mappedFileSizeCommitLog=65536"), std::string::npos) << *size;
}

}  // namespace
}  // namespace rmq::dledger
