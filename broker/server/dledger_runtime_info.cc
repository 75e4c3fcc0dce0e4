#include "broker/server/dledger_runtime_info.h"

namespace rmq::server {

const char* replica_role_name(store::ReplicaRole role) {
  switch (role) {
    case store::ReplicaRole::kLeader:
      return "LEADER";
    case store::ReplicaRole::kCandidate:
      return "CANDIDATE";
    case store::ReplicaRole::kFollower:
      return "FOLLOWER";
  }
  return "FOLLOWER";
}

std::vector<std::pair<std::string, std::string>> dledger_runtime_fields(const store::ReplicaStatus& status,
                                                                        const store::StoreStats& stats) {
  return {
      {"dLegerSelfId", status.self_id},
      {"dLegerRole", replica_role_name(status.role)},
      {"dLegerTerm", std::to_string(status.term)},
      {"dLegerLeaderId", status.leader_id},
      {"dLegerBeginIndex", std::to_string(status.begin_index)},
      {"dLegerLedgerEndIndex", std::to_string(status.end_index)},
      {"dLegerCommittedIndex", std::to_string(status.committed_index)},
      {"dividedCommitlogOffset", std::to_string(stats.divided_commitlog_offset)},
  };
}

}  // namespace rmq::server
