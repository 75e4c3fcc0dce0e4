// A DLedger follower forwards sends to the leader and relays the answer (dLegerForwardSends, on by default).
//
// Why: clients refresh their routes every 30 s. After a leadership transfer or a failover, a producer whose
// route still names the old leader would get SERVICE_NOT_AVAILABLE (14) from it on every send until then (and
// ali-ons retries only a few times). With forwarding, that follower passes SEND_MESSAGE (10), SEND_MESSAGE_V2
// (310), SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK (36) to the leader unchanged and relays the
// leader's answer (its code, remark, ext fields and body: msgId, queueId, queueOffset) as its own, so the
// client sees SEND_OK. RocketMQ 4.x has no such thing; a Java 4.x broker answers 14.
//
// Rules:
// - Where the leader is: the function given (the broker asks its name servers for brokerId 0 of its
//   brokerName, checked against the leader Raft names; broker_controller.cc). Empty -> answer 14 at once.
// - One connection to the leader, replaced when the leader's address changes or the connection closed.
// - The forwarded request gets a fresh opaque (the connection assigns it); the answer goes back under the
//   client's opaque (Responder). It carries the ext field `rmqForwardedBy` (this broker's address); a broker
//   that gets a marked request never forwards it again, it answers 14 (no loops, no ping-pong while roles
//   change).
// - At most max_inflight forwarded requests at once; more are answered SYSTEM_BUSY (2), which ali-ons and the
//   Java client retry (as for a busy send pool).
// - Each forwarded request waits at most timeout_ms; then (or when the connection fails) the client gets 14
//   with a remark naming the leader. The leader may still have stored it: the client's retry makes it
//   at-least-once, exactly like a client-side timeout.
// Crash: nothing is kept; a forwarded request in flight when this broker dies is a request the client never
// got an answer to, and retries.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/responder.h"

namespace rmq::server {

inline constexpr const char* kForwardedByField = "rmqForwardedBy";

struct SendForwardOptions {
  std::int64_t max_inflight = 1024;
  std::int64_t timeout_ms = 3000;
  std::int64_t connect_timeout_ms = 1000;
  std::string self_address;  // the value of rmqForwardedBy
};

class SendForwarder {
 public:
  // "ip:port" of the leader's client port, or "" when unknown. Called on the sending thread.
  using LeaderAddressFn = std::function<std::string()>;
  // Called when the leader answered 14 or could not be reached: the address it gave may be stale.
  using StaleFn = std::function<void(const std::string& address)>;

  SendForwarder(SendForwardOptions options, LeaderAddressFn leader_address, StaleFn stale = {});
  ~SendForwarder();  // shutdown()
  SendForwarder(const SendForwarder&) = delete;
  SendForwarder& operator=(const SendForwarder&) = delete;

  static bool was_forwarded(const remoting::RemotingCommand& request);

  // Forwards `request` and answers `responder` with the leader's answer, or with 14 / 2 as the rules say.
  // Never throws; always answers (unless the request is one-way).
  void forward(remoting::RemotingCommand request, const remoting::Responder& responder);

  std::int64_t inflight() const { return inflight_.load(); }
  std::uint64_t forwarded() const { return forwarded_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  // Closes the connection (failing what is in flight, whose clients get 14). Idempotent.
  void shutdown();

 private:
  std::shared_ptr<remoting::Connection> connection_to(const std::string& address, std::string& error);

  const SendForwardOptions options_;
  LeaderAddressFn leader_address_;
  StaleFn stale_;
  remoting::RemotingClient client_;
  std::mutex mutex_;  // guards the connection
  std::string connected_address_;
  std::shared_ptr<remoting::Connection> connection_;
  std::atomic<std::int64_t> inflight_{0};
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<bool> shut_down_{false};
};

}  // namespace rmq::server
