// What a DLedger-mode broker runs instead of the plain store (storage.md 6, dledger-group.md 1): the DLedger
// entry store, the Raft node that replicates it (broker/dledger) and the DLedger message store the
// processors use (broker/store), built in the one order that works:
//   1. DLedgerMessageStore::prepare: store lock, abort check, adoption of the legacy commitlog;
//   2. DLedgerEntryStore::open with the options the adoption chose (divided offset, paths, sizes);
//   3. DLedgerNode over it, with the DLedgerConfig read from broker.conf (dLeger* and dLedger* keys);
//   4. DLedgerMessageStore::open over the node (dispatcher and commit listener in place);
//   5. the node starts (peer port, elections).
// Stop runs the other way: the message store shuts down (flush, checkpoint, `abort` removed), then the node
// (pending appends fail, commit index checkpointed), then the entry store closes.
//
// Errors at open are BrokerStartError with the documented exit codes: 2 bad DLedger keys, 3 corrupt DLedger
// or legacy files, 4 refused (the node's store is not what its group expects: see the message for the
// repair), 5 I/O (store locked, peer port taken). Crash: every piece recovers on the next open.
#pragma once

#include <memory>

#include "broker/common/file_system_posix.h"
#include "broker/common/java_properties.h"
#include "broker/server/broker_config.h"

namespace rmq::store {
class DLedgerEntryStore;
class DLedgerMessageStore;
class DLedgerReplicator;
}  // namespace rmq::store
namespace rmq::dledger {
class DLedgerNode;
}

namespace rmq::server {

class DLedgerStoreStack {
 public:
  // `properties` is broker.conf as read (the DLedger runtime's keys are read from it). Throws
  // BrokerStartError (broker_controller.h).
  static std::unique_ptr<DLedgerStoreStack> open(const BrokerConfig& config, const common::JavaProperties& properties);
  ~DLedgerStoreStack();  // shutdown()
  DLedgerStoreStack(const DLedgerStoreStack&) = delete;
  DLedgerStoreStack& operator=(const DLedgerStoreStack&) = delete;

  store::DLedgerMessageStore& store() { return *message_store_; }
  store::DLedgerReplicator& replicator();
  bool last_exit_was_clean() const;
  // Bytes the leader still has to commit or dispatch before it may serve as brokerId 0: 0 once the store is
  // ready as leader (everything committed and dispatched, queue offsets rebuilt), else at least 1.
  std::int64_t not_ready_bytes();

  // Message store, then node, then entry store. Idempotent.
  void shutdown();

 private:
  DLedgerStoreStack() = default;

  common::PosixFileSystem fs_;
  std::unique_ptr<store::DLedgerEntryStore> entry_store_;
  std::unique_ptr<dledger::DLedgerNode> node_;
  std::unique_ptr<store::DLedgerMessageStore> message_store_;
  bool shut_down_ = false;
};

}  // namespace rmq::server
