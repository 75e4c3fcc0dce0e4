// Registration with the name servers (4.9.x BrokerOuterAPI + the registerBrokerAll schedule):
// REGISTER_BROKER with the RegisterBrokerBody of remoting.md 2.5 to EVERY name server in namesrvAddr, at
// start, every registerNameServerPeriod, and soon after each topic change; UNREGISTER_BROKER at shutdown.
//
// Why every name server and every period: name servers never talk to each other and forget a broker 120 s
// after its last registration or at once when the registering connection closes (remoting.md 3.2). A
// dropped connection is reconnected on the next registration. One registration runs at a time (its own
// thread, or the caller of register_all_sync on a worker thread: never an I/O thread).
// Nothing persists; after a crash the name servers drop this broker when its connections close.
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

#include "broker/remoting/remoting_client.h"
#include "broker/server/broker_config.h"
#include "broker/server/topic_config_manager.h"

namespace rmq::server {

// The REGISTER_BROKER body: {"filterServerList":[],"topicConfigSerializeWrapper":{...}}, compact JSON.
std::string register_broker_body(const TopicConfigManager& topics);

class BrokerOuterApi {
 public:
  BrokerOuterApi(const BrokerConfig& config, const TopicConfigManager& topics);
  ~BrokerOuterApi();  // shutdown() without unregistering
  BrokerOuterApi(const BrokerOuterApi&) = delete;
  BrokerOuterApi& operator=(const BrokerOuterApi&) = delete;

  // Registers at once on the background thread, then every registerNameServerPeriod.
  void start();
  // Asks the background thread to register soon (after a topic change). Never blocks.
  void register_async();
  // Registers with every name server now and waits for all answers. Returns how many accepted.
  std::size_t register_all_sync();
  // Stops the thread and sends UNREGISTER_BROKER to every name server (best effort, short timeouts).
  void shutdown(bool unregister);

  std::size_t successful_registrations() const { return successful_.load(); }

 private:
  void run();
  std::shared_ptr<remoting::Connection> connection_to(const std::string& address);
  bool register_with(const std::string& address, const std::string& body, std::int32_t crc);

  const BrokerConfig& config_;
  const TopicConfigManager& topics_;
  remoting::RemotingClient client_;
  std::mutex register_mutex_;  // one registration at a time; guards connections_
  std::map<std::string, std::shared_ptr<remoting::Connection>> connections_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<std::size_t> successful_{0};
};

}  // namespace rmq::server
