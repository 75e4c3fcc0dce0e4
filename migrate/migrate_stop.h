// Phase 3, stop: make sure the old brokers are down and went down cleanly, so the stores no longer change
// and hold everything the brokers acknowledged.
//
// The old brokers are found by config and by store (process_brokers.h). Without --stop a running broker is a
// refusal (the operator stops it); with --stop each gets one SIGTERM and the phase waits up to
// --stop-timeout for all of them to exit (process_stop.h). Never SIGKILL: if one is still running at the
// timeout the phase refuses and nothing has been copied.
//
// Then the stores must show a clean shutdown: no `abort` file (storage.md 2.6, 9). A broker that was killed,
// crashed, or exited with its dispatch behind leaves `abort`, and its commitlog may end in unflushed or torn
// data; the phase refuses with that reason and the fix (start the broker and stop it with SIGTERM).
//
// This is the only phase that changes anything outside the targets, and only by signalling processes. A
// crash while waiting leaves brokers that are stopping or stopped; the next run finds whichever still run.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "migrate/migrate_plan.h"
#include "migrate/process_brokers.h"
#include "migrate/process_stop.h"

namespace rmq::migrate {

// The master and (in master-slave mode) the slave, by config path and store root.
std::vector<BrokerTarget> old_broker_targets(const MigrationPlan& plan);

struct StopPhaseResult {
  int exit_code = 0;                     // 0, or 4 (refused)
  std::vector<FoundBroker> found;        // running when the phase began
  StopOutcome outcome;                   // what SIGTERM achieved
  std::vector<std::string> messages;     // one line each: what was stopped, what refused and why
  std::string detail;                    // one line for the phase table
  bool ok() const { return exit_code == 0; }
};

StopPhaseResult run_stop_phase(const MigrationPlan& plan, const std::filesystem::path& proc_root, bool stop_allowed,
                               int stop_timeout_ms);

}  // namespace rmq::migrate
