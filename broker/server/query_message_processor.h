// QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33): remoting.md 4.10, 4.9.x QueryMessageProcessor.
// Both read files (index and commitlog), so they run on the admin pool. Read-only.
#pragma once

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"

namespace rmq::server {

class QueryMessageProcessor {
 public:
  explicit QueryMessageProcessor(BrokerServices& services) : services_(services) {}

  void register_on(remoting::RemotingServer& server);
  void query_message(const remoting::RemotingCommand& request, const remoting::Responder& responder);
  void view_message_by_id(const remoting::RemotingCommand& request, const remoting::Responder& responder);

 private:
  BrokerServices& services_;
};

}  // namespace rmq::server
