// Phase 7, configure: write the new group's broker configs.
//
// The texts are gen-conf's (discover laid them out with plan_gen_conf --from the master's config, so the
// master's settings carry over by gen-conf's rules), with each node's storePathRootDir and
// storePathCommitLog pointing at its copy. Each file is written atomically (gen_conf.h's
// write_file_atomically: temporary file, fsync, rename, directory fsync), then read back and checked: the
// keys that make it this node of this group (store paths, dLegerGroup, dLegerPeers, dLegerSelfId,
// enableDLegerCommitLog, brokerName) and the peer rules, as gen-conf validates them. Journaled per file with
// its MD5; rewriting an identical file on a resumed run changes nothing. A crash leaves each config either
// absent, as it was, or complete; the next run writes them all again and only then journals the phase.
#pragma once

#include <string>
#include <vector>

#include "migrate/gen_conf.h"
#include "migrate/journal.h"
#include "migrate/migrate_plan.h"

namespace rmq::migrate {

struct WrittenConfig {
  std::string node_id;
  std::filesystem::path path;
  std::string md5;
};

struct ConfigurePhaseResult {
  std::vector<WrittenConfig> configs;
  std::string detail;
};

// Checks a written config against what it should say. Returns the problems, empty when it is right.
std::vector<std::string> check_node_config(const std::filesystem::path& path, const NodeTarget& node,
                                           const MigrationPlan& plan);

// Throws common::IoError when a file cannot be written, common::ConfigError when one reads back wrong.
ConfigurePhaseResult run_configure_phase(const MigrationPlan& plan, const GenConfPlan& layout, JournalWriter& journal);

}  // namespace rmq::migrate
