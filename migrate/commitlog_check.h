// Are a master's and its slaves' commitlogs consistent? The question the upgrade guide answers with md5sum
// (section 2.2), answered completely.
//
// Equal MD5s of the newest files do not prove the whole log agrees, and unequal ones do not say where, so the
// check does both: the runbook's MD5 of the N newest files (cross-checkable with md5sum), then a recovery-style
// scan of every side (broker/store/commitlog_scan.h) and a byte comparison of the ranges both sides hold.
// Nothing is written: every file is read through a read-only map or read(2).
//
// Verdicts, in precedence order (the worst over all slaves wins):
//   CORRUPT              a side has a record upstream recovery would stop at          exit 3
//   DIVERGED             both sides hold different records at the same offset        exit 1
//   SLAVE_AHEAD          the slave holds records past the master's end                exit 1
//   SLAVE_MISSING_FILES  the slave lacks the master's older files, agrees elsewhere  exit 1
//   SLAVE_BEHIND         the slave is a strict prefix of the master                  exit 1
//   CONSISTENT                                                                        exit 0
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/store/commitlog_files.h"
#include "broker/store/commitlog_scan.h"
#include "migrate/store_location.h"

namespace rmq::migrate {

enum class Verdict { kConsistent, kSlaveBehind, kSlaveMissingFiles, kSlaveAhead, kDiverged, kCorrupt };
const char* to_string(Verdict verdict);
int exit_code_for(Verdict verdict);

struct FileDigest {
  std::string name;
  std::uint64_t size_bytes = 0;
  std::string md5;  // lower-case hex, as md5sum prints it
};

// One store as the check saw it.
struct SideReport {
  std::string role;  // "master", "slave", "store"
  StoreLocation location;
  store::CommitlogFiles files;
  store::CommitlogScan scan;
  std::vector<FileDigest> recent_digests;  // the N newest files holding data, oldest first

  // Layout problems and scan problems together, in offset order.
  std::vector<store::StoreProblem> all_problems() const;
  const store::StoreProblem* first_corruption() const;
};

// One slave against the master.
struct SlaveComparison {
  Verdict verdict = Verdict::kConsistent;
  std::optional<std::int64_t> first_difference_offset;  // first record that differs, master's offsets
  bool recent_files_md5_equal = false;
  // Records that exist only on the slave (SLAVE_AHEAD, DIVERGED): what copying the master would drop.
  store::RecordRange slave_only_records;
  // SLAVE_AHEAD where the slave's log starts after the master's ends: a hole neither side covers.
  bool logs_disjoint = false;
};

// Where the time went, for the operator and the benchmark script.
struct PhaseTimings {
  double md5_seconds = 0;
  std::uint64_t md5_bytes = 0;
  double scan_seconds = 0;
  std::uint64_t scan_bytes = 0;
  double compare_seconds = 0;
};

struct CheckReport {
  PhaseTimings timings;
  SideReport master;
  std::vector<SideReport> slaves;
  std::vector<SlaveComparison> comparisons;  // parallel to slaves
  Verdict verdict = Verdict::kConsistent;
  std::optional<std::int64_t> first_difference_offset;
  bool recent_files_md5_equal = true;
  std::string next_step;  // one line: what the operator should do now
};

struct CheckOptions {
  int newest_files = 2;        // the runbook's "at least 2 recent commitlog files"
  bool check_crc = true;       // checkCRCOnRecover
  bool show_progress = false;  // a progress line on stderr
};

// The check declines to judge a store it cannot vouch for: a symlinked commitlog file (exit 4).
class CheckRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Compares master with each slave. Throws common::IoError when a file cannot be read, common::ConfigError
// when a location is unusable or two of them are the same directory (by device and inode), CheckRefused when
// a side holds a symlinked commitlog file.
CheckReport check_commitlogs(const StoreLocation& master, const std::vector<StoreLocation>& slaves,
                             const CheckOptions& options);

// One store's integrity alone (`--store`): verdict CORRUPT or CONSISTENT; CheckRefused as above.
CheckReport check_single_store(const StoreLocation& store, const CheckOptions& options);

// The stable `-o json` schema (man/rmqctl.1, "JSON OUTPUT").
nlohmann::json to_json(const CheckReport& report);
// The human report, ending with the one-line next step.
std::string to_text(const CheckReport& report);

}  // namespace rmq::migrate
