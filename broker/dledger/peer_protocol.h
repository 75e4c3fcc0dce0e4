// The peer protocol of a DLedger group of rmq-brokers: what one node sends another on the dLegerPeers port.
//
// Mixing Java DLedger nodes and ours in one group is not a goal (issue 10), store compatibility is; so the
// bodies are our own: binary, big-endian, versioned, every length checked against what is left of the body
// before it is used. They travel in ordinary remoting frames (broker/remoting, remoting.md 1.1) with request
// codes from a range of our own, chosen clear of RocketMQ's request codes (< 1000 in 4.x) and of DLedger's
// (50000-51006, 59999), so that a Java DLedger node that dials us by mistake gets REQUEST_CODE_NOT_SUPPORTED
// instead of a misread body:
//
//   52000  PEER_HANDSHAKE     request, answered: first request on every connection a node opens to a peer
//   52001  PEER_RAFT_MESSAGE  one-way: one raft::Message (vote, pre-vote, append, heartbeat, their responses,
//                             timeout-now); Raft answers with another message, never with a remoting response
//   52002  PEER_AUTH          request, answered: the dialer's proof, second request when the group has a
//                             dLedgerPeerSecret (peer_auth.h)
//   52100  PEER_REFUSED       response code of a refused handshake or proof; the remark is the one-line reason
//
// Why a handshake: Raft node ids on the wire are numbers (1-based positions in dLegerPeers), which only mean
// the same thing on two nodes whose dLegerPeers lists agree. So before any Raft message a connection carries
// the sender's dLegerGroup, its normalized dLegerPeers and its selfId, and the receiver refuses a group or a
// peer list that differs from its own, or an id outside the group, with a one-line error naming both values
// (both sides log it). Raft messages on a connection without an accepted handshake, or whose `from` is not
// the id that handshook, are dropped and logged.
//
// PEER_HANDSHAKE body, version 1:
//   off  size  field
//    0    1    version = 1
//    1    2    group length G (uint16)          then G bytes: dLegerGroup (UTF-8)
//    .    2    sender id length S (uint16)      then S bytes: the sender's dLegerSelfId ("n0")
//    .    2    receiver id length R (uint16)    then R bytes: the id the sender believes it is calling
//    .    4    peers length P (uint32, <= 64 KiB) then P bytes: the sender's dLegerPeers, normalized
//    .    8    data file bytes (int64): the sender's mappedFileSizeCommitLog, which entry positions are laid
//              out with (entry_codec.h), so it must agree too; 0 means "not stated" and is not compared
//   (nothing may follow)
//
// PEER_HANDSHAKE body, version 2 (sent by a node that holds a dLedgerPeerSecret; version 1 by one that does
// not, so that nodes without a secret still talk to builds that only know version 1): the version 1 fields
// with version = 2, then
//    .    1    auth scheme = 1 (HMAC-SHA256 challenge-response, peer_auth.h; no other value is defined)
//    .   32    sender nonce
//   (nothing may follow)
// A listener with a secret refuses version 1 ("no proof"); one without a secret refuses version 2 (the two
// nodes do not agree on whether the group is authenticated: both sides log why).
//
// Answer to PEER_HANDSHAKE (code 0): an empty body after a version 1 handshake; after a version 2 handshake
// the challenge:
//   off  size  field
//    0    1    version = 2
//    1    1    auth scheme = 1
//    2   32    receiver nonce
//   34   32    receiver proof (peer_auth.h, receiver role)
//   (66 bytes, nothing may follow)
// The dialer checks the proof (and refuses a listener that sends none or a wrong one), then sends
//
// PEER_AUTH body:
//   off  size  field
//    0    1    version = 2
//    1   32    sender proof (peer_auth.h, sender role)
//   (33 bytes, nothing may follow)
// answered 0 (the connection now carries Raft messages) or PEER_REFUSED (the listener then closes it).
//
// PEER_RAFT_MESSAGE body, version 1 (72-byte header, then the entries):
//   off  size  field
//    0    1    version = 1
//    1    1    type: 0 Append, 1 AppendResponse, 2 Heartbeat, 3 HeartbeatResponse, 4 Vote, 5 VoteResponse,
//              6 PreVote, 7 PreVoteResponse, 8 TimeoutNow (raft::MessageType)
//    2    1    flags: bit 0 reject, bit 1 transfer; other bits must be 0
//    3    1    reserved, 0
//    4    8    from (uint64 node id)
//   12    8    to
//   20    8    term
//   28    8    log_term
//   36    8    log_index
//   44    8    commit_index
//   52    8    hint_index
//   60    8    hint_term
//   68    4    entry count N (uint32); non-zero only for Append
//   72         N entries, each: index (uint64), term (uint64), type (uint8: 0 normal, 1 no-op),
//              data length D (uint32, <= kMaxEntryDataBytes), D data bytes
//   (nothing may follow)
// Field meanings per type are raft_types.h's Message table. The body of an entry is opaque here; the node
// driver puts the entry's position and its record there (entry_codec.h).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "broker/common/bytes.h"
#include "broker/raft/raft_types.h"

