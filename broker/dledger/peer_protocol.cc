#include "broker/dledger/peer_protocol.h"

#include <algorithm>
#include <limits>

#include "broker/common/dledger_peers.h"
#include "broker/common/java_properties.h"

namespace rmq::dledger {
namespace {

using common::ByteReader;
using common::ByteWriter;

[[noreturn]] void fail(std::string_view what, std::size_t offset, std::string_view why) {
  throw PeerProtocolError(std::string(what) + " at offset " + std::to_string(offset) + ": " + std::string(why));
}

void put_string16(ByteWriter& w, std::string_view s, std::string_view field) {
  if (s.size() > std::numeric_limits<std::uint16_t>::max()) {
    throw PeerProtocolError(std::string(field) + " is longer than 65535 bytes");
  }
  w.i16(static_cast<std::int16_t>(s.size()));
  w.bytes(s);
}

std::string get_string(ByteReader& r, std::size_t length, std::string_view field) {
  const std::size_t at = r.position();
  if (r.remaining() < length) {
    fail(field, at, std::to_string(length) + " bytes announced, " + std::to_string(r.remaining()) + " left");
  }
  ByteSpan b = r.bytes(length);
  return std::string(b.begin(), b.end());
}

std::string get_string16(ByteReader& r, std::string_view field) {
  const std::size_t at = r.position();
  if (r.remaining() < 2) fail(field, at, "length field truncated");
  const auto length = static_cast<std::uint16_t>(r.i16());
  return get_string(r, length, field);
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Bytes encode_handshake(const Handshake& h) {
  if (h.peers.size() > kMaxHandshakePeersBytes) throw PeerProtocolError("dLegerPeers is longer than 64 KiB");
  if (!h.nonce.empty() && h.nonce.size() != kPeerNonceBodyBytes) {
    throw PeerProtocolError("handshake nonce is " + std::to_string(h.nonce.size()) + " bytes, not " +
                            std::to_string(kPeerNonceBodyBytes));
  }
  Bytes out;
  ByteWriter w(out);
  w.u8(h.nonce.empty() ? kPeerProtocolVersion : kPeerAuthVersion);
  put_string16(w, h.group, "dLegerGroup");
  put_string16(w, h.sender_id, "sender id");
  put_string16(w, h.receiver_id, "receiver id");
  w.i32(static_cast<std::int32_t>(h.peers.size()));
  w.bytes(h.peers);
  w.i64(h.data_file_bytes);
  if (!h.nonce.empty()) {
    w.u8(kPeerAuthSchemeHmacSha256);
    w.bytes(h.nonce);
  }
  return out;
}

Handshake decode_handshake(ByteSpan body) {
  ByteReader r(body);
  if (body.empty()) fail("handshake version", 0, "empty body");
  const std::uint8_t version = r.u8();
  if (version != kPeerProtocolVersion && version != kPeerAuthVersion) {
    fail("handshake version", 0, "version " + std::to_string(version) + " is not supported (this node speaks 1 and 2)");
  }
  Handshake h;
  h.group = get_string16(r, "handshake dLegerGroup");
  h.sender_id = get_string16(r, "handshake sender id");
  h.receiver_id = get_string16(r, "handshake receiver id");
  const std::size_t at = r.position();
  if (r.remaining() < 4) fail("handshake dLegerPeers", at, "length field truncated");
  const auto peers_length = static_cast<std::uint32_t>(r.i32());
  if (peers_length > kMaxHandshakePeersBytes) {
    fail("handshake dLegerPeers", at, "length " + std::to_string(peers_length) + " is over 65536");
  }
  h.peers = get_string(r, peers_length, "handshake dLegerPeers");
  if (r.remaining() < 8) fail("handshake data file bytes", r.position(), "truncated");
  h.data_file_bytes = r.i64();
  if (version == kPeerAuthVersion) {
    if (r.remaining() < 1) fail("handshake auth scheme", r.position(), "truncated");
    const std::size_t scheme_at = r.position();
    const std::uint8_t scheme = r.u8();
    if (scheme != kPeerAuthSchemeHmacSha256) {
      fail("handshake auth scheme", scheme_at, "scheme " + std::to_string(scheme) + " is not supported (1: HMAC-SHA256)");
    }
    if (r.remaining() < kPeerNonceBodyBytes) {
      fail("handshake nonce", r.position(),
           std::to_string(r.remaining()) + " bytes left, need " + std::to_string(kPeerNonceBodyBytes));
    }
    ByteSpan nonce = r.bytes(kPeerNonceBodyBytes);
    h.nonce.assign(nonce.begin(), nonce.end());
  }
  if (r.remaining() != 0) {
    fail("handshake", r.position(), std::to_string(r.remaining()) + " unexpected bytes after the last field");
  }
  return h;
}

Bytes encode_handshake_challenge(const HandshakeChallenge& c) {
  if (c.receiver_nonce.size() != kPeerNonceBodyBytes || c.receiver_proof.size() != kPeerProofBodyBytes) {
    throw PeerProtocolError("handshake challenge: nonce or proof of the wrong size");
  }
  Bytes out;
  ByteWriter w(out);
  w.u8(kPeerAuthVersion);
  w.u8(kPeerAuthSchemeHmacSha256);
  w.bytes(c.receiver_nonce);
  w.bytes(c.receiver_proof);
  return out;
}

HandshakeChallenge decode_handshake_challenge(ByteSpan body) {
  if (body.size() != kHandshakeChallengeBytes) {
    fail("handshake challenge", 0,
         std::to_string(body.size()) + " bytes, must be " + std::to_string(kHandshakeChallengeBytes));
  }
  if (body[0] != kPeerAuthVersion) fail("handshake challenge version", 0, "version " + std::to_string(body[0]));
  if (body[1] != kPeerAuthSchemeHmacSha256) {
    fail("handshake challenge auth scheme", 1, "scheme " + std::to_string(body[1]) + " is not supported");
  }
  HandshakeChallenge c;
  c.receiver_nonce.assign(body.begin() + 2, body.begin() + 2 + kPeerNonceBodyBytes);
  c.receiver_proof.assign(body.begin() + 2 + kPeerNonceBodyBytes, body.end());
  return c;
}

Bytes encode_peer_auth(ByteSpan sender_proof) {
  if (sender_proof.size() != kPeerProofBodyBytes) throw PeerProtocolError("peer auth: proof of the wrong size");
  Bytes out;
  ByteWriter w(out);
  w.u8(kPeerAuthVersion);
  w.bytes(sender_proof);
  return out;
}

Bytes decode_peer_auth(ByteSpan body) {
  if (body.size() != kPeerAuthBytes) {
    fail("peer auth", 0, std::to_string(body.size()) + " bytes, must be " + std::to_string(kPeerAuthBytes));
  }
  if (body[0] != kPeerAuthVersion) fail("peer auth version", 0, "version " + std::to_string(body[0]));
  return Bytes(body.begin() + 1, body.end());
}

std::optional<std::string> check_handshake(const Handshake& self, const Handshake& theirs) {
  const std::string who = "peer " + in_quotes(theirs.sender_id);
  if (theirs.group != self.group) {
    return "dLegerGroup mismatch: " + self.sender_id + " has dLegerGroup=" + in_quotes(self.group) + ", " + who +
           " has dLegerGroup=" + in_quotes(theirs.group);
  }
  std::string their_peers = theirs.peers;
  try {
    their_peers = common::format_peers(common::parse_peers(theirs.peers));
  } catch (const common::ConfigError&) {
    // Left as sent: it cannot equal ours, and the message below shows it.
  }
  if (their_peers != self.peers) {
    return "dLegerPeers mismatch: " + self.sender_id + " has dLegerPeers=" + in_quotes(self.peers) + ", " + who +
           " has dLegerPeers=" + in_quotes(theirs.peers);
  }
  if (self.data_file_bytes != 0 && theirs.data_file_bytes != 0 && self.data_file_bytes != theirs.data_file_bytes) {
    return "mappedFileSizeCommitLog mismatch: " + self.sender_id + " has mappedFileSizeCommitLog=" +
           std::to_string(self.data_file_bytes) + ", " + who + " has mappedFileSizeCommitLog=" +
           std::to_string(theirs.data_file_bytes) + " (DLedger entry positions depend on it)";
  }
  std::vector<common::Peer> peers = common::parse_peers(self.peers);
  const bool known = std::any_of(peers.begin(), peers.end(),
                                 [&](const common::Peer& p) { return p.id == theirs.sender_id; });
  if (!known || theirs.sender_id == self.sender_id) {
    return who + " is not a member of group " + in_quotes(self.group) + " (dLegerPeers=" + in_quotes(self.peers) +
           ", this node is " + in_quotes(self.sender_id) + ")";
  }
  if (theirs.receiver_id != self.sender_id) {
    return who + " called " + in_quotes(theirs.receiver_id) + " but reached " + in_quotes(self.sender_id) +
           " (dLegerSelfId)";
  }
  return std::nullopt;
}

Bytes encode_raft_message(const raft::Message& m) {
  Bytes out;
  std::size_t data_bytes = 0;
  for (const raft::Entry& e : m.entries) data_bytes += kRaftEntryHeaderBytes + e.data.size();
  out.reserve(kRaftMessageHeaderBytes + data_bytes);
  ByteWriter w(out);
  w.u8(kPeerProtocolVersion);
  w.u8(static_cast<std::uint8_t>(m.type));
  w.u8(static_cast<std::uint8_t>((m.reject ? 1 : 0) | (m.transfer ? 2 : 0)));
  w.u8(0);
  for (std::uint64_t v : {m.from, m.to, m.term, m.log_term, m.log_index, m.commit_index, m.hint_index, m.hint_term}) {
    w.i64(static_cast<std::int64_t>(v));
  }
  if (m.entries.size() > std::numeric_limits<std::uint32_t>::max()) throw PeerProtocolError("too many entries");
  w.i32(static_cast<std::int32_t>(m.entries.size()));
  for (const raft::Entry& e : m.entries) {
    if (e.data.size() > kMaxEntryDataBytes) {
      throw PeerProtocolError("entry " + std::to_string(e.index) + " data of " + std::to_string(e.data.size()) +
                              " bytes is over the limit");
    }
    w.i64(static_cast<std::int64_t>(e.index));
    w.i64(static_cast<std::int64_t>(e.term));
    w.u8(static_cast<std::uint8_t>(e.type));
    w.i32(static_cast<std::int32_t>(e.data.size()));
    w.bytes(e.data);
  }
  return out;
}

raft::Message decode_raft_message(ByteSpan body) {
  if (body.size() < kRaftMessageHeaderBytes) {
    fail("raft message header", 0,
         std::to_string(body.size()) + " bytes, need " + std::to_string(kRaftMessageHeaderBytes));
  }
  ByteReader r(body);
  const std::uint8_t version = r.u8();
  if (version != kPeerProtocolVersion) {
    fail("raft message version", 0, "version " + std::to_string(version) + " is not supported (this node speaks 1)");
  }
  const std::uint8_t type = r.u8();
  if (type > static_cast<std::uint8_t>(raft::MessageType::kTimeoutNow)) {
    fail("raft message type", 1, "unknown type " + std::to_string(type));
  }
  const std::uint8_t flags = r.u8();
  if ((flags & ~3u) != 0) fail("raft message flags", 2, "unknown flag bits " + std::to_string(flags));
  if (r.u8() != 0) fail("raft message reserved byte", 3, "must be 0");
  raft::Message m;
  m.type = static_cast<raft::MessageType>(type);
  m.reject = (flags & 1) != 0;
  m.transfer = (flags & 2) != 0;
  for (std::uint64_t* field : {&m.from, &m.to, &m.term, &m.log_term, &m.log_index, &m.commit_index, &m.hint_index,
                               &m.hint_term}) {
    *field = static_cast<std::uint64_t>(r.i64());
  }
  const auto count = static_cast<std::uint32_t>(r.i32());
  if (count != 0 && m.type != raft::MessageType::kAppend) {
    fail("raft message entry count", 68, std::to_string(count) + " entries on a " + raft::to_string(m.type));
  }
  if (count > r.remaining() / kRaftEntryHeaderBytes) {
    fail("raft message entry count", 68,
         std::to_string(count) + " entries cannot fit in the " + std::to_string(r.remaining()) + " bytes left");
  }
  m.entries.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t at = r.position();
    if (r.remaining() < kRaftEntryHeaderBytes) fail("raft entry header", at, "truncated");
    raft::Entry e;
    e.index = static_cast<std::uint64_t>(r.i64());
    e.term = static_cast<std::uint64_t>(r.i64());
    const std::uint8_t entry_type = r.u8();
    if (entry_type > static_cast<std::uint8_t>(raft::EntryType::kNoop)) {
      fail("raft entry type", at + 16, "unknown entry type " + std::to_string(entry_type));
    }
    e.type = static_cast<raft::EntryType>(entry_type);
    const auto length = static_cast<std::uint32_t>(r.i32());
    if (length > kMaxEntryDataBytes) {
      fail("raft entry data length", at + 17, std::to_string(length) + " is over the limit");
    }
    if (length > r.remaining()) {
      fail("raft entry data", at + 21,
           std::to_string(length) + " bytes announced, " + std::to_string(r.remaining()) + " left");
    }
    ByteSpan data = r.bytes(length);
    e.data.assign(data.begin(), data.end());
    m.entries.push_back(std::move(e));
  }
  if (r.remaining() != 0) {
    fail("raft message", r.position(), std::to_string(r.remaining()) + " unexpected bytes after the last entry");
  }
  return m;
}

}  // namespace rmq::dledger
