#include "broker/dledger/peer_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "broker/common/java_properties.h"
#include "broker/remoting/connection.h"
#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_server.h"

namespace rmq::dledger {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Logs the first few occurrences of a repeated problem, then one in a thousand.
bool should_log(std::uint64_t count) { return count <= 10 || count % 1000 == 0; }

// "1.2.3.4:5678" -> "1.2.3.4" ("[::1]:5678" -> "[::1]"): a refused peer redials from a new port every time,
// and a refusal is logged once per remote host, not once per connection.
std::string host_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

static_assert(kPeerNonceBodyBytes == kPeerNonceBytes && kPeerProofBodyBytes == kPeerProofBytes);

}  // namespace

raft::NodeId node_id_of(const std::vector<common::Peer>& peers, const std::string& self_id) {
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (peers[i].id == self_id) return static_cast<raft::NodeId>(i + 1);
  }
  return raft::kNoNode;
}

PeerTransport::PeerTransport(PeerTransportOptions options, MessageHandler on_message)
    : options_(std::move(options)), on_message_(std::move(on_message)) {
  peers_text_ = common::format_peers(options_.peers);
  self_node_id_ = node_id_of(options_.peers, options_.self_id);
  if (self_node_id_ == raft::kNoNode) {
    throw common::ConfigError("dLegerSelfId \"" + options_.self_id + "\" is not in dLegerPeers \"" + peers_text_ +
                              "\"");
  }
  for (std::size_t i = 0; i < options_.peers.size(); ++i) {
    const raft::NodeId id = static_cast<raft::NodeId>(i + 1);
    if (id != self_node_id_) outbound_[id] = Outbound{};
  }
}

PeerTransport::~PeerTransport() { stop(); }

Handshake PeerTransport::self_handshake(const std::string& receiver_id) const {
  return Handshake{options_.group, options_.self_id, receiver_id, peers_text_, options_.data_file_bytes};
}

