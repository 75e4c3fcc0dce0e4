// The errors of the DLedger entry store (storage.md 5), apart from IoError, which the file layer throws.
//
// - DLedgerCorruption: the files say something recovery must not repair silently (a gap between data files,
//   an entry in the trusted region that does not decode, more than a whole file of data after the last valid
//   entry). Upstream DLedger exits with "check it manually" in the same places; we throw and let the caller
//   report it (exit code 3, DESIGN.md 5).
// - DLedgerStoreFailed: an earlier write or sync failed, so what the store holds in memory may no longer match
//   the disk. Like LevelDB's background error it sticks: every later call throws until the store is reopened,
//   and reopening runs recovery, which establishes the truth from the files.
#pragma once

#include <stdexcept>

namespace rmq::store {

class DLedgerCorruption : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DLedgerStoreFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rmq::store
