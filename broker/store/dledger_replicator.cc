#include "broker/store/dledger_replicator.h"

namespace rmq::store {

const char* to_string(ReplicateStatus status) {
  switch (status) {
    case ReplicateStatus::kOk: return "OK";
    case ReplicateStatus::kNotLeader: return "NOT_LEADER";
    case ReplicateStatus::kBusy: return "BUSY";
    case ReplicateStatus::kTimeout: return "TIMEOUT";
    case ReplicateStatus::kStoreFailed: return "STORE_FAILED";
  }
  return "UNKNOWN";
}

}  // namespace rmq::store
