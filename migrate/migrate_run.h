// `rmqctl migrate --from master-slave`: the upgrade guide's section 2 as one resumable command.
//
// Phases, in order (each in its own file): discover, preflight, stop, check, copy, verify, configure, and
// start, which stays a refusal until `rmqctl start` exists. The first phase that fails ends the run, and
// its exit code is the run's: 1 problems found (preflight, DIVERGED/SLAVE_AHEAD), 2 usage or config error,
// 3 corruption, 4 refused (target not empty, different plan, broker still running, unclean shutdown,
// source changed since copying began), 5 I/O error (including a copy that does not read back).
//
// Nothing is written before the journal exists, and the journal is created only after stop and check have
// passed, so a run refused early leaves the targets exactly as they were. From then on the journal in the
// target root records each phase and each file, and a re-run of the same command resumes:
//   - a finished migration prints its summary and does nothing else (no stop, no check, no copy);
//   - otherwise every phase runs again, and copy and verify skip what the journal records as done;
//   - the source's inventory (names, sizes, mtimes) must be the one recorded when copying began, or the run
//     refuses: copies of a source that changed would mix two states.
// On a crash or kill at any instant, the next run finds the journal, stale temporary files and at worst a
// file renamed but not journaled, all of which it handles (copy_file.h, journal.h). The source is never
// written (DESIGN rule 5): it is opened read-only everywhere, and preflight refuses targets that overlap it.
//
// --dry-run runs discover and preflight only and lists every file and config; it changes nothing: no
// signal, no directory, no journal.
#pragma once

#include <filesystem>
#include <functional>

#include "migrate/migrate_plan.h"
#include "migrate/migrate_report.h"
#include "migrate/migrate_test_hooks.h"

namespace rmq::migrate {

struct RunOptions {
  std::filesystem::path proc_root = "/proc";
  bool show_progress = false;
  TestHooks hooks;
  // Asked once, right before the first change (signalling a broker or writing a target), with the report
  // so far (plan, files, preflight notes). Returns 0 to go on, or the exit code to end the run with.
  std::function<int(const MigrationReport&)> confirm;
};

MigrationReport run_migration(const MigrationRequest& request, RunOptions& options);

}  // namespace rmq::migrate