namespace rmq::dledger {

using common::Bytes;
using common::ByteSpan;

namespace peer_code {
inline constexpr std::int32_t kHandshake = 52000;
inline constexpr std::int32_t kRaftMessage = 52001;
inline constexpr std::int32_t kAuth = 52002;
inline constexpr std::int32_t kRefused = 52100;  // response code
}  // namespace peer_code

inline constexpr std::uint8_t kPeerProtocolVersion = 1;
inline constexpr std::uint8_t kPeerAuthVersion = 2;      // handshake with a nonce, challenge, PEER_AUTH
inline constexpr std::uint8_t kPeerAuthSchemeHmacSha256 = 1;
inline constexpr std::size_t kPeerNonceBodyBytes = 32;    // = peer_auth.h kPeerNonceBytes
inline constexpr std::size_t kPeerProofBodyBytes = 32;    // = peer_auth.h kPeerProofBytes
inline constexpr std::size_t kHandshakeChallengeBytes = 2 + kPeerNonceBodyBytes + kPeerProofBodyBytes;
inline constexpr std::size_t kPeerAuthBytes = 1 + kPeerProofBodyBytes;
inline constexpr std::size_t kRaftMessageHeaderBytes = 72;
inline constexpr std::size_t kRaftEntryHeaderBytes = 21;
// An entry's data: a DLedger entry (at most 4 MiB, storage.md 5.5) plus our 8-byte position prefix.
inline constexpr std::size_t kMaxEntryDataBytes = 4 * 1024 * 1024 + 64;
inline constexpr std::size_t kMaxHandshakePeersBytes = 64 * 1024;

// A body that is not a well-formed message; what() is one line naming the field and its offset.
class PeerProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Handshake {
  std::string group;     // dLegerGroup
  std::string sender_id;  // dLegerSelfId of the node that opened the connection
  std::string receiver_id;
  std::string peers;     // dLegerPeers, normalized (common::format_peers)
  std::int64_t data_file_bytes = 0;  // mappedFileSizeCommitLog; 0: not stated
  Bytes nonce{};  // empty: version 1, no authentication; else version 2 with this kPeerNonceBodyBytes nonce
  bool operator==(const Handshake&) const = default;
};

// The listener's answer to a version 2 handshake.
struct HandshakeChallenge {
  Bytes receiver_nonce;  // kPeerNonceBodyBytes
  Bytes receiver_proof;  // kPeerProofBodyBytes
  bool operator==(const HandshakeChallenge&) const = default;
};

Bytes encode_handshake(const Handshake& handshake);
// Throws PeerProtocolError.
Handshake decode_handshake(ByteSpan body);

// Throw PeerProtocolError (a wrong nonce or proof size on encode; any malformed body on decode).
Bytes encode_handshake_challenge(const HandshakeChallenge& challenge);
HandshakeChallenge decode_handshake_challenge(ByteSpan body);
Bytes encode_peer_auth(ByteSpan sender_proof);
Bytes decode_peer_auth(ByteSpan body);  // the sender proof

// What this node thinks of a peer's handshake: nullopt to accept, else the one-line reason to refuse.
// `self` is this node's own view (its group, its id as sender_id, its peers).
std::optional<std::string> check_handshake(const Handshake& self, const Handshake& theirs);

Bytes encode_raft_message(const raft::Message& message);
// Throws PeerProtocolError. Checks the format only (known type, flags, lengths, entries only on Append);
// whether `from` and `to` make sense is the transport's business.
raft::Message decode_raft_message(ByteSpan body);

}  // namespace rmq::dledger
