// A read-only check of a DLedger store (storage.md 5, 6): the data files, every entry in them, the commitlog
// record inside each entry, the index units, and the checkpoint. What `rmqctl check-commitlog --store` runs
// on the DLedger region of a DLedger-mode store, never while the broker runs (the caller checks the lock).
//
// Unlike recovery (dledger_recovery.h) it never writes: files are mapped read only. It walks the data files
// from the first: a DLedger blank (-1, remaining length) moves to the next file; zeros are the end of data
// (everything after must be zero too); anything else must be an entry at its own position with the next
// index, a term no lower than the last, and a body that is exactly one commitlog record whose PHYSICALOFFSET
// is pos + 48 (BODYCRC checked with check_crc). The first entry that is not ends the walk and is reported
// as corruption with its absolute position, saying whether the checkpoint counts it as committed (then the
// broker refuses to start, exit 3) or not (then recovery would cut it as a torn tail).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/dledger_member_state_file.h"

namespace rmq::store {

struct DLedgerScanProblem {
  std::optional<std::int64_t> pos;  // absolute position in the data file space
  std::string kind;                 // stable: bad_entry, bad_record, bad_blank, data_after_end, wrong_file_size,
                                    // missing_file, index_mismatch, missing_index, checkpoint_ahead
  std::string detail;               // one line naming the file
  bool corruption = true;           // false for warnings
};

struct DLedgerStoreScan {
  std::filesystem::path data_dir;
  std::int64_t data_file_bytes = 0;
  std::int64_t first_file_offset = -1;  // dividedCommitlogOffset as the data files say (-1: no data file)
  std::int64_t begin_index = -1;
  std::int64_t end_index = -1;
  std::int64_t end_term = -1;
  std::int64_t end_pos = 0;             // after the last valid entry
  std::int64_t entries = 0;
  std::int64_t noop_entries = 0;        // RMQ_SYS_DLEDGER_NOOP bodies (dledger_noop.h)
  std::int64_t index_units_checked = 0;
  std::optional<DLedgerCheckpoint> checkpoint;
  std::vector<DLedgerScanProblem> problems;

  bool corrupt() const;
};

// dledger_dir = {root}/dledger-{selfId}; data_dir defaults to {dledger_dir}/data. Throws common::IoError when
// a file cannot be read.
DLedgerStoreScan scan_dledger_store(const std::filesystem::path& dledger_dir,
                                    const std::optional<std::filesystem::path>& data_dir, bool check_crc);

}  // namespace rmq::store
