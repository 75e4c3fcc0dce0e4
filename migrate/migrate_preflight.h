// Phase 2, preflight: every reason not to start, found at once and without changing anything.
//
// An operator who fixes one problem only to be shown the next loses an evening, so preflight never stops at
// the first problem. Each problem is one line and belongs to one of two classes:
//   problem   something is wrong with the inputs (names disagree, files missing, peers invalid, no space)
//             -> exit 1
//   refusal   the tool declines to act on a target or a live system (a target that is not empty or holds
//             another migration's journal, an old broker still running without --stop, an unclean
//             shutdown) -> exit 4, which wins over 1
// Checks: the two old configs name the same brokerName and are a master and a slave of separate stores;
// neither is already a DLedger broker; each side's commitlog files are contiguous and of one size (the
// configured mappedFileSizeCommitLog); the targets do not overlap the sources or each other; the targets are
// empty or hold this plan's journal; free space per file system; the peers (gen-conf's rules); old brokers
// still running; an `abort` file left by an unclean shutdown of a broker that is no longer running.
// Read-only (statvfs, stat, /proc), so it is what --dry-run runs, and a crash in it changes nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/journal_state.h"
#include "migrate/migrate_discover.h"
#include "migrate/migrate_inventory.h"
#include "migrate/process_brokers.h"

namespace rmq::migrate {

enum class ProblemClass { kProblem, kRefusal };

struct PreflightProblem {
  ProblemClass problem_class = ProblemClass::kProblem;
  std::string text;
};

struct PreflightInput {
  const Discovery* discovery = nullptr;
  const Inventory* source_inventory = nullptr;               // the source's files
  const store::CommitlogFiles* other_commitlog = nullptr;     // the other side's listing (master-slave mode)
  const std::vector<FoundBroker>* running_brokers = nullptr;
  bool stop_requested = false;                               // --stop
  const JournalState* journal = nullptr;                     // the target's journal, when it has one
  std::string journal_error;                                 // why the target's journal could not be read
};

struct PreflightResult {
  std::vector<PreflightProblem> problems;
  std::vector<std::string> notes;  // warnings and what will happen (brokers --stop will stop, files left behind)
  std::uint64_t bytes_to_write = 0;  // over all nodes, excluding copies the journal already holds

  bool ok() const { return problems.empty(); }
  int exit_code() const;  // 0, 1, or 4 when any problem is a refusal
};

PreflightResult run_preflight(const PreflightInput& input);

}  // namespace rmq::migrate
