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
#include <chrono>
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
#include "broker/server/broker_role_state.h"
#include "broker/server/topic_config_manager.h"

namespace rmq::server {

// The REGISTER_BROKER body: {"filterServerList":[],"topicConfigSerializeWrapper":{...}}, compact JSON.
// Topic perms are masked with `broker_permission` when the broker is not both readable and writable.
std::string register_broker_body(const TopicConfigManager& topics, std::int32_t broker_permission);

class BrokerOuterApi {
 public:
  // `role`, when given, supplies the brokerId of every registration (DLedger mode: it follows the Raft role);
  // without it the config's brokerId is used. While the id is negative (DLedger mode before the first role
  // event) nothing is registered: a route under id -1 would only confuse clients.
  BrokerOuterApi(const BrokerConfig& config, const TopicConfigManager& topics, const BrokerRoleState* role = nullptr);
  ~BrokerOuterApi();  // shutdown() without unregistering
  BrokerOuterApi(const BrokerOuterApi&) = delete;
  BrokerOuterApi& operator=(const BrokerOuterApi&) = delete;

  // Registers at once on the background thread, then every registerNameServerPeriod.
  void start();
  // Asks the background thread to register soon (after a topic change). Never blocks.
  void register_async();
  // Registers with every name server now, in parallel, and waits for the answers up to one overall deadline
  // (6 s). Returns how many accepted; 0 once shutdown started.
  std::size_t register_all_sync();
  // Stops the thread and sends UNREGISTER_BROKER to every name server in parallel (best effort, 3 s in all).
  void shutdown(bool unregister);

  std::size_t successful_registrations() const { return successful_.load(); }

 private:
  void run();
  std::shared_ptr<remoting::Connection> connection_to(const std::string& address, std::int64_t connect_timeout_ms);
  bool register_with(const std::string& address, const std::string& body, std::int32_t crc,
                     std::chrono::steady_clock::time_point deadline);
  bool unregister_from(const std::string& address, std::chrono::steady_clock::time_point deadline);
  // Runs `call` for every name server on its own thread; returns how many returned true.
  std::size_t for_each_name_server(const std::function<bool(const std::string&)>& call);

  std::int64_t broker_id() const;

  const BrokerConfig& config_;
  const TopicConfigManager& topics_;
  const BrokerRoleState* role_;
  remoting::RemotingClient client_;
  std::timed_mutex register_mutex_;  // one registration (or unregistration) round at a time
  std::mutex connections_mutex_;     // guards connections_
  std::map<std::string, std::shared_ptr<remoting::Connection>> connections_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<std::size_t> successful_{0};
};

}  // namespace rmq::server
