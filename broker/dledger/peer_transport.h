// The network between the members of a DLedger group: every node listens on its own dLegerPeers address and
// opens one outgoing connection to each other member, over which it sends its Raft messages (peer_protocol.h).
//
// Why one-way messages: Raft answers a message with another message (AppendResponse to Append, ...), and the
// core copes with messages that are lost, late, duplicated or reordered, so the transport never retries and
// never waits for an answer. This is what makes appends pipelined: the leader's core keeps up to
// Config::max_inflight_msgs appends (and max_inflight_bytes) unacknowledged per follower, and they all go
// out back to back on that follower's connection.
//
// Bounded: a message for a peer that is not connected is dropped (the core resends what matters on the next
// heartbeat round), and so is one for a peer whose connection already holds max_queued_bytes_per_peer of
// unsent frames (a slow or stuck follower cannot make the leader's memory grow). The inbound side is bounded
// by the remoting server's limits.
//
// Connections: a connector thread dials every peer that has no connection, sends the handshake and waits for
// the answer; a refusal (another group, another peer list, an id outside the group, a failed proof) is logged
// once per distinct reason and retried with backoff (reconnect_min_ms doubling to reconnect_max_ms), as is a
// peer that is down. Inbound connections must handshake before their Raft messages are accepted; a message
// whose `from` is not the id that handshook, or whose `to` is not this node, is dropped and logged.
//
// Authentication (peer_auth.h): with a secret, the handshake is the challenge-response there, in both
// directions: a listener accepts Raft messages on a connection only after the dialer's PEER_AUTH proof checked
// out, and a dialer uses a connection only after the listener's proof checked out. A failed proof is answered
// PEER_REFUSED and logged once per (claimed id, remote host, reason), without the secret; the connection never
// carries a message to the Raft core (a Raft message on it is dropped and the connection closed, as on any
// connection without an accepted handshake). Without a secret, start() logs a warning and peers are trusted
// as before (the group and id checks only).
//
// TLS (dLedgerPeerTlsMode): the peer port listens as the client port does (remoting_server.h: a plain
// connection to an enforcing port is closed before anything is read from it), and dials with TLS when
// client_tls.enable; the handshake and authentication above then run inside TLS. TLS hides and protects the
// Raft traffic on the wire; the peer secret (or need.client.auth) is what keeps non-members out.
//
// Threads: send() may be called from any thread; the message handler runs on a remoting I/O thread and must not
// block. Crash: nothing here is durable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/common/dledger_peers.h"
#include "broker/dledger/peer_auth.h"
#include "broker/dledger/peer_protocol.h"
#include "broker/raft/raft_types.h"
#include "broker/remoting/tls_settings.h"

namespace rmq::remoting {
struct RemotingCommand;
class Connection;
class RemotingClient;
class RemotingServer;
}  // namespace rmq::remoting

namespace rmq::dledger {

struct PeerTransportOptions {
  std::string group;                 // dLegerGroup
  std::string self_id;               // dLegerSelfId
  std::vector<common::Peer> peers;   // dLegerPeers, in order: node id i + 1 is peers[i]
  std::int64_t data_file_bytes = 0;  // mappedFileSizeCommitLog, compared in the handshake (0: not compared)
  std::string listen_host = "0.0.0.0";
  std::int64_t connect_timeout_ms = 1000;
  std::int64_t handshake_timeout_ms = 1000;
  std::int64_t reconnect_min_ms = 50;
  std::int64_t reconnect_max_ms = 1000;
  std::size_t max_queued_bytes_per_peer = 64u << 20;
  std::string secret;  // dLedgerPeerSecret; empty: peers are not authenticated
  // dLedgerPeerTlsMode with the broker's tls.server.* files: how the peer port listens (disabled: plain).
  remoting::TlsServerSettings server_tls;
  // With client_tls.enable this node dials its peers with TLS (tls.client.* for verification and a client
  // certificate).
  remoting::TlsClientSettings client_tls;
};

// The Raft node id of a dLegerSelfId: its 1-based position in the peer list; 0 when it is not there.
raft::NodeId node_id_of(const std::vector<common::Peer>& peers, const std::string& self_id);

class PeerTransport {
 public:
  using MessageHandler = std::function<void(raft::Message message)>;

  // Throws common::ConfigError when self_id is not in peers.
  PeerTransport(PeerTransportOptions options, MessageHandler on_message);
  ~PeerTransport();  // stop()
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Listens on this node's port and starts dialling the others. Throws std::system_error when the port is
  // taken.
  void start();
  // Closes every connection and joins the threads. Idempotent.
  void stop();

  // Queues `message` for message.to (dropped as the header says when it cannot go out).
  void send(const raft::Message& message);
  // Queues every message, as send() does, with one hand-off per destination peer: the frames for one peer
  // reach its connection's I/O thread together and leave in one gathered write. The Raft runtime sends each
  // batch's messages this way, so a pipelined leader wakes each connection once per batch, not per append.
  void send_all(const std::vector<raft::Message>& messages);

  raft::NodeId self_node_id() const { return self_node_id_; }
  // Counters and the last refusal, for status and tests.
  std::uint64_t dropped_messages() const { return dropped_.load(); }
  std::uint64_t refused_handshakes() const { return refused_.load(); }
  std::uint64_t rejected_messages() const { return rejected_.load(); }
  std::string last_refusal() const;
  bool connected_to(raft::NodeId peer) const;

 private:
  struct Outbound {
    std::shared_ptr<remoting::Connection> connection;
    std::int64_t backoff_ms = 0;
    std::int64_t next_attempt_ms = 0;  // steady clock ms
    std::string last_error;            // logged once per distinct text
  };

  void connector_loop();
  void dial(raft::NodeId peer);
  // Inbound connection waiting for the dialer's PEER_AUTH after our challenge.
  struct PendingAuth {
    raft::NodeId from = raft::kNoNode;
    PeerAuthContext context;
  };

  void record_refusal(const std::string& text);
  // Dialer side of the challenge-response on `connection`: empty when the listener proved itself and
  // accepted our proof; else the error, with *refused set when the listener (or its proof) refused us.
  std::string authenticate_outbound(const std::shared_ptr<remoting::Connection>& connection,
                                    const common::Peer& target, const Bytes& sender_nonce,
                                    const remoting::RemotingCommand& response, bool* refused);
  Handshake self_handshake(const std::string& receiver_id) const;

  PeerTransportOptions options_;
  MessageHandler on_message_;
  std::string peers_text_;  // normalized
  raft::NodeId self_node_id_ = raft::kNoNode;

  std::unique_ptr<remoting::RemotingServer> server_;
  std::unique_ptr<remoting::RemotingClient> client_;
  std::thread connector_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool started_ = false;
  std::map<raft::NodeId, Outbound> outbound_;
  std::map<std::uint64_t, raft::NodeId> inbound_;  // server connection id -> peer that handshook on it
  std::map<std::uint64_t, PendingAuth> pending_auth_;  // server connection id -> challenge sent, no proof yet
  std::string last_refusal_;
  std::map<std::string, std::uint64_t> refusal_counts_;  // refusal text -> times seen

  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace rmq::dledger
