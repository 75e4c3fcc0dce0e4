// Broker start and stop (see broker_controller.h).
#include "broker/server/broker_controller.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "broker/acl/acl_guard.h"
#include "broker/common/exit_code.h"
#include "broker/common/io_error.h"
#include "broker/dledger/dledger_node.h"
#include "broker/remoting/tls_context.h"
#include "broker/server/admin_broker_processor.h"
#include "broker/server/broker_outer_api.h"
#include "broker/server/broker_services.h"
#include "broker/server/client_manage_processor.h"
#include "broker/server/consumer_manage_processor.h"
#include "broker/server/delay_levels.h"
#include "broker/server/dledger_role_handler.h"
#include "broker/server/dledger_store_stack.h"
#include "broker/store/dledger_message_store.h"
#include "broker/server/pull_message_processor.h"
#include "broker/server/query_message_processor.h"
#include "broker/server/schedule_message_service.h"
#include "broker/server/send_message_processor.h"
#include "broker/server/slave_synchronize.h"
#include "broker/server/leader_address_book.h"
#include "broker/server/send_forwarder.h"
#include "broker/store/default_message_store.h"

namespace rmq::server {

constexpr std::int64_t kClientScanIntervalMs = 10000;

void register_broker_processors(remoting::RemotingServer& server, SendMessageProcessor& send,
                                PullMessageProcessor& pull, ClientManageProcessor& client_manage,
                                ConsumerManageProcessor& consumer_manage, AdminBrokerProcessor& admin,
                                QueryMessageProcessor& query, BrokerServices& services) {
  send.register_on(server);
  pull.register_on(server);
  client_manage.register_on(server);
  consumer_manage.register_on(server);
  admin.register_on(server);
  query.register_on(server);
  server.on_connection_closed([&services](const std::shared_ptr<remoting::Connection>& connection) {
    services.consumers().on_connection_closed(connection->id());
    services.producers().on_connection_closed(connection->id());
  });
}

BrokerController::BrokerController(BrokerConfig config, common::JavaProperties properties)
    : config_(std::move(config)), properties_(std::move(properties)) {}

BrokerController::~BrokerController() { shutdown(); }

std::uint16_t BrokerController::port() const { return server_ ? server_->port() : 0; }

std::string BrokerController::boot_message() const {
  return "The broker[" + config_.broker_name + ", " + config_.store_host_address() +
         "] boot success. serializeType=JSON and name server is " + config_.namesrv_addr;
}

void BrokerController::open_dledger_store() {
  dledger_ = DLedgerStoreStack::open(config_, properties_);
  message_store_ = &dledger_->store();
}

void BrokerController::start_dledger_roles() {
  SlaveSyncOptions sync_options;
  sync_options.interval_ms = config_.slave_sync_interval_ms;
  sync_options.tls = config_.tls.client;
  slave_sync_ = std::make_unique<SlaveSynchronize>(*services_, (config_.config_dir() / "delayOffset.json").string(),
                                                   sync_options);
  DLedgerRoleHooks hooks;
  hooks.dispatch_behind_bytes = [this] { return dledger_->not_ready_bytes(); };
  hooks.on_slave = [this](std::int64_t) {
    schedule_->shutdown();  // persists its offsets; the follower sync then overwrites the file with the leader's
    slave_sync_->start_syncing();
  };
  hooks.on_master = [this] {
    slave_sync_->stop_syncing();
    schedule_->start();  // reloads delayOffset.json as last synced from the old leader
  };
  if (!config_.namesrv_addresses().empty()) hooks.register_now = [this] { outer_api_->register_all_sync(); };
  role_handler_ = std::make_unique<DLedgerRoleHandler>(dledger_->replicator(), services_->role(),
                                                       config_.dleger_self_id, std::move(hooks));
  role_handler_->start();
}

void BrokerController::start() {
  // TLS files are checked before the store is opened: a missing certificate is a config error (exit 2).
  try {
    if (config_.tls.server.enabled()) remoting::make_server_tls_context(config_.tls.server);
    if (config_.tls.client.enable) remoting::make_client_tls_context(config_.tls.client);
  } catch (const remoting::TlsError& e) {
    throw BrokerStartError(common::kExitUsage, e.what());
  }
  if (config_.acl_enable) {  // a bad plain_acl.yml stops the start before the store is opened
    try {
      acl_ = std::make_shared<acl::AccessValidator>(config_.plain_acl_file, "broker");
    } catch (const std::exception& e) {
      throw BrokerStartError(common::kExitUsage, e.what());
    }
    acl_->start_watching(1000);
  }
  if (config_.enable_dleger_commit_log) {
    open_dledger_store();
  } else {
    store::StoreConfig store_config;
    try {
      store_config = config_.store_config();
    } catch (const std::exception& e) {
      throw BrokerStartError(common::kExitUsage, e.what());
    }
    store_config.stop_requested = [this] { return stop_requested_.load(); };
    // Store: recovery happens here.
    try {
      auto store = store::DefaultMessageStore::open(store_config);
      if (!store->last_exit_was_clean()) {
        spdlog::warn("broker: the previous run of {} did not shut down cleanly; the store was recovered",
                     config_.store_path_root_dir);
      }
      store_ = std::move(store);
    } catch (const store::StoreOpenCancelled& e) {
      throw BrokerStartError(common::kExitOk, e.what());
    } catch (const common::IoError& e) {
      throw BrokerStartError(common::kExitIo, std::string("cannot open the store: ") + e.what());
    } catch (const std::exception& e) {
      const std::string text = e.what();
      const bool locked = text.find("locked") != std::string::npos;
      throw BrokerStartError(locked ? common::kExitIo : common::kExitCorrupt, "cannot open the store: " + text);
    }
    message_store_ = store_.get();
  }

  services_ = std::make_unique<BrokerServices>(config_, *message_store_, true);
  if (dledger_) services_->set_replicator(&dledger_->replicator());
  if (auto* node = dledger_ ? dynamic_cast<dledger::DLedgerNode*>(&dledger_->replicator()) : nullptr) {
    services_->set_leadership_transfer([node](const std::string& peer_id) { return node->transfer_leadership(peer_id); });
  }
  if (dledger_ && config_.dleger_forward_sends) {
    const store::DLedgerReplicator* replicator = &dledger_->replicator();
    leader_book_ = std::make_unique<LeaderAddressBook>(
        config_.store_host_address(),
        [replicator] {
          const store::ReplicaStatus status = replicator->status();
          return status.role == store::ReplicaRole::kLeader ? std::string() : status.leader_id;
        },
        [this] { return lookup_master_from_name_servers(config_, 1000); });
    SendForwardOptions forward_options;
    forward_options.max_inflight = config_.dleger_forward_max_inflight;
    forward_options.timeout_ms = config_.dleger_forward_timeout_ms;
    forward_options.self_address = config_.store_host_address();
    forward_options.tls = config_.tls.client;
    SendForwardHooks hooks;
    hooks.leader_address = [this](bool may_look_up) { return leader_book_->address(may_look_up); };
    hooks.leader_known = [this] { return leader_book_->leader_known(); };
    hooks.writable = [this] { return services_->role().writable(); };
    hooks.stale = [this](const std::string& address) { leader_book_->stale(address); };
    // Back on the send pool, as a send that just arrived (send_ exists before any request can come).
    hooks.process_locally = [this](remoting::RemotingCommand request, remoting::Responder responder,
                                   ForwardClock::time_point deadline) {
      auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
      services_->send_pool().submit([this, shared, responder, deadline] {
        send_->process_again(std::move(*shared), responder, deadline);
      });
    };
    forwarder_ = std::make_unique<SendForwarder>(forward_options, std::move(hooks));
    services_->set_send_forwarder(forwarder_.get());
  }
  try {
    std::filesystem::create_directories(config_.config_dir());
    services_->load();
  } catch (const std::exception& e) {
    throw BrokerStartError(common::kExitCorrupt, e.what());
  }

  schedule_ = std::make_unique<ScheduleMessageService>(*message_store_, parse_delay_levels(config_.message_delay_level),
                                                       (config_.config_dir() / "delayOffset.json").string());
  try {
    // DLedger mode: only a master delivers delayed messages; the role handler starts it on promotion.
    if (!config_.enable_dleger_commit_log) schedule_->start();
  } catch (const std::exception& e) {
    throw BrokerStartError(common::kExitCorrupt, e.what());
  }
  services_->set_schedule_service(schedule_.get());

  send_ = std::make_unique<SendMessageProcessor>(*services_);
  pull_ = std::make_unique<PullMessageProcessor>(*services_);
  client_manage_ = std::make_unique<ClientManageProcessor>(*services_);
  consumer_manage_ = std::make_unique<ConsumerManageProcessor>(*services_);
  admin_ = std::make_unique<AdminBrokerProcessor>(*services_);
  query_ = std::make_unique<QueryMessageProcessor>(*services_);

  const std::size_t io_threads = std::max<std::size_t>(2, std::thread::hardware_concurrency());
  remoting::ServerOptions server_options{"0.0.0.0", static_cast<std::uint16_t>(config_.listen_port), io_threads,
                                         config_.server_limits};
  server_options.tls = config_.tls.server;
  server_ = std::make_unique<remoting::RemotingServer>(server_options);
  register_broker_processors(*server_, *send_, *pull_, *client_manage_, *consumer_manage_, *admin_, *query_,
                             *services_);
  if (acl_) server_->set_request_guard(acl::make_acl_guard(acl_));
  pull_->start();
  // The registration hooks are in place before any request can arrive (handlers call them from the pools).
  outer_api_ = std::make_unique<BrokerOuterApi>(services_->config(), services_->topics(), &services_->role());
  services_->set_register_hooks([this] { outer_api_->register_async(); },
                                [this] { outer_api_->register_all_sync(); });
  try {
    server_->start();
  } catch (const std::exception& e) {
    throw BrokerStartError(common::kExitIo, "cannot listen on port " + std::to_string(config_.listen_port) + ": " +
                                                e.what());
  }
  if (config_.listen_port > 2) {
    remoting::ServerOptions vip_options{"0.0.0.0", static_cast<std::uint16_t>(config_.listen_port - 2), 1,
                                        config_.server_limits};
    vip_options.tls = config_.tls.server;
    vip_server_ = std::make_unique<remoting::RemotingServer>(vip_options);
    register_broker_processors(*vip_server_, *send_, *pull_, *client_manage_, *consumer_manage_, *admin_, *query_,
                               *services_);
    if (acl_) vip_server_->set_request_guard(acl::make_acl_guard(acl_));
    try {
      vip_server_->start();
    } catch (const std::exception& e) {
      spdlog::warn("broker: VIP channel port {} is not available ({}); serving on {} only", config_.listen_port - 2,
                   e.what(), config_.listen_port);
      vip_server_.reset();
    }
  }

  services_->counters().boot_ms = now_ms();
  services_->counters().start_accept_send_ms = now_ms();
  if (!config_.namesrv_addresses().empty()) outer_api_->start();
  // DLedger mode: not writable and not registered (brokerId -1) until the first role event says what it is.
  if (config_.enable_dleger_commit_log) start_dledger_roles();

  {
    std::lock_guard lock(mutex_);
    started_ = true;
  }
  housekeeping_ = std::thread([this] { housekeeping_loop(); });
  spdlog::info("{}", boot_message());
}

void BrokerController::housekeeping_loop() {
  const auto flush_interval = std::chrono::milliseconds(config_.flush_consumer_offset_interval_ms);
  auto next_flush = std::chrono::steady_clock::now() + flush_interval;
  auto next_scan = std::chrono::steady_clock::now() + std::chrono::milliseconds(kClientScanIntervalMs);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, std::min(next_flush, next_scan), [this] { return stopping_; });
    if (stopping_) return;
    const auto now = std::chrono::steady_clock::now();
    lock.unlock();
    if (now >= next_flush) {
      try {
        services_->offsets().persist();
      } catch (const std::exception& e) {
        spdlog::error("broker: cannot persist consumer offsets: {}", e.what());
      }
      // Topics and groups auto-created since their file was last written (topic_config_manager.h).
      try {
        services_->topics().persist_if_dirty();
        services_->groups().persist_if_dirty();
      } catch (const std::exception& e) {
        spdlog::error("broker: cannot persist topics or subscription groups: {}", e.what());
      }
      next_flush = now + flush_interval;
    }
    if (now >= next_scan) {
      try {
        services_->consumers().scan_expired(now_ms());
        services_->producers().scan_expired(now_ms());
      } catch (const std::exception& e) {
        spdlog::error("broker: client expiry scan failed: {}", e.what());
      }
      next_scan = now + std::chrono::milliseconds(kClientScanIntervalMs);
    }
    lock.lock();
  }
}

