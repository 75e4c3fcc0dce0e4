// What one `rmqctl migrate` run did and found, for the phase table, the dry-run listing, the closing summary
// and `-o json` (migrate_output.h). Filled by the runner (migrate_run.h); holds no behaviour of its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "migrate/migrate_plan.h"
#include "migrate/migrate_preflight.h"

namespace rmq::migrate {

// The phases in the order they run. `start` exists only as a refusal until `rmqctl start` does.
inline constexpr const char* kPhaseNames[] = {"discover", "preflight", "stop", "check",
                                              "copy",     "verify",    "configure", "start"};

enum class PhaseStatus {
  kNotRun,   // an earlier phase stopped the run
  kDone,     // done by this run
  kEarlier,  // done by an earlier run (journaled), nothing left to do
  kPlanned,  // --dry-run: would run
  kSkipped,  // not asked for (start without --start)
  kFailed,   // stopped the run: problems, corruption, I/O error
  kRefused,  // stopped the run: refused (exit 4)
};
const char* to_string(PhaseStatus status);

struct PhaseRow {
  std::string name;
  PhaseStatus status = PhaseStatus::kNotRun;
  std::string detail;
  double seconds = 0;
};

struct FileRow {
  std::string rel_path;
  std::string kind;                // commitlog, config, consumequeue
  std::filesystem::path source_path;
  std::uint64_t size_bytes = 0;
  std::string md5;                 // the source's; empty until hashed (dry run)
};

struct ConfigRow {
  std::string node_id;
  std::filesystem::path path;
  std::string text;                // what is (or would be) written; empty when only the journal knows it
  std::string md5;                 // empty in a dry run
};

struct MigrationReport {
  int exit_code = 0;
  bool dry_run = false;
  bool resumed = false;            // the target held this plan's journal
  bool already_finished = false;   // ... and it was finished: nothing was done
  std::vector<PhaseRow> phases;    // one per kPhaseNames entry
  std::vector<PreflightProblem> problems;  // preflight's, reported under "Found problems:"
  std::vector<std::string> messages;       // why a later phase stopped, what it did (stopped brokers)
  std::vector<std::string> notes;          // warnings, carried settings, files left behind
  std::optional<MigrationPlan> plan;
  std::vector<FileRow> files;              // what is (or would be) copied to every node
  std::vector<ConfigRow> configs;
  nlohmann::json check = nullptr;          // CheckPhaseResult::journal_data(), or the journal's copy
  std::uint64_t copy_bytes_this_run = 0;

  PhaseRow& phase(const std::string& name);
  std::uint64_t total_file_bytes() const;
};

}  // namespace rmq::migrate
