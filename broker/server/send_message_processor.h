// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK (36):
// remoting.md 4.2 and 4.7, as 4.9.x SendMessageProcessor does them.
//
// Flow of a send: header (V2 short names a..n mapped to the V1 names) -> permission and topic checks ->
// auto-create from the template (TBW102) -> queue check -> %RETRY% past its max goes to %DLQ% -> the record
// (born host = the peer's IPv4 address, CLUSTER added, DELAY moved to the schedule topic) -> the store's
// asynchronous put -> the answer from the store's callback (msgId, queueId, queueOffset, MSG_REGION,
// TRACE_ON). The I/O thread only queues the request on the send pool; the pool thread never waits for the
// flush: the store answers through the Responder from whatever thread completes the put. A crash before the
// callback means the client gets no answer and retries; a crash after it cannot lose the message
// (message_store.h crash contract).
//
// DLedger mode with dLegerForwardSends: a send this node cannot store goes to the forwarder (send_forwarder.h)
// instead of being answered 14: when the node is not writable, and when its store refused the put because
// the node is not the leader (PutResult::not_leader: a leadership transfer, a step-down). For the second case
// the request is kept (moved into a shared copy) until the put answered. A send another broker forwarded
// here is never forwarded again: it is answered 14 and the forwarding broker retries.
#pragma once

#include <optional>

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"
#include "broker/server/send_forwarder.h"

namespace rmq::server {

class SendMessageProcessor {
 public:
  explicit SendMessageProcessor(BrokerServices& services) : services_(services) {}

  void register_on(remoting::RemotingServer& server);

  // `forward_deadline`: set for a send the forwarder hands back to be processed here again (this node became
  // writable while it waited); a refusal then goes back to the forwarder with the same deadline.
  void process_send(remoting::RemotingCommand request, const remoting::Responder& responder,
                    std::optional<ForwardClock::time_point> forward_deadline = std::nullopt);
  void process_send_back(remoting::RemotingCommand request, const remoting::Responder& responder);
  // What SendForwardHooks::process_locally runs (on the send pool): a send or send-back by its code; every
  // exception answered (guarded).
  void process_again(remoting::RemotingCommand request, const remoting::Responder& responder,
                     ForwardClock::time_point forward_deadline);

 private:
  BrokerServices& services_;
};

// The born host to store for a peer: its IPv4 address (v4-mapped IPv6 is unwrapped) and port.
store::HostAddress born_host_of(const remoting::Responder& responder);

}  // namespace rmq::server
