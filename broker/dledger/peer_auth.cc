#include "broker/dledger/peer_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <limits>

namespace rmq::dledger {
namespace {

using common::ByteSpan;
using common::Bytes;
using common::ByteWriter;

void put_field(ByteWriter& w, ByteSpan field, const char* name) {
  if (field.size() > std::numeric_limits<std::uint16_t>::max()) {
    throw std::invalid_argument(std::string("peer proof: ") + name + " is over 65535 bytes");
  }
  w.i16(static_cast<std::int16_t>(field.size()));
  w.bytes(field);
}

void put_field(ByteWriter& w, std::string_view field, const char* name) {
  put_field(w, ByteSpan(reinterpret_cast<const std::uint8_t*>(field.data()), field.size()), name);
}

Bytes proof_input(PeerRole role, const PeerAuthContext& c) {
  if (c.sender_nonce.size() != kPeerNonceBytes || c.receiver_nonce.size() != kPeerNonceBytes) {
    throw std::invalid_argument("peer proof: a nonce is not " + std::to_string(kPeerNonceBytes) + " bytes");
  }
  Bytes input;
  ByteWriter w(input);
  put_field(w, role == PeerRole::kSender ? std::string_view("rmq-dledger-peer-auth/1 sender")
                                         : std::string_view("rmq-dledger-peer-auth/1 receiver"),
            "role");
  put_field(w, c.group, "group");
  put_field(w, c.sender_id, "sender id");
  put_field(w, c.receiver_id, "receiver id");
  put_field(w, c.sender_nonce, "sender nonce");
  put_field(w, c.receiver_nonce, "receiver nonce");
  return input;
}

}  // namespace

Bytes random_peer_nonce() {
  Bytes nonce(kPeerNonceBytes);
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed to make a peer nonce");
  }
  return nonce;
}

Bytes peer_proof(std::string_view secret, PeerRole role, const PeerAuthContext& context) {
  const Bytes input = proof_input(role, context);
  Bytes digest(EVP_MAX_MD_SIZE);
  unsigned int digest_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), input.data(), input.size(), digest.data(),
           &digest_len) == nullptr ||
      digest_len != kPeerProofBytes) {
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  }
  digest.resize(digest_len);
  return digest;
}

bool peer_proof_matches(std::string_view secret, PeerRole role, const PeerAuthContext& context, ByteSpan proof) {
  if (proof.size() != kPeerProofBytes) return false;
  const Bytes expected = peer_proof(secret, role, context);
  return CRYPTO_memcmp(expected.data(), proof.data(), kPeerProofBytes) == 0;
}

}  // namespace rmq::dledger
