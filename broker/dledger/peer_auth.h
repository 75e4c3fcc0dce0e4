// How two members of a DLedger group prove to each other that they hold the group's shared secret
// (dLedgerPeerSecret / dLedgerPeerSecretFile, man/rmq-broker.8), so that a process that can reach a peer port
// but does not hold the secret can neither vote nor append (issue 14, part 3).
//
// The exchange (the messages are in peer_protocol.h, the state machine in peer_transport.cc):
//   dialer   -> listener  PEER_HANDSHAKE v2: group, ids, peers, ... and a fresh 32-byte nonce Ns
//   listener -> dialer    challenge: a fresh 32-byte nonce Nr and proof(receiver role, Ns, Nr)
//   dialer   -> listener  PEER_AUTH: proof(sender role, Ns, Nr), after checking the listener's proof
//   listener -> dialer    accepted; only now may Raft messages on this connection reach the Raft core
// proof(role, ...) = HMAC-SHA256(secret, role label || group || sender id || receiver id || Ns || Nr), each
// field preceded by its length (uint16, big-endian) so that no two different field lists give the same input.
//
// Why each part is there:
// - a nonce from each side: a recorded PEER_AUTH (or challenge) is useless on a later connection because the
//   other side's nonce is new, so a replayed handshake fails;
// - the role label: the listener's proof can never be used as a dialer's proof (or the other way round), so a
//   proof obtained by dialing a member cannot be reflected back to it or to another member;
// - the group and both ids: a proof made for the connection n1 -> n0 does not authenticate n2 -> n0, n1 -> n2
//   or a connection in another group that happens to use the same secret;
// - both sides prove: a dialer also refuses a listener that cannot prove it holds the secret, so a process that
//   took over a member's address cannot feed it votes or appends through the dialer's own connection either.
// Proofs are compared in constant time (CRYPTO_memcmp): the time of a refusal tells nothing about how many
// bytes of a guessed proof were right. The secret itself never travels and is never logged.
//
// Crash: nothing here is durable; every connection starts a new exchange.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "broker/common/bytes.h"

namespace rmq::dledger {

inline constexpr std::size_t kPeerNonceBytes = 32;
inline constexpr std::size_t kPeerProofBytes = 32;  // HMAC-SHA256
// A shorter secret is refused at start (ConfigError): 16 bytes is the least that cannot be guessed online.
inline constexpr std::size_t kMinPeerSecretBytes = 16;
inline constexpr std::size_t kMaxPeerSecretBytes = 4096;

// Which end of the connection computes a proof: the node that dialed (and sent PEER_HANDSHAKE) or the one that
// listened.
enum class PeerRole { kSender, kReceiver };

// What a proof binds, for one connection.
struct PeerAuthContext {
  std::string group;
  std::string sender_id;    // the dialer's dLegerSelfId
  std::string receiver_id;  // the listener's dLegerSelfId
  common::Bytes sender_nonce;
  common::Bytes receiver_nonce;
};

// kPeerNonceBytes from OpenSSL's CSPRNG; throws std::runtime_error when it fails.
common::Bytes random_peer_nonce();

// The proof of `role` for `context` (kPeerProofBytes). Throws std::invalid_argument when a nonce is not
// kPeerNonceBytes long or a field is over 65535 bytes, std::runtime_error when OpenSSL fails.
common::Bytes peer_proof(std::string_view secret, PeerRole role, const PeerAuthContext& context);

// Whether `proof` is the proof of `role` for `context`, in time that does not depend on where they differ.
bool peer_proof_matches(std::string_view secret, PeerRole role, const PeerAuthContext& context,
                        common::ByteSpan proof);

}  // namespace rmq::dledger
