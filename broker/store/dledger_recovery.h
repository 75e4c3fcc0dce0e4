// Recovery of a DLedger store's data and index files on open (storage.md 5.6, DLedgerMmapFileStore.recover).
//
// The data files are the truth; the index is rebuilt from them where it disagrees.
// 1. Pick where to scan from as upstream does: the third-last data file, walking back to the first file
//    whose first entry is valid and agrees with its index unit (and passes the body check). Files before it
//    are trusted, again as upstream; all files but the last are synced in full before the next one is made
//    (dledger_data_files.h), so a crash can only have touched the last one or two.
// 2. Scan forward. A blank moves to the next file; size 0 is the end of data; anything else must be a valid
//    entry at its own position, with the next index, a term no lower than the last, and a body the check
//    accepts. The first entry that is not ends the scan: a torn tail, garbage after the last entry, and a
//    corrupt entry in the middle are all treated alike, and everything from there on is discarded.
// 3. Compare each entry with its index unit; from the first disagreement on, rewrite the units.
// 4. If more than a whole data file lies past the end of valid data, throw DLedgerCorruption instead of
//    discarding it (upstream exits there: "check it manually").
// 5. Truncate data and index at the end found (later files removed, the tail zeroed) and sync both, so that
//    what recovery decided is durable before anything new is appended.
//
// A crash during recovery is harmless: it only removes what a rerun would remove again and rewrites units it
// would rewrite again.
#pragma once

#include <cstdint>
#include <string>

#include "broker/store/dledger_body_check.h"
#include "broker/store/dledger_data_files.h"

namespace rmq::store {

struct DLedgerRecoveryResult {
  std::int64_t begin_index = -1;   // first entry, -1 when there is none
  std::int64_t end_index = -1;     // last entry, -1 when there is none
  std::int64_t end_term = -1;      // term of the last entry
  std::int64_t end_pos = 0;        // where the next entry goes (upstream's processOffset)
  std::int64_t scan_start_pos = 0; // start of the first data file scanned
  std::int64_t entries_scanned = 0;
  std::int64_t index_units_rewritten = 0;
  std::string stop_reason;         // why the scan ended where it did, for the log
};

// Recovers loaded lists; `data` must have at least one file. `body_check` may be empty.
DLedgerRecoveryResult recover_dledger_files(DLedgerFileList& data, DLedgerFileList& index,
                                            const DLedgerBodyCheck& body_check);

}  // namespace rmq::store
