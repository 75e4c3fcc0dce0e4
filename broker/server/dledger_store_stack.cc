// The DLedger store stack of a DLedger-mode broker (see dledger_store_stack.h).
#include "broker/server/dledger_store_stack.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

#include "broker/common/exit_code.h"
#include "broker/common/io_error.h"
#include "broker/dledger/dledger_config.h"
#include "broker/dledger/dledger_node.h"
#include "broker/raft/raft_core.h"
#include "broker/remoting/tls_context.h"
#include "broker/server/broker_controller.h"
#include "broker/store/dledger_adoption.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_error.h"
#include "broker/store/dledger_message_store.h"

namespace rmq::server {
namespace {

// The DLedger directory of this node, for the repair hint of a refused start.
std::string start_dir_hint(const BrokerConfig& config) {
  return config.store_path_root_dir + "/dledger-" + config.dleger_self_id;
}

// dLedgerPeerTlsMode other than disabled: the tls.server.* certificate and key must be given and usable, and
// so must the tls.client.* files the node dials with; checked before anything is opened, exit 2 naming the
// key and the file.
void check_peer_tls(const dledger::DLedgerNodeOptions& options) {
  const remoting::TlsMode mode = options.config.peer_tls_mode;
  if (mode == remoting::TlsMode::kDisabled) return;
  const std::string key = std::string("dLedgerPeerTlsMode=") + remoting::tls_mode_name(mode);
  if (options.tls.server.cert_path.empty() || options.tls.server.key_path.empty()) {
    throw BrokerStartError(common::kExitUsage, key + " needs tls.server.certPath and tls.server.keyPath (the "
                                                     "certificate and key of the peer port)");
  }
  remoting::TlsSettings peer = options.tls;
  peer.server.mode = mode;
  peer.client.enable = true;
  if (auto problem = remoting::check_tls_settings(peer)) throw BrokerStartError(common::kExitUsage, key + ": " + *problem);
  try {
    remoting::make_server_tls_context(peer.server);
    remoting::make_client_tls_context(peer.client);
  } catch (const remoting::TlsError& e) {
    throw BrokerStartError(common::kExitUsage, key + ": " + e.what());
  }
}

}  // namespace

std::unique_ptr<DLedgerStoreStack> DLedgerStoreStack::open(const BrokerConfig& config,
                                                           const common::JavaProperties& properties) {
  std::unique_ptr<DLedgerStoreStack> stack(new DLedgerStoreStack());
  dledger::DLedgerNodeOptions node_options;
  store::StoreConfig store_config;
  try {
    node_options.config = dledger::DLedgerConfig::from_properties(properties);
    store_config = config.store_config();
  } catch (const std::exception& e) {
    throw BrokerStartError(common::kExitUsage, e.what());
  }
  node_options.tls = config.tls;
  check_peer_tls(node_options);
  store::DLedgerCommitLogOptions options;
  options.self_id = config.dleger_self_id;
  const char* step = "cannot prepare the DLedger store";
  try {
    auto start = store::DLedgerMessageStore::prepare(stack->fs_, store_config, options);
    if (!start->last_exit_clean) {
      spdlog::warn("broker: the previous run of {} did not shut down cleanly; the store is recovered",
                   config.store_path_root_dir);
    }
    if (start->adoption.first_start) {
      spdlog::info("broker: adopted the legacy commitlog: DLedger entries start at dividedCommitlogOffset {}",
                   start->adoption.record.divided_offset);
    }
    step = "cannot open the DLedger entry store";
    stack->entry_store_ = store::DLedgerEntryStore::open(stack->fs_, start->adoption.entry_store_options);
    node_options.data_file_bytes = start->adoption.entry_store_options.data_file_bytes;
    step = "cannot start the DLedger node";
    stack->node_ = std::make_unique<dledger::DLedgerNode>(node_options, *stack->entry_store_, stack->fs_);
    step = "cannot open the DLedger message store";
    stack->message_store_ = store::DLedgerMessageStore::open(std::move(start), *stack->node_);
    step = "cannot listen on this node's dLegerPeers port";
    stack->node_->start();
  } catch (const BrokerStartError&) {
    throw;
  } catch (const store::DLedgerStartRefused& e) {
    throw BrokerStartError(common::kExitRefused, std::string(step) + ": " + e.what());
  } catch (const raft::StartRefused& e) {
    // The Raft core refuses the persisted state: a bad Raft setting is a config error (2); a commit index or
    // a first index past the last durable entry means this node lost entries the group committed, so it is
    // refused (4) like the other stores that are not what the group expects, not reported as corruption.
    if (e.error().kind == raft::StartError::Kind::kBadConfig) {
      throw BrokerStartError(common::kExitUsage, std::string(step) + ": " + e.what());
    }
    throw BrokerStartError(common::kExitRefused,
                           std::string(step) + ": " + e.what() + "; restore " +
                               start_dir_hint(config) + " from a caught-up peer (both stopped) or re-seed this node");
  } catch (const store::DLedgerCorruption& e) {
    throw BrokerStartError(common::kExitCorrupt, std::string(step) + ": " + e.what());
  } catch (const common::ConfigError& e) {
    throw BrokerStartError(common::kExitUsage, std::string(step) + ": " + e.what());
  } catch (const common::IoError& e) {
    throw BrokerStartError(common::kExitIo, std::string(step) + ": " + e.what());
  } catch (const std::system_error& e) {
    throw BrokerStartError(common::kExitIo, std::string(step) + ": " + e.what());
  } catch (const std::exception& e) {
    const std::string text = e.what();
    const bool locked = text.find("locked") != std::string::npos;
    throw BrokerStartError(locked ? common::kExitIo : common::kExitCorrupt, std::string(step) + ": " + text);
  }
  spdlog::info("broker: DLedger node {} of group {} started ({} peers)", config.dleger_self_id, config.dleger_group,
               node_options.config.peers.size());
  return stack;
}

DLedgerStoreStack::~DLedgerStoreStack() { shutdown(); }

store::DLedgerReplicator& DLedgerStoreStack::replicator() { return *node_; }

bool DLedgerStoreStack::last_exit_was_clean() const {
  return message_store_ ? message_store_->last_exit_was_clean() : true;
}

std::int64_t DLedgerStoreStack::not_ready_bytes() {
  if (message_store_->ready_as_leader()) return 0;
  return std::max<std::int64_t>(1, message_store_->stats().dispatch_behind_bytes);
}

void DLedgerStoreStack::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (message_store_) message_store_->shutdown();
  if (node_) node_->stop();
  message_store_.reset();
  node_.reset();
  entry_store_.reset();
}

}  // namespace rmq::server
