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
//    corrupt entry in the middle are all treated alike, and everything from there on is discarded -- unless
//    the checkpoint says an entry from there on is committed: then recovery throws instead (never truncate a
//    committed entry), see committed_index below.
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
  // True when the scan ended on something that is not an entry (a bad header, a failed body check, a file
  // that ends without a blank), false when data ended cleanly (size 0, unwritten space, or a blank at the
  // end of the last file). When true, end_pos is where that invalid data starts.
  bool stopped_on_invalid_entry = false;
};

// Recovers loaded lists; `data` must have at least one file. `body_check` may be empty.
//
// `committed_index` is the committedIndex of the checkpoint (-1 when there is none). Entries up to it must
// survive: when the scan stops on invalid data (not a clean end) before reaching it, recovery throws
// DLedgerCorruption naming the entry, position and file, before it has truncated anything (only index units
// that disagreed with valid data may have been rewritten), so an operator can inspect the files. A clean end
// below it is accepted: a checkpoint may run ahead of the data its writer had flushed (Java's flush thread
// does), and the caller caps the committed index at end_index.
DLedgerRecoveryResult recover_dledger_files(DLedgerFileList& data, DLedgerFileList& index,
                                            const DLedgerBodyCheck& body_check,
                                            std::int64_t committed_index = -1);

}  // namespace rmq::store
