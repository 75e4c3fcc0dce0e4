// The broker.conf checks of DLedger mode (enableDLegerCommitLog=true): dLegerGroup, dLegerPeers and
// dLegerSelfId must describe one node of one group before anything is opened (storage.md 6.1, DESIGN.md 1).
//
// Why checked at load: DLedger itself reads these loosely and fails at the first election, or never (a selfId
// missing from the peers gives a node that votes for nobody). A mistake here is refused at start with exit 2
// and one line naming the key, the value and the file, like every other bad key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/common/dledger_peers.h"
#include "broker/server/broker_config.h"

namespace rmq::server {

struct DLedgerModeSettings {
  std::string group;                     // dLegerGroup
  std::vector<common::Peer> peers;       // dLegerPeers, in order
  std::string self_id;                   // dLegerSelfId
  std::int64_t follower_broker_id = 1;   // selfId number + 1 (storage.md 7)
  std::vector<std::string> warnings;     // from the group rules (a two-node group cannot fail over)
};

// Throws common::ConfigError ("<source>: key dLegerPeers: ...") when the three keys do not describe a member
// of a group; returns the parsed settings otherwise. Only meaningful when enable_dleger_commit_log is set.
DLedgerModeSettings check_dledger_mode_config(const BrokerConfig& config);

}  // namespace rmq::server