void BrokerController::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
    wake_.notify_all();
  }
  if (housekeeping_.joinable()) housekeeping_.join();
  // No role change may register or start services any more.
  if (role_handler_) role_handler_->shutdown();
  if (slave_sync_) slave_sync_->shutdown();
  // Unregister first (all name servers in parallel, 3 s in all) so that clients stop routing here.
  if (outer_api_) outer_api_->shutdown(started_);
  if (pull_) pull_->shutdown();  // parked pulls are re-run on the pull pool...
  if (services_) services_->pull_pool().shutdown();  // ...and answered (the pool drains) while connections are open
  // Close the listeners before the pools stop: no request can then reach a pool that is gone (a task
  // submitted to a stopped pool would run on an I/O thread).
  if (vip_server_) vip_server_->stop();
  if (server_) server_->stop();
  if (services_) services_->shutdown_pools();
  if (forwarder_) forwarder_->shutdown();  // what is still in flight is answered 14
  // Only now nothing can call the hooks any more.
  if (services_) services_->set_register_hooks({}, {});
  if (schedule_) schedule_->shutdown();
  // A start that failed part-way must not overwrite the config files with half-loaded tables.
  if (services_ && started_) services_->persist_all();
  if (store_) store_->shutdown();
  if (dledger_) dledger_->shutdown();
  if (started_) spdlog::info("The broker[{}, {}] shutdown OK", config_.broker_name, config_.store_host_address());
}

}  // namespace rmq::server
