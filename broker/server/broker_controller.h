// The broker process in plain mode (4.9.x BrokerController): opens the store, builds the managers and the
// processors, listens on listenPort and listenPort-2 (VIP channel), registers with the name servers and
// runs the housekeeping timers (offset persistence, client expiry).
//
// Start order: store (recovery) -> config/*.json -> schedule service -> processors -> listeners ->
// registration, so that the broker is advertised only once it can serve (the registration hooks exist before
// the listeners open). Shutdown (SIGTERM/SIGINT): unregister (all name servers in parallel, 3 s in all),
// answer every parked pull, stop listening, drain the pools, stop the schedule service, persist every table
// (only after a successful start: a failed start never rewrites config/*.json), shut the store down (clean:
// checkpoint written, `abort` removed). A crash instead leaves `abort`, and the next
// start recovers the store (message_store.h crash contract); offsets committed in the last
// flushConsumerOffsetInterval are lost and those messages are redelivered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "broker/acl/access_validator.h"
#include "broker/remoting/remoting_server.h"
#include "broker/common/java_properties.h"
#include "broker/server/broker_config.h"

namespace rmq::store {
class MessageStore;
}

namespace rmq::server {

class BrokerServices;
class BrokerOuterApi;
class ScheduleMessageService;
class SendMessageProcessor;
class PullMessageProcessor;
class ClientManageProcessor;
class ConsumerManageProcessor;
class AdminBrokerProcessor;
class QueryMessageProcessor;
class DLedgerStoreStack;
class DLedgerRoleHandler;
class SlaveSynchronize;
class LeaderAddressBook;
class SendForwarder;

// Start failed; `exit_code` is the process exit code (common::ExitCode: 2 config, 3 corrupt, 5 I/O).
class BrokerStartError : public std::runtime_error {
 public:
  BrokerStartError(int exit_code, const std::string& message) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

class BrokerController {
 public:
  // `properties`: broker.conf as read; DLedger mode (enableDLegerCommitLog=true) reads its runtime keys from it.
  explicit BrokerController(BrokerConfig config, common::JavaProperties properties = {});
  ~BrokerController();  // shutdown()
  BrokerController(const BrokerController&) = delete;
  BrokerController& operator=(const BrokerController&) = delete;

  // Throws BrokerStartError. A request_stop() during the store's recovery ends it promptly with exit code 0
  // (the store keeps its `abort` file and recovers again at the next start).
  void start();
  // Asks a start() in progress (on another thread) to stop at the next check; safe from any thread.
  void request_stop() { stop_requested_.store(true); }
  // Idempotent; must not be called from a handler.
  void shutdown();

  const BrokerConfig& config() const { return config_; }
  std::uint16_t port() const;
  // "The broker[name, ip:port] boot success. serializeType=JSON and name server is <addrs>"
  std::string boot_message() const;

 private:
  void housekeeping_loop();
  // DLedger mode: the entry store, Raft node and DLedger message store (dledger_store_stack.h).
  void open_dledger_store();
  // DLedger mode: the role handler (brokerId/role follow the Raft role) and the follower sync.
  void start_dledger_roles();

  BrokerConfig config_;
  common::JavaProperties properties_;
  std::atomic<bool> stop_requested_{false};
  std::unique_ptr<DLedgerStoreStack> dledger_;  // DLedger mode; owns the message store (declared first: outlives it)
  std::unique_ptr<store::MessageStore> store_;  // plain mode
  store::MessageStore* message_store_ = nullptr;  // the store the processors use (either of the two)
  std::unique_ptr<SlaveSynchronize> slave_sync_;
  std::unique_ptr<DLedgerRoleHandler> role_handler_;
  std::unique_ptr<BrokerServices> services_;
  std::unique_ptr<ScheduleMessageService> schedule_;
  std::unique_ptr<SendMessageProcessor> send_;
  std::unique_ptr<PullMessageProcessor> pull_;
  std::unique_ptr<ClientManageProcessor> client_manage_;
  std::unique_ptr<ConsumerManageProcessor> consumer_manage_;
  std::unique_ptr<AdminBrokerProcessor> admin_;
  std::unique_ptr<QueryMessageProcessor> query_;
  std::unique_ptr<remoting::RemotingServer> server_;
  std::unique_ptr<remoting::RemotingServer> vip_server_;
  std::unique_ptr<BrokerOuterApi> outer_api_;
  std::shared_ptr<acl::AccessValidator> acl_;  // aclEnable=true (broker/acl/); shared with the guards
  std::unique_ptr<LeaderAddressBook> leader_book_;  // DLedger mode with dLegerForwardSends
  std::unique_ptr<SendForwarder> forwarder_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool started_ = false;
  bool shut_down_ = false;
  std::thread housekeeping_;
};

// Registers every processor of the broker on `server` (the main listener, the VIP one, or a unit test's).
void register_broker_processors(remoting::RemotingServer& server, SendMessageProcessor& send,
                                PullMessageProcessor& pull, ClientManageProcessor& client_manage,
                                ConsumerManageProcessor& consumer_manage, AdminBrokerProcessor& admin,
                                QueryMessageProcessor& query, BrokerServices& services);

}  // namespace rmq::server
