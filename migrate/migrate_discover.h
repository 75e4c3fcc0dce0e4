// Phase 1, discover: read the old brokers' configs and resolve every path the migration will touch.
//
// Reads only. The source store, each node's store root and config path come out absolute, so the plan, the
// journal and every message name the same paths however the operator spelled them. The new group is laid
// out by gen-conf's planner (gen_conf.h) with --from the master's config, so migrate and gen-conf apply the
// same rules (peers, ports, carried settings) and name things alike: node i's store root is
// <target-root>/nodeNN as gen-conf's --store-root gives it, unless --node ID=DIR overrides it, and its
// config is <conf-out>/broker-<id>.conf.
//
// Upstream defaults fill keys the master's config lacks: brokerName is the host name, brokerClusterName
// DefaultCluster, namesrvAddr the NAMESRV_ADDR environment variable (BrokerStartup's fallback).
//
// A config that cannot be read is a usage error (common::ConfigError, exit 2) because nothing else can be
// decided without it; problems that still leave a plan (bad peers or ports, a --node id that is not a peer,
// no namesrvAddr) are returned for preflight to report with the others.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "migrate/gen_conf.h"
#include "migrate/migrate_plan.h"
#include "migrate/peers.h"

namespace rmq::migrate {

struct Discovery {
  MigrationPlan plan;            // sealed (plan_id set) even when peer_problems is not empty
  std::vector<Peer> peers;       // parsed; empty when the list did not parse
  // The node configs as gen-conf lays them out, with each node's store paths set to plan.nodes'; absent
  // when gen-conf's rules refused the request (the reasons are in peer_problems).
  std::optional<GenConfPlan> gen_conf;
  std::vector<std::string> peer_problems;  // gen-conf's rules, --node ids that are not peers
  std::vector<std::string> notes;          // gen-conf's notes and warnings: what carried over, what changed
};

// Throws common::ConfigError when an old config cannot be read or the request is inconsistent.
Discovery discover(const MigrationRequest& request);

// Node i's default store directory under the target root, as gen-conf names it: "node00", "node01", ...
std::string default_node_dir_name(std::size_t position);

}  // namespace rmq::migrate
