// QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), GET_CONSUMER_LIST_BY_GROUP (38): remoting.md 4.4,
// 4.6, as 4.9.x ConsumerManageProcessor does them, including the QUERY_CONSUMER_OFFSET quirk (a group with
// no stored offset gets 0 while the queue's min offset is 0, else 22). Offsets live in ConsumerOffsetManager.
#pragma once

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"

namespace rmq::server {

class ConsumerManageProcessor {
 public:
  explicit ConsumerManageProcessor(BrokerServices& services) : services_(services) {}

  void register_on(remoting::RemotingServer& server);
  void query_offset(const remoting::RemotingCommand& request, const remoting::Responder& responder);
  void update_offset(const remoting::RemotingCommand& request, const remoting::Responder& responder);
  void consumer_list(const remoting::RemotingCommand& request, const remoting::Responder& responder);

 private:
  BrokerServices& services_;
};

}  // namespace rmq::server
