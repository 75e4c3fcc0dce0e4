// DLedger-mode keys of broker.conf (see dledger_mode_config.h).
#include "broker/server/dledger_mode_config.h"

#include <algorithm>

#include "broker/server/dledger_role_handler.h"

namespace rmq::server {

DLedgerModeSettings check_dledger_mode_config(const BrokerConfig& config) {
  const std::string& source = config.source_name;
  auto bad = [&source](const std::string& key, const std::string& value, const std::string& why) {
    throw common::ConfigError(source + ": key " + key + ": value '" + value + "' " + why);
  };
  DLedgerModeSettings settings;
  settings.group = config.dleger_group;
  if (settings.group.empty()) bad("dLegerGroup", "", "is empty; DLedger mode needs the group name (usually brokerName)");
  if (config.dleger_peers.empty()) {
    bad("dLegerPeers", "", "is empty; DLedger mode needs every member, e.g. n0-10.0.0.1:40911;n1-10.0.0.2:40911;...");
  }
  try {
    settings.peers = common::parse_peers(config.dleger_peers);
    settings.warnings = common::check_peer_group(settings.peers, /*allow_two_nodes=*/true);
  } catch (const common::ConfigError& e) {
    throw common::ConfigError(source + ": key dLegerPeers: " + e.what());
  }
  settings.self_id = config.dleger_self_id;
  if (!common::is_valid_peer_id(settings.self_id)) {
    bad("dLegerSelfId", settings.self_id, "is not a peer id (a letter and a number, e.g. n0)");
  }
  const bool member = std::any_of(settings.peers.begin(), settings.peers.end(),
                                  [&settings](const common::Peer& peer) { return peer.id == settings.self_id; });
  if (!member) {
    bad("dLegerSelfId", settings.self_id, "is not one of the ids in dLegerPeers (" + config.dleger_peers + ")");
  }
  const auto id = follower_broker_id(settings.self_id);
  if (!id) bad("dLegerSelfId", settings.self_id, "has no usable number");
  settings.follower_broker_id = *id;
  return settings;
}

}  // namespace rmq::server
