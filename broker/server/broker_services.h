// Everything the request processors share: the config, the store, the managers, the worker pools, the
// counters, and the hooks into registration. The controller builds one at start; unit tests build one over
// a FakeMessageStore (with empty config paths nothing touches the disk).
//
// Why one object: each processor needs a different subset of the same dozen collaborators, and passing them
// one by one would make every constructor a list of ten references. Owns the managers and pools; the store,
// the schedule service and the registration hook belong to the controller and outlive this object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "broker/server/broker_config.h"
#include "broker/server/broker_role_state.h"
#include "broker/server/consumer_manager.h"
#include "broker/server/consumer_offset_manager.h"
#include "broker/server/rebalance_lock_manager.h"
#include "broker/server/subscription_group_manager.h"
#include "broker/server/thread_pool.h"
#include "broker/server/topic_config_manager.h"
#include "broker/store/dledger_replicator.h"
#include "broker/store/message_store.h"

namespace rmq::server {

class ScheduleMessageService;
class SendForwarder;

struct BrokerCounters {
  std::atomic<std::int64_t> put_total{0};
  std::atomic<std::int64_t> get_total{0};
  std::atomic<std::int64_t> start_accept_send_ms{0};
  std::atomic<std::int64_t> boot_ms{0};
};

class BrokerServices {
 public:
  // `persist_configs`: load and write {root}/config/*.json; false keeps everything in memory (unit tests).
  BrokerServices(BrokerConfig config, store::MessageStore& store, bool persist_configs);
  ~BrokerServices();
  BrokerServices(const BrokerServices&) = delete;
  BrokerServices& operator=(const BrokerServices&) = delete;

  // Loads topics.json, subscriptionGroup.json and consumerOffset.json. Throws std::runtime_error naming the
  // file that cannot be used; the tables loaded before it stay marked as loaded.
  void load();
  // Writes every table whose load() succeeded (offsets at every flushConsumerOffsetInterval and at shutdown);
  // a table not loaded is never written, so a failed start cannot replace good files. Errors are logged.
  void persist_all();

  const BrokerConfig& config() const { return config_; }
  // brokerId and brokerRole as they are now (they follow the Raft role in DLedger mode).
  BrokerRoleState& role() { return role_; }
  // DLedger mode: the replicator whose Raft state GET_BROKER_RUNTIME_INFO reports (dledger_runtime_info.h);
  // null in plain mode. Set once at start, before the processors are registered.
  void set_replicator(const store::DLedgerReplicator* replicator) { replicator_ = replicator; }
  const store::DLedgerReplicator* replicator() const { return replicator_; }
  // DLedger mode: starts a leadership transfer to the peer id (false: not leader or not a peer); empty otherwise.
  void set_leadership_transfer(std::function<bool(const std::string&)> transfer) { transfer_ = std::move(transfer); }
  const std::function<bool(const std::string&)>& leadership_transfer() const { return transfer_; }
  // DLedger mode with dLegerForwardSends: what a non-writable node does with a send (send_forwarder.h); null
  // otherwise (the send is answered 14). Set once at start, before the processors are registered.
  void set_send_forwarder(SendForwarder* forwarder) { forwarder_ = forwarder; }
  SendForwarder* send_forwarder() const { return forwarder_; }
  const BrokerRoleState& role() const { return role_; }
  store::MessageStore& store() { return store_; }
  TopicConfigManager& topics() { return topics_; }
  SubscriptionGroupManager& groups() { return groups_; }
  ConsumerOffsetManager& offsets() { return offsets_; }
  ConsumerManager& consumers() { return consumers_; }
  ProducerManager& producers() { return producers_; }
  RebalanceLockManager& locks() { return locks_; }
  ThreadPool& send_pool() { return send_pool_; }
  ThreadPool& pull_pool() { return pull_pool_; }
  ThreadPool& admin_pool() { return admin_pool_; }
  // Heartbeats only: a slow admin request (registration) cannot delay them past the client's timeout.
  ThreadPool& heartbeat_pool() { return heartbeat_pool_; }
  BrokerCounters& counters() { return counters_; }
  const store::HostAddress& store_host() const { return store_host_; }
  std::int32_t max_delay_level() const { return max_delay_level_; }

  // The schedule service, or null (GET_ALL_DELAY_OFFSET then answers an empty table).
  void set_schedule_service(ScheduleMessageService* service) { schedule_ = service; }
  ScheduleMessageService* schedule_service() const { return schedule_; }

  // Registration hooks: `async` is called after a topic change (must not block); `sync` blocks until every
  // name server answered (UPDATE_AND_CREATE_TOPIC, run on the admin pool). Both may be empty.
  void set_register_hooks(std::function<void()> async, std::function<void()> sync);
  void register_async();
  void register_sync();

  // Drops everything the stopped broker must not do any more (pools joined).
  void shutdown_pools();

 private:
  BrokerConfig config_;
  BrokerRoleState role_;
  store::MessageStore& store_;
  store::HostAddress store_host_;
  std::int32_t max_delay_level_ = 18;
  TopicConfigManager topics_;
  SubscriptionGroupManager groups_;
  ConsumerOffsetManager offsets_;
  ConsumerManager consumers_;
  ProducerManager producers_;
  RebalanceLockManager locks_;
  ThreadPool send_pool_;
  ThreadPool pull_pool_;
  ThreadPool admin_pool_;
  ThreadPool heartbeat_pool_;
  BrokerCounters counters_;
  ScheduleMessageService* schedule_ = nullptr;
  const store::DLedgerReplicator* replicator_ = nullptr;
  std::function<bool(const std::string&)> transfer_;
  SendForwarder* forwarder_ = nullptr;
  std::mutex hooks_mutex_;  // the hooks are set and cleared while worker threads may call them
  std::function<void()> register_async_;
  std::function<void()> register_sync_;
  std::atomic<bool> topics_loaded_{false};
  std::atomic<bool> groups_loaded_{false};
  std::atomic<bool> offsets_loaded_{false};
};

}  // namespace rmq::server
