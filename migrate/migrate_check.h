// Phase 4, check: the check-commitlog comparison (commitlog_check.h) on the stopped stores, and the choice of
// the source it allows.
//
// The master is the source unless the operator says otherwise. What goes ahead, per verdict:
//   CONSISTENT, SLAVE_BEHIND, SLAVE_MISSING_FILES   the master holds everything: copy the master
//   DIVERGED, SLAVE_AHEAD                            the slave holds records the master lacks; copying the
//                                                    master would drop them: stop (exit 1) with the offsets
//                                                    and the count, unless --source slave
//   CORRUPT                                          stop (exit 3) with the offset, unless the corruption is
//                                                    only on the master and --source slave is given
// --source slave is refused (exit 4) where it would drop what the master holds beyond the slave
// (SLAVE_BEHIND, SLAVE_MISSING_FILES) and when the slave itself is corrupt. Every stop names what each
// choice loses, so the operator decides with the numbers in front of them. In master-only mode the master
// is checked alone, and only CORRUPT stops.
//
// The phase also yields the source's scan, from which the summary says where each node's DLedger log will
// begin (migrate_dledger_start.h). It only reads (the stores through read-only maps), so a crash costs
// nothing but running it again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "migrate/commitlog_check.h"
#include "migrate/migrate_dledger_start.h"
#include "migrate/migrate_plan.h"

namespace rmq::migrate {

struct CheckPhaseResult {
  CheckReport report;
  int exit_code = 0;                       // 0 go ahead; 1, 3 or 4 stop
  std::vector<std::string> messages;       // offsets, what would be lost, what to do
  std::string detail;                      // one line for the phase table
  // Records the chosen source lacks that the other side holds: what this migration drops (count 0 when
  // nothing is lost).
  store::RecordRange dropped_records;
  std::string dropped_from;                // "slave" or "master": whose records those are
  bool source_is_master = true;
  DledgerStart dledger_start;              // for the source's legacy log

  bool ok() const { return exit_code == 0; }
  const SideReport& source_side() const { return source_is_master ? report.master : report.slaves.at(0); }
  // The facts the journal keeps for the summary of a finished migration.
  nlohmann::json journal_data() const;
};

CheckPhaseResult run_check_phase(const MigrationPlan& plan, bool show_progress);

}  // namespace rmq::migrate
