// The DLedger peer list parser, used by migrate and gen-conf. It lives in broker/common/dledger_peers.h
// (the broker needs it too); these names keep migrate's code unchanged.
#pragma once

#include "broker/common/dledger_peers.h"

namespace rmq::migrate {

using common::check_peer_group;
using common::format_peers;
using common::is_hostname;
using common::is_ipv4_literal;
using common::is_loopback_host;
using common::is_valid_peer_id;
using common::machine_key;
using common::parse_peers;
using common::parse_port;
using common::Peer;

}  // namespace rmq::migrate
