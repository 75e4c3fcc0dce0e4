// Where a node's DLedger log will begin once the new group first starts on the copied legacy commitlog: the
// `dividedCommitlogOffset` of storage.md 6.3, which is written nowhere and derived at that first start.
//
// At the first start, DLedgerCommitLog runs the plain commitlog recovery (2.3) on the legacy files. Recovery
// stops at processOffset P: the end of the last valid record, or the start of the next file when the last
// file containing records was closed with a blank and that next file exists (upstream rolls to it and finds
// zeros there). truncateDirtyFiles(P) keeps every file that starts at or before P, so the last legacy file is
// the newest file whose start is <= P, and
//     dividedCommitlogOffset = start of that file + mappedFileSizeCommitLog,
// the next file boundary after the legacy data (gotcha 9 is the rolled-over case). The first DLedger entry
// has pos = dividedCommitlogOffset and its message PHYSICALOFFSET = dividedCommitlogOffset + 48. With no
// legacy files DLedger starts at 0 (dividedCommitlogOffset stays -1 upstream).
//
// Because the offset depends only on the legacy files, three nodes with byte-identical legacy commitlogs
// agree on it, which is what DLedger's follower position check needs (DESIGN rule 6).
#pragma once

#include <cstdint>

#include "broker/store/commitlog_files.h"
#include "broker/store/commitlog_scan.h"

namespace rmq::migrate {

struct DledgerStart {
  std::int64_t recovery_offset = 0;    // P above
  std::int64_t divided_offset = -1;    // where the first DLedger entry goes; -1 when there are no legacy files
  std::int64_t first_physical_offset = 0;  // divided_offset + 48 (0 when there are no legacy files)
};

inline constexpr std::int64_t kDledgerEntryBodyOffset = 48;

// `scan` must be scan_commitlog(files).
DledgerStart dledger_start_for(const store::CommitlogFiles& files, const store::CommitlogScan& scan);

}  // namespace rmq::migrate