void PeerTransport::start() {
  {
    std::lock_guard lock(mu_);
    if (started_) throw std::logic_error("PeerTransport::start called twice");
    started_ = true;
  }
  const common::Peer& self = options_.peers.at(self_node_id_ - 1);
  remoting::ServerOptions server_options;
  server_options.host = options_.listen_host;
  server_options.port = static_cast<std::uint16_t>(self.port);
  server_options.io_threads = 1;
  server_options.tls = options_.server_tls;
  server_ = std::make_unique<remoting::RemotingServer>(server_options);

  server_->register_handler(peer_code::kHandshake, [this](remoting::RemotingCommand request,
                                                          remoting::Responder responder) {
    auto connection = responder.connection();
    if (!connection) return;
    {
      // A second handshake on one connection starts over: whatever the first one earned is gone.
      std::lock_guard lock(mu_);
      inbound_.erase(connection->id());
      pending_auth_.erase(connection->id());
    }
    std::string refusal;
    std::string claimed = "?";
    raft::NodeId from = raft::kNoNode;
    Handshake theirs;
    try {
      theirs = decode_handshake(request.body);
      claimed = theirs.sender_id;
      if (auto problem = check_handshake(self_handshake(""), theirs)) {
        refusal = *problem;
      } else if (!options_.secret.empty() && theirs.nonce.empty()) {
        refusal = "peer " + in_quotes(theirs.sender_id) +
                  " sent no proof, and this node requires one (dLedgerPeerSecret is set here: set the same secret "
                  "on every member)";
      } else if (options_.secret.empty() && !theirs.nonce.empty()) {
        refusal = "peer " + in_quotes(theirs.sender_id) +
                  " wants to authenticate, and this node has no dLedgerPeerSecret (set the same secret on every "
                  "member)";
      } else {
        from = node_id_of(options_.peers, theirs.sender_id);
      }
    } catch (const PeerProtocolError& e) {
      refusal = std::string("malformed handshake: ") + e.what();
    }
    if (!refusal.empty()) {
      record_refusal("refused peer connection from " + host_of(connection->peer_address()) + ": " + refusal);
      responder.respond(peer_code::kRefused, refusal);
      return;
    }
    if (options_.secret.empty()) {
      {
        std::lock_guard lock(mu_);
        inbound_[connection->id()] = from;
      }
      responder.respond(0);
      return;
    }
    // The challenge: our nonce and our proof; the dialer's proof comes in PEER_AUTH.
    PendingAuth pending{from, PeerAuthContext{options_.group, theirs.sender_id, options_.self_id,
                                              std::move(theirs.nonce), random_peer_nonce()}};
    remoting::RemotingCommand response = remoting::make_response(request, 0);
    response.body = encode_handshake_challenge(
        {pending.context.receiver_nonce, peer_proof(options_.secret, PeerRole::kReceiver, pending.context)});
    {
      std::lock_guard lock(mu_);
      pending_auth_[connection->id()] = std::move(pending);
    }
    responder.respond(std::move(response));
  });

  server_->register_handler(peer_code::kAuth, [this](remoting::RemotingCommand request,
                                                     remoting::Responder responder) {
    auto connection = responder.connection();
    if (!connection) return;
    std::optional<PendingAuth> pending;
    {
      std::lock_guard lock(mu_);
      auto it = pending_auth_.find(connection->id());
      if (it != pending_auth_.end()) {
        pending = std::move(it->second);
        pending_auth_.erase(it);  // one attempt per challenge
      }
    }
    std::string refusal;
    if (!pending) {
      refusal = "PEER_AUTH without a challenge on this connection (no accepted version 2 handshake before it)";
    } else {
      try {
        const Bytes proof = decode_peer_auth(request.body);
        if (!peer_proof_matches(options_.secret, PeerRole::kSender, pending->context, proof)) {
          refusal = "peer " + in_quotes(pending->context.sender_id) +
                    " failed authentication: wrong proof (its dLedgerPeerSecret differs from this node's, or the "
                    "handshake was replayed or reflected)";
        }
      } catch (const PeerProtocolError& e) {
        refusal = "peer " + in_quotes(pending->context.sender_id) + " sent a malformed proof: " + e.what();
      }
    }
    if (!refusal.empty()) {
      record_refusal("refused peer connection from " + host_of(connection->peer_address()) + ": " + refusal);
      responder.respond(peer_code::kRefused, refusal);
      return;
    }
    {
      std::lock_guard lock(mu_);
      inbound_[connection->id()] = pending->from;
    }
    responder.respond(0);
  });

  server_->register_handler(peer_code::kRaftMessage, [this](remoting::RemotingCommand request,
                                                            remoting::Responder responder) {
    auto connection = responder.connection();
    if (!connection) return;
    raft::NodeId from = raft::kNoNode;
    {
      std::lock_guard lock(mu_);
      auto it = inbound_.find(connection->id());
      if (it != inbound_.end()) from = it->second;
    }
    if (from == raft::kNoNode) {
      const auto n = ++rejected_;
      if (should_log(n)) {
        spdlog::warn("dledger: raft message from {} before an accepted handshake: dropped, connection closed",
                     connection->peer_address());
      }
      connection->close();
      return;
    }
    raft::Message message;
    try {
      message = decode_raft_message(request.body);
    } catch (const PeerProtocolError& e) {
      const auto n = ++rejected_;
      if (should_log(n)) {
        spdlog::warn("dledger: malformed raft message from {} ({}): {}; connection closed",
                     connection->peer_address(), options_.peers.at(from - 1).id, e.what());
      }
      connection->close();
      return;
    }
    if (message.from != from || message.to != self_node_id_) {
      const auto n = ++rejected_;
      if (should_log(n)) {
        spdlog::warn("dledger: raft message from {} ({}, node {}) claims from={} to={} (this node is {}): dropped",
                     connection->peer_address(), options_.peers.at(from - 1).id, from, message.from, message.to,
                     self_node_id_);
      }
      return;
    }
    on_message_(std::move(message));
  });

  server_->on_connection_closed([this](const std::shared_ptr<remoting::Connection>& connection) {
    std::lock_guard lock(mu_);
    inbound_.erase(connection->id());
    pending_auth_.erase(connection->id());
  });

  client_ = std::make_unique<remoting::RemotingClient>(remoting::ClientOptions{1, options_.client_tls});
  client_->on_connection_closed([this](const std::shared_ptr<remoting::Connection>& connection) {
    {
      std::lock_guard lock(mu_);
      for (auto& [peer, out] : outbound_) {
        if (out.connection == connection) {
          out.connection.reset();
          out.next_attempt_ms = now_ms() + out.backoff_ms;
        }
      }
    }
    wake_.notify_all();
  });

  server_->start();
  if (options_.secret.empty()) {
    spdlog::warn("dledger: no dLedgerPeerSecret: peer connections to {}:{} are not authenticated, so any process "
                 "that can reach that port can vote and append in group {} (set dLedgerPeerSecret or "
                 "dLedgerPeerSecretFile on every member, man rmq-broker.8)",
                 options_.listen_host, self.port, options_.group);
  }
  connector_ = std::thread([this] { connector_loop(); });
}

