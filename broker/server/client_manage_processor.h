// HEART_BEAT (34) and UNREGISTER_CLIENT (35): remoting.md 4.5, 4.9.x ClientManageProcessor.
//
// A heartbeat records the client's producer and consumer groups on this connection, auto-creates each
// consumer group and its %RETRY% topic (which re-registers the broker with the name servers so consumers can
// route it), and keeps the subscriptions that pulls without a subscription use. Only memory changes, apart
// from the topic/group files the creation persists.
#pragma once

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"

namespace rmq::server {

class ClientManageProcessor {
 public:
  explicit ClientManageProcessor(BrokerServices& services) : services_(services) {}

  void register_on(remoting::RemotingServer& server);
  void heartbeat(const remoting::RemotingCommand& request, const remoting::Responder& responder);
  void unregister_client(const remoting::RemotingCommand& request, const remoting::Responder& responder);

 private:
  BrokerServices& services_;
};

}  // namespace rmq::server
