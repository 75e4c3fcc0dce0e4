// The broker's run-time role (see broker_role_state.h).
#include "broker/server/broker_role_state.h"

namespace rmq::server {

BrokerRoleState::BrokerRoleState(std::int64_t broker_id, BrokerRole role) {
  state_.broker_id = broker_id;
  state_.role = role;
}

BrokerRoleState BrokerRoleState::from_config(const BrokerConfig& config) {
  if (config.enable_dleger_commit_log) return BrokerRoleState(-1, BrokerRole::kSlave);
  return BrokerRoleState(config.broker_id, config.broker_role);
}

BrokerRoleSnapshot BrokerRoleState::get() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void BrokerRoleState::set(std::int64_t broker_id, BrokerRole role) {
  std::lock_guard lock(mutex_);
  state_.broker_id = broker_id;
  state_.role = role;
}

void BrokerRoleState::demote() {
  std::lock_guard lock(mutex_);
  state_.role = BrokerRole::kSlave;
}

const char* broker_role_name(BrokerRole role) {
  switch (role) {
    case BrokerRole::kSyncMaster:
      return "SYNC_MASTER";
    case BrokerRole::kSlave:
      return "SLAVE";
    case BrokerRole::kAsyncMaster:
      break;
  }
  return "ASYNC_MASTER";
}

}  // namespace rmq::server