void PeerTransport::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (connector_.joinable()) connector_.join();
  if (client_) client_->close();
  if (server_) server_->stop();
  std::lock_guard lock(mu_);
  for (auto& [peer, out] : outbound_) out.connection.reset();
  inbound_.clear();
  pending_auth_.clear();
}

void PeerTransport::record_refusal(const std::string& text) {
  ++refused_;
  std::uint64_t seen = 0;
  {
    std::lock_guard lock(mu_);
    last_refusal_ = text;
    // A refused peer retries every reconnect_max_ms: log each distinct reason once, then now and then.
    if (refusal_counts_.size() >= 64 && refusal_counts_.count(text) == 0) refusal_counts_.clear();
    seen = ++refusal_counts_[text];
  }
  if (seen == 1 || seen % 1000 == 0) {
    spdlog::error("dledger: {}{}", text, seen == 1 ? "" : " (" + std::to_string(seen) + " times)");
  }
}

std::string PeerTransport::last_refusal() const {
  std::lock_guard lock(mu_);
  return last_refusal_;
}

bool PeerTransport::connected_to(raft::NodeId peer) const {
  std::lock_guard lock(mu_);
  auto it = outbound_.find(peer);
  return it != outbound_.end() && it->second.connection && it->second.connection->is_open();
}

void PeerTransport::connector_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::int64_t wait_ms = options_.reconnect_max_ms;
    const std::int64_t now = now_ms();
    raft::NodeId due = raft::kNoNode;
    for (auto& [peer, out] : outbound_) {
      if (out.connection && out.connection->is_open()) continue;
      if (out.next_attempt_ms <= now) {
        due = peer;
        break;
      }
      wait_ms = std::min(wait_ms, out.next_attempt_ms - now);
    }
    if (due == raft::kNoNode) {
      wake_.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(wait_ms, 1)));
      continue;
    }
    lock.unlock();
    dial(due);
    lock.lock();
  }
}

void PeerTransport::dial(raft::NodeId peer) {
  const common::Peer& target = options_.peers.at(peer - 1);
  std::shared_ptr<remoting::Connection> connection;
  std::string error;
  bool refused = false;
  try {
    connection = client_->connect(target.host, static_cast<std::uint16_t>(target.port), options_.connect_timeout_ms);
    Handshake handshake = self_handshake(target.id);
    if (!options_.secret.empty()) handshake.nonce = random_peer_nonce();
    remoting::RemotingCommand request = remoting::make_request(peer_code::kHandshake);
    request.body = encode_handshake(handshake);
    remoting::InvokeResult result = connection->invoke_sync(std::move(request), options_.handshake_timeout_ms);
    if (!result.ok()) {
      error = "handshake with " + target.id + " at " + target.address() + ": " + result.error;
    } else if (result.response.code != 0) {
      refused = true;
      error = "peer " + target.id + " at " + target.address() + " refused this node: " +
              result.response.remark.value_or("code " + std::to_string(result.response.code));
    } else if (!options_.secret.empty()) {
      error = authenticate_outbound(connection, target, handshake.nonce, result.response, &refused);
    }
  } catch (const std::exception& e) {
    error = "cannot connect to peer " + target.id + " at " + target.address() + ": " + e.what();
  }
  if (!error.empty() && connection) connection->close();
  if (refused) record_refusal(error);

  std::lock_guard lock(mu_);
  Outbound& out = outbound_.at(peer);
  if (stopping_) {
    if (connection) connection->close();
    return;
  }
  if (error.empty()) {
    if (!out.last_error.empty()) spdlog::info("dledger: connected to peer {} at {}", target.id, target.address());
    out.connection = std::move(connection);
    out.backoff_ms = 0;
    out.last_error.clear();
    return;
  }
  out.backoff_ms = out.backoff_ms == 0 ? options_.reconnect_min_ms
                                       : std::min(out.backoff_ms * 2, options_.reconnect_max_ms);
  out.next_attempt_ms = now_ms() + out.backoff_ms;
  if (!refused && error != out.last_error) spdlog::warn("dledger: {} (retrying)", error);
  out.last_error = error;
}

