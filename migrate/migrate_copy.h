// Phase 5, copy: the source's files (migrate_inventory.h) into every node's store root, resumably.
//
// Each file goes through copy_file_durably (copy_file.h): temporary name, fdatasync, rename, directory
// fsync. Only then is it journaled as `copied`, so the journal never claims a file that a crash could take
// back. The nodes are copied concurrently, one worker each (they are usually different disks), while another
// worker hashes the source files (MD5, journaled as `source`) for the verify phase; all of them read the
// source, which the page cache then serves once.
//
// A CopyObserver hears of each source hash and of each file as it settles on a node, so verification
// (migrate_verify.h) reads a copy back while the other copies are still being made instead of afterwards.
//
// Source files whose MD5 this run already computed (the check phase hashes the newest commitlog files, as
// the runbook's md5sum step does) are not hashed twice: `known_source_md5` passes them in.
//
// Resuming: temporary files a killed run left are deleted first; a file the journal records as copied or
// verified on a node, and that is there with the recorded size, is not copied again; anything else (never
// journaled, half copied, renamed but not journaled, or voided by a verify mismatch) is copied again, which
// replaces whatever is under its name. Source hashes already journaled are reused: the runner has checked
// that the source's inventory is unchanged since they were taken.
//
// The source is only ever opened read-only.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "migrate/journal.h"
#include "migrate/journal_state.h"
#include "migrate/migrate_inventory.h"
#include "migrate/migrate_plan.h"
#include "migrate/migrate_test_hooks.h"

namespace rmq::migrate {

// Called from the copy phase's worker threads; implementations synchronise themselves.
class CopyObserver {
 public:
  virtual ~CopyObserver() = default;
  // The source file's MD5 is known (hashed now, journaled earlier, or taken from the check phase).
  virtual void source_hashed(const std::string& path, const std::string& md5) = 0;
  // Node `node_index` (plan order) holds inventory item `item_index` under its final name, synced: copied by
  // this run, or found there as an earlier run journaled it.
  virtual void settled(std::size_t node_index, std::size_t item_index) = 0;
};

struct CopyPhaseResult {
  std::size_t copies_made = 0;        // (node, file) copies made by this run
  std::size_t copies_skipped = 0;     // already on the node, per the journal
  std::uint64_t bytes_copied = 0;     // data bytes moved by this run (holes are not moved)
  std::size_t stale_temp_files_removed = 0;
  bool used_copy_file_range = false;
  std::map<std::string, std::string> source_md5;  // every inventory path -> MD5
  double seconds = 0;
  std::string detail;                 // one line for the phase table
};

// `progress_bytes` advances by the bytes hashed and copied. Throws common::IoError (with the temporary file
// removed and the final name untouched) when a copy fails.
CopyPhaseResult run_copy_phase(const MigrationPlan& plan, const Inventory& inventory, const JournalState& journaled,
                               const std::map<std::string, std::string>& known_source_md5, JournalWriter& journal,
                               TestHooks& hooks, CopyObserver& observer,
                               std::atomic<std::uint64_t>& progress_bytes);

}  // namespace rmq::migrate
