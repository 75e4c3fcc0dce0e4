// `rmqctl check-commitlog --store` on a DLedger-mode store (storage.md 6): besides the legacy commitlog
// (checked as any store), each `dledger-{selfId}` directory under the store root is checked read only:
//   - the legacy region ends with the end-of-file blank adoption writes, and dividedCommitlogOffset (the
//     first DLedger data file's name) is the end of the legacy log's last file;
//   - the legacy-prefix record `dledger-{selfId}.legacy` (dledger_adoption.h) agrees with the files: same
//     divided offset, same last legacy file with the recorded md5sum;
//   - every DLedger entry, the commitlog record inside it (PHYSICALOFFSET = pos + 48, BODYCRC), the index
//     units and the checkpoint (broker/store/dledger_store_scan.h).
// A problem found here makes the verdict CORRUPT (exit 3); warnings (an index unit recovery would rebuild, a
// checkpoint ahead of the data) are listed but change nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/store/dledger_adoption.h"
#include "broker/store/dledger_store_scan.h"
#include "migrate/commitlog_check.h"
#include "migrate/store_location.h"

namespace rmq::migrate {

struct DLedgerRegionReport {
  std::string self_id;
  std::filesystem::path dledger_dir;
  std::optional<store::LegacyPrefixRecord> record;  // the legacy-prefix record, when present and readable
  std::int64_t legacy_end_offset = 0;                // end of the legacy log's last file (0 without one)
  bool legacy_tail_blank = false;                    // the legacy log ends with a blank record
  store::DLedgerStoreScan scan;
  std::vector<std::string> problems;  // one line each; any makes the store CORRUPT
  std::vector<std::string> warnings;
};

// The DLedger regions of the store at `location` (none when it has no dledger-* directory). `legacy` is the
// check_single_store report of the same location.
std::vector<DLedgerRegionReport> check_dledger_regions(const StoreLocation& location, const CheckReport& legacy,
                                                       bool check_crc);

// Folds the regions into the report: CORRUPT with a next step naming the first problem, or the intact line
// extended with the DLedger figures.
void apply_dledger_regions(const std::vector<DLedgerRegionReport>& regions, CheckReport& report);

nlohmann::json to_json(const DLedgerRegionReport& region);
std::string to_text(const DLedgerRegionReport& region);

}  // namespace rmq::migrate
