// A DLedger node that cannot store a send itself forwards it to the leader and relays the answer
// (dLegerForwardSends, on by default).
//
// Why: clients refresh their routes every 30 s. After a leadership transfer or a failover, a producer whose
// route still names the old leader would get SERVICE_NOT_AVAILABLE (14) from it on every send until then (and
// ali-ons retries only a few times, at once). With forwarding, that node passes SEND_MESSAGE (10),
// SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK (36) to the leader unchanged and
// relays the leader's answer (its code, remark, ext fields and body: msgId, queueId, queueOffset) as its own,
// so the client sees SEND_OK. RocketMQ 4.x has no such thing; a Java 4.x broker answers 14.
//
// When a send comes here (send_message_processor.cc): the node is not writable (a follower, a candidate, a
// leader still catching up), or its store refused the put because the node is not the leader any more or
// not yet again (PutResult::not_leader: a leadership transfer refuses proposals; a step-down between the
// role check and the append).
//
// Rules:
// - Where the leader is: hooks.leader_address (broker_controller.cc: the name servers' brokerId 0 checked
//   against the Raft leader id, leader_address_book.h). On the caller's thread (a send pool thread, or the
//   store's completion thread) only what is known at once is used: a cached address with an open
//   connection; anything else waits (is "parked") for the forwarder's own thread, which looks the leader up,
//   connects and sends.
// - A parked send waits until one of these, checked every poll_interval_ms and at once when something
//   changes:
//     the leader's address is known -> forwarded;
//     this node is writable again (a transfer that gave up, a leader that caught up) -> processed here again
//       (hooks.process_locally), no sooner than local_retry_ms after this node last refused it;
//     no Raft leader has been known (and this node was not writable) for no_leader_wait_ms -> 14 (an election
//       or a node cut off from the others: the client's retry goes on from there; waiting the whole timeout
//       would only hold the client);
//     the send's deadline passed -> 14 naming what was waited for.
// - The deadline is dLegerForwardTimeoutMills after the send first came here, for the wait and the forwarded
//   call together; it travels with the send if it is processed here again, so no send circles for longer.
// - A forwarded send the leader answered 14 (it is not writable after all) or that could not be delivered
//   (connection refused or closed) is parked again until its deadline, after telling hooks.stale that the
//   address may be wrong. A forwarded call that timed out is not retried: the client gets 14.
// - One connection to the leader, replaced when the leader's address changes or the connection closed.
// - The forwarded request gets a fresh opaque (the connection assigns it); the answer goes back under the
//   client's opaque (Responder). It carries the ext field `rmqForwardedBy` (this broker's address); a broker
//   that gets a marked request never forwards or parks it, it answers 14 (no loops, no ping-pong while roles
//   change; the forwarding node's retry covers it).
// - At most max_inflight sends are forwarded or parked at once; more are answered SYSTEM_BUSY (2), which
//   ali-ons and the Java client retry (as for a busy send pool).
// - Delivery is at least once, as the client's own retries are: a send the leader stored but whose answer was
//   lost (the connection closed) is forwarded again if time remains, else the client retries.
// Threads: forward() never blocks. One thread of its own for parked sends. Callbacks of forwarded calls run
// on the connection's I/O thread and only answer or park.
// Crash: nothing is kept; a send parked or in flight when this broker dies is a send the client never got an
// answer to, and retries. shutdown() answers every parked send 14 and closes the connection (a call still in
// flight is then answered 14 too).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/responder.h"

namespace rmq::server {

inline constexpr const char* kForwardedByField = "rmqForwardedBy";

struct SendForwardOptions {
  std::int64_t max_inflight = 1024;      // dLegerForwardMaxInflight
  std::int64_t timeout_ms = 3000;        // dLegerForwardTimeoutMills: waiting plus the forwarded call
  std::int64_t connect_timeout_ms = 1000;
  std::int64_t no_leader_wait_ms = 1000;
  std::int64_t poll_interval_ms = 5;
  std::int64_t local_retry_ms = 20;
  std::string self_address;              // the value of rmqForwardedBy
  remoting::TlsClientSettings tls;       // tls.enable / tls.client.* of the broker
};

using ForwardClock = std::chrono::steady_clock;

struct SendForwardHooks {
  // "ip:port" of the leader's client port, or "" when unknown. may_look_up=false: what is known now, without
  // blocking; true (the forwarder's thread only): may ask the name servers.
  std::function<std::string(bool may_look_up)> leader_address;
  // A Raft leader other than this node is known.
  std::function<bool()> leader_known;
  // This node takes sends itself now.
  std::function<bool()> writable;
  // The address answered 14 or could not be reached: it may be stale. May be empty.
  std::function<void(const std::string& address)> stale;
  // Process the send here again, as if it had just arrived, keeping its deadline. Required.
  std::function<void(remoting::RemotingCommand request, remoting::Responder responder,
                     ForwardClock::time_point deadline)>
      process_locally;
};

class SendForwarder {
 public:
  SendForwarder(SendForwardOptions options, SendForwardHooks hooks);
  ~SendForwarder();  // shutdown()
  SendForwarder(const SendForwarder&) = delete;
  SendForwarder& operator=(const SendForwarder&) = delete;

  static bool was_forwarded(const remoting::RemotingCommand& request);

  // Forwards `request` (parking it first when the leader is not known yet) and answers `responder` with the
  // leader's answer, or with 14 / 2 as the rules say. `deadline`: of a send processed here again after it was
  // parked; none for a send that comes here first. `refused_locally`: this node's store just refused it
  // (not the leader); it is not processed here again for local_retry_ms. Never blocks or throws; always
  // answers (unless the request is one-way).
  void forward(remoting::RemotingCommand request, const remoting::Responder& responder,
               std::optional<ForwardClock::time_point> deadline = std::nullopt, bool refused_locally = false);

  std::int64_t inflight() const { return inflight_.load(); }
  std::uint64_t forwarded() const { return forwarded_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  // Answers every parked send 14, closes the connection (failing what is in flight, whose clients get 14),
  // stops the thread. Idempotent.
  void shutdown();

 private:
  struct Pending {
    remoting::RemotingCommand request;
    remoting::Responder responder;
    ForwardClock::time_point deadline;
    ForwardClock::time_point not_local_before;
    ForwardClock::time_point parked_at;
  };

  void run();
  void park(Pending pending);
  // Sends it on `connection` (to `address`); the answer comes back on an I/O thread.
  void send(Pending pending, const std::string& address, const std::shared_ptr<remoting::Connection>& connection);
  void answer_unavailable(const Pending& pending, const std::string& remark);
  // The open connection to `address`, or null; connecting only when may_connect (the forwarder's thread).
  std::shared_ptr<remoting::Connection> connection_to(const std::string& address, bool may_connect,
                                                      std::string& error);

  const SendForwardOptions options_;
  const SendForwardHooks hooks_;
  remoting::RemotingClient client_;
  std::mutex connection_mutex_;  // guards connected_address_, connection_
  std::string connected_address_;
  std::shared_ptr<remoting::Connection> connection_;

  std::mutex mutex_;  // guards parked_, stopping_, last_leader_seen_
  std::condition_variable wake_;
  std::deque<Pending> parked_;
  bool stopping_ = false;
  ForwardClock::time_point last_leader_seen_{};
  std::thread thread_;

  std::atomic<std::int64_t> inflight_{0};
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<bool> shut_down_{false};
};

}  // namespace rmq::server