std::string PeerTransport::authenticate_outbound(const std::shared_ptr<remoting::Connection>& connection,
                                                const common::Peer& target, const Bytes& sender_nonce,
                                                const remoting::RemotingCommand& response, bool* refused) {
  const std::string who = "peer " + target.id + " at " + target.address();
  *refused = true;
  if (response.body.empty()) {
    return who + " accepted this node without a challenge: it holds no dLedgerPeerSecret (or is not a member); "
                 "not using the connection";
  }
  HandshakeChallenge challenge;
  try {
    challenge = decode_handshake_challenge(response.body);
  } catch (const PeerProtocolError& e) {
    return who + " sent a malformed challenge: " + e.what();
  }
  const PeerAuthContext context{options_.group, options_.self_id, target.id, sender_nonce,
                                std::move(challenge.receiver_nonce)};
  if (!peer_proof_matches(options_.secret, PeerRole::kReceiver, context, challenge.receiver_proof)) {
    return who + " failed authentication: wrong proof (its dLedgerPeerSecret differs from this node's, or the "
                 "answer was replayed); not using the connection";
  }
  remoting::RemotingCommand auth = remoting::make_request(peer_code::kAuth);
  auth.body = encode_peer_auth(peer_proof(options_.secret, PeerRole::kSender, context));
  remoting::InvokeResult result = connection->invoke_sync(std::move(auth), options_.handshake_timeout_ms);
  if (!result.ok()) {
    *refused = false;
    return "authentication with " + target.id + " at " + target.address() + ": " + result.error;
  }
  if (result.response.code != 0) {
    return who + " refused this node: " +
           result.response.remark.value_or("code " + std::to_string(result.response.code));
  }
  *refused = false;
  return "";
}

void PeerTransport::send(const raft::Message& message) {
  std::shared_ptr<remoting::Connection> connection;
  {
    std::lock_guard lock(mu_);
    auto it = outbound_.find(message.to);
    if (it != outbound_.end()) connection = it->second.connection;
  }
  if (!connection || !connection->is_open() ||
      connection->queued_write_bytes() >= options_.max_queued_bytes_per_peer) {
    ++dropped_;
    return;
  }
  remoting::RemotingCommand request = remoting::make_oneway_request(peer_code::kRaftMessage);
  request.body = encode_raft_message(message);
  if (!connection->invoke_oneway(std::move(request))) ++dropped_;
}

void PeerTransport::send_all(const std::vector<raft::Message>& messages) {
  if (messages.size() == 1) return send(messages.front());
  // Destinations in order of first appearance; each peer's messages keep their order.
  std::vector<raft::NodeId> peers;
  for (const raft::Message& m : messages) {
    if (std::find(peers.begin(), peers.end(), m.to) == peers.end()) peers.push_back(m.to);
  }
  for (raft::NodeId peer : peers) {
    std::shared_ptr<remoting::Connection> connection;
    {
      std::lock_guard lock(mu_);
      auto it = outbound_.find(peer);
      if (it != outbound_.end()) connection = it->second.connection;
    }
    std::vector<remoting::RemotingCommand> requests;
    std::size_t dropped = 0;
    std::size_t queued_bytes = connection ? connection->queued_write_bytes() : 0;
    for (const raft::Message& m : messages) {
      if (m.to != peer) continue;
      if (!connection || !connection->is_open() || queued_bytes >= options_.max_queued_bytes_per_peer) {
        ++dropped;
        continue;
      }
      remoting::RemotingCommand& request = requests.emplace_back(remoting::make_oneway_request(peer_code::kRaftMessage));
      request.body = encode_raft_message(m);
      queued_bytes += request.body.size();
    }
    const std::size_t wanted = requests.size();
    if (wanted != 0) dropped += wanted - connection->invoke_oneway_batch(std::move(requests));
    if (dropped != 0) dropped_ += dropped;
  }
}

}  // namespace rmq::dledger
