// The DLedger fields of GET_BROKER_RUNTIME_INFO (code 28) in DLedger mode, so that `rmqctl status` and any
// upstream tool that dumps the KVTable (`mqadmin brokerStatus`) see the Raft state of each node. Upstream's
// table has no such keys (dledger-group.md 5); ours are additions with the `dLeger` prefix of the config keys,
// values as strings like every other entry of the table:
//   dLegerSelfId          "n0"
//   dLegerRole            LEADER, FOLLOWER or CANDIDATE
//   dLegerTerm            current term
//   dLegerLeaderId        the leader this node knows, "" when none
//   dLegerBeginIndex      first entry of the local log (-1: empty)
//   dLegerLedgerEndIndex  last entry of the local log (-1: empty)
//   dLegerCommittedIndex  highest committed entry known here (-1: none)
//   dividedCommitlogOffset  where the DLedger region starts (storage.md 6.3), -1 when no legacy prefix
// man/rmqctl.1 documents them. Pure: no state, nothing persisted.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "broker/store/dledger_replicator.h"
#include "broker/store/message_store.h"

namespace rmq::server {

const char* replica_role_name(store::ReplicaRole role);

std::vector<std::pair<std::string, std::string>> dledger_runtime_fields(const store::ReplicaStatus& status,
                                                                        const store::StoreStats& stats);

}  // namespace rmq::server
