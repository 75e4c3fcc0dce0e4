// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK (36):
// remoting.md 4.2 and 4.7, as 4.9.x SendMessageProcessor does them.
//
// Flow of a send: header (V2 short names a..n mapped to the V1 names) -> permission and topic checks ->
// auto-create from the template (TBW102) -> queue check -> %RETRY% past its max goes to %DLQ% -> the record
// (born host = the peer's IPv4 address, CLUSTER added, DELAY moved to the schedule topic) -> the store's
// asynchronous put -> the answer from the store's callback (msgId, queueId, queueOffset, MSG_REGION,
// TRACE_ON). The I/O thread only queues the request on the send pool; the pool thread never waits for the
// flush: the store answers through the Responder from whatever thread completes the put. A crash before the callback means the client gets no answer and retries; a crash
// after it cannot lose the message (message_store.h crash contract).
#pragma once

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"

namespace rmq::server {

class SendMessageProcessor {
 public:
  explicit SendMessageProcessor(BrokerServices& services) : services_(services) {}

  void register_on(remoting::RemotingServer& server);

  void process_send(remoting::RemotingCommand request, const remoting::Responder& responder);
  void process_send_back(remoting::RemotingCommand request, const remoting::Responder& responder);

 private:
  BrokerServices& services_;
};

// The born host to store for a peer: its IPv4 address (v4-mapped IPv6 is unwrapped) and port.
store::HostAddress born_host_of(const remoting::Responder& responder);

}  // namespace rmq::server
