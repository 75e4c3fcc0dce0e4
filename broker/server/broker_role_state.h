// The broker's role as the request processors and the name-server registration see it: brokerId and
// brokerRole, which are fixed by broker.conf in plain mode and follow the Raft role in DLedger mode
// (storage.md 7, dledger-group.md 2).
//
// Why one small object instead of BrokerConfig fields: in DLedger mode both values change at run time (from
// the role handler's thread) while the send, pull and admin pools read them; the config is copied into
// several places and is immutable after start. Both values are read and written together under one mutex so
// that no reader ever sees "id 0 but SLAVE".
//
// Writable means "a send may reach the store": only a master is writable. In DLedger mode a node starts as a
// SLAVE with brokerId -1 (as upstream's BrokerStartup sets it) and becomes writable only when the role handler
// has seen it lead with everything committed and dispatched. Nothing here is persisted; after a crash the
// node starts as a non-writable SLAVE again.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "broker/server/broker_config.h"

namespace rmq::server {

struct BrokerRoleSnapshot {
  std::int64_t broker_id = 0;
  BrokerRole role = BrokerRole::kAsyncMaster;
  bool is_slave() const { return role == BrokerRole::kSlave; }
  bool writable() const { return role != BrokerRole::kSlave; }
};

class BrokerRoleState {
 public:
  BrokerRoleState(std::int64_t broker_id, BrokerRole role);
  // The plain-mode role from broker.conf, or (DLedger mode) SLAVE with brokerId -1.
  static BrokerRoleState from_config(const BrokerConfig& config);

  BrokerRoleSnapshot get() const;
  std::int64_t broker_id() const { return get().broker_id; }
  BrokerRole role() const { return get().role; }
  bool is_slave() const { return get().is_slave(); }
  bool writable() const { return get().writable(); }

  void set(std::int64_t broker_id, BrokerRole role);
  // Keeps the id, makes the role SLAVE (used the moment a leader learns it stepped down, before the slower
  // re-registration runs).
  void demote();

 private:
  mutable std::mutex mutex_;
  BrokerRoleSnapshot state_;
};

// "ASYNC_MASTER", "SYNC_MASTER" or "SLAVE" (the names GET_BROKER_RUNTIME_INFO and the logs use).
const char* broker_role_name(BrokerRole role);

}  // namespace rmq::server
