// libFuzzer target: the DLedger peer-protocol bodies (broker/dledger/peer_protocol.h). The first byte picks
// PEER_HANDSHAKE or PEER_RAFT_MESSAGE. Checks: a bad body is refused with PeerProtocolError and nothing else
// (no crash, no other exception, no read outside the body); a good body re-encodes to exactly its bytes (the
// format has one encoding per message) and decodes again to the same value; check_handshake never throws.
#include <cstddef>
#include <cstdint>

#include "broker/dledger/peer_protocol.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const common::Bytes body = fuzz::exact_copy(fuzz::as_span(data + 1, size - 1));
  if (data[0] & 1) {
    raft::Message message;
    try {
      message = dledger::decode_raft_message(body);
    } catch (const dledger::PeerProtocolError&) {
      return 0;
    }
    const common::Bytes encoded = dledger::encode_raft_message(message);
    FUZZ_CHECK(encoded == body);
    FUZZ_CHECK(dledger::decode_raft_message(encoded) == message);
  } else {
    dledger::Handshake handshake;
    try {
      handshake = dledger::decode_handshake(body);
    } catch (const dledger::PeerProtocolError&) {
      return 0;
    }
    const common::Bytes encoded = dledger::encode_handshake(handshake);
    FUZZ_CHECK(encoded == body);
    FUZZ_CHECK(dledger::decode_handshake(encoded) == handshake);
    dledger::Handshake self{"RaftNode00", "n0", "n1", "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913",
                            1024 * 1024 * 1024};
    (void)dledger::check_handshake(self, handshake);
    (void)dledger::check_handshake(handshake, self);
  }
  return 0;
}
