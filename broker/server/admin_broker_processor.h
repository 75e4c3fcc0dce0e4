// Admin and offset-query codes (4.9.x AdminBrokerProcessor): UPDATE_AND_CREATE_TOPIC 17, GET_ALL_TOPIC_CONFIG
// 21, GET_BROKER_RUNTIME_INFO 28, SEARCH_OFFSET_BY_TIMESTAMP 29, GET_MAX_OFFSET 30, GET_MIN_OFFSET 31,
// GET_EARLIEST_MSG_STORETIME 32, LOCK_BATCH_MQ 41, UNLOCK_BATCH_MQ 42, GET_ALL_CONSUMER_OFFSET 43,
// GET_ALL_DELAY_OFFSET 45 (remoting.md 4.4, 4.8, 4.9, 4.11).
//
// They run on the admin pool: topic creation writes topics.json and waits for the name servers, and the
// offset queries read consume-queue files. Nothing here persists by itself except through the managers.
#pragma once

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"

namespace rmq::server {

class AdminBrokerProcessor {
 public:
  explicit AdminBrokerProcessor(BrokerServices& services) : services_(services) {}

  void register_on(remoting::RemotingServer& server);
  void process(const remoting::RemotingCommand& request, const remoting::Responder& responder);

 private:
  void update_and_create_topic(const remoting::RemotingCommand& request, const remoting::Responder& responder);
  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200, mqadmin updateSubGroup): the body is a SubscriptionGroupConfig;
  // created or replaced whatever autoCreateSubscriptionGroup(MaxNums) say.
  void update_and_create_subscription_group(const remoting::RemotingCommand& request,
                                            const remoting::Responder& responder);
  void runtime_info(const remoting::RemotingCommand& request, const remoting::Responder& responder);
  void lock_batch(const remoting::RemotingCommand& request, const remoting::Responder& responder, bool lock);

  BrokerServices& services_;
};

}  // namespace rmq::server
