// How a DLedger-mode node takes over a legacy (Master-Slave) commitlog, and how it proves on every later
// start that it still holds the same legacy prefix (storage.md 6.3, DESIGN.md rule 6, issue 10).
//
// First start (no DLedger data files yet), storage.md 6.3 byte for byte:
//   1. recover the legacy commitlog as the plain store does after a clean exit (scan from the third-last
//      file, CRC checked when checkCRCOnRecover) and truncate what follows the last valid record;
//   2. in the last legacy file, at the write position wp: unless an 8-byte end-of-file blank is already there,
//      write one (int32 fileSize - wp, int32 0xCBD43194) and fsync the file;
//   3. dividedCommitlogOffset = last legacy file start + fileSize (0 when there is no legacy file: DLedger
//      starts at offset 0 as upstream, whose divided offset stays -1);
//   4. create the DLedger store (data + index dirs and the first data file named after the divided offset)
//      and close it again, so the divided offset is durable in a file name;
//   5. write the legacy-prefix record `{storePathRootDir}/dledger-{selfId}.legacy` (atomic and durable:
//      .tmp, fsync, rename, fsync dir). It is written last, so a crash anywhere before leaves a state that
//      this procedure simply repeats (the blank is found and kept, the data file is found and adopted).
//
// The legacy-prefix record (Java-properties text, our own file: Java ignores it) holds selfId,
// dividedCommitlogOffset, the legacy file count, the name of the last legacy file, its size, the MD5 of the
// whole last legacy file as written in step 2 (what `md5sum` prints; the value to compare across the
// group's nodes, which must all hold the same bytes before the group first starts) and a CRC32 of its last
// 1 MiB up to and including the tail blank (cheap to check on every start).
//
// Every later start checks, before the DLedger store is touched, and refuses (DLedgerStartRefused, exit
// code 4 at the process level, one line naming what differs and how to repair it) when:
//   - the record exists but the DLedger data directory has no data file: the DLedger store was lost (a
//     replaced disk, a deleted directory). Such a node must not rejoin as a voter with an empty log as if it
//     had nothing to lose; the operator restores the directory or re-seeds the node from a healthy peer.
//   - the first DLedger data file does not start at the recorded divided offset;
//   - the legacy files differ from the record: the recorded last file is missing while others exist, has a
//     different size, or its tail checksum differs (a legacy file that was rewritten or copied from a
//     different node). Legacy files deleted by retention (all of them gone) are accepted.
//   - the record names another selfId.
// When DLedger data files exist but no record does (a store written by the Java broker, or adopted by an
// older build), the divided offset comes from the first data file's name as upstream does, and the record is
// written now.
//
// The legacy prefix is never rewritten after step 2: later starts only read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "broker/store/dledger_entry_store.h"

namespace rmq::store {

// The start was refused: the node's store is not what its group expects. The message is one line that names
// the file and says how to repair it.
class DLedgerStartRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DLedgerCommitLogOptions {
  std::filesystem::path store_root;       // storePathRootDir
  std::filesystem::path legacy_dir;       // storePathCommitLog; empty: {store_root}/commitlog
  std::string self_id;                    // dLegerSelfId
  std::optional<std::filesystem::path> dledger_data_dir;  // storePathDLedgerCommitLog
  std::int64_t file_size_bytes = 1073741824;  // mappedFileSizeCommitLog (legacy and DLedger data files)
  bool check_crc_on_recover = true;       // checkCRCOnRecover
  // The DLedger index file size; a multiple of 32 (tests use small ones).
  std::int64_t index_file_bytes = kDLedgerDefaultIndexFileBytes;

  std::filesystem::path legacy_path() const;
  std::filesystem::path dledger_dir() const;       // {store_root}/dledger-{self_id}
  std::filesystem::path dledger_data_path() const;  // dledger_data_dir or {dledger_dir}/data
  std::filesystem::path record_path() const;        // {store_root}/dledger-{self_id}.legacy
};

struct LegacyPrefixRecord {
  std::string self_id;
  std::int64_t divided_offset = 0;    // dividedCommitlogOffset (0 when there was no legacy log)
  std::int64_t legacy_file_count = 0;
  std::string last_file_name;         // 20 digits; empty when there was no legacy file
  std::int64_t last_file_size_bytes = 0;
  std::string last_file_md5;          // md5sum of the whole last legacy file after the tail blank
  std::uint32_t last_file_tail_crc32 = 0;  // CRC32 of [max(start, blank_end - 1 MiB), blank_end)
  std::int64_t last_file_blank_end = 0;    // file-relative end of the tail blank (fileSize - the blank's length + 8)

  bool operator==(const LegacyPrefixRecord&) const = default;
  std::string to_properties() const;
  // Throws std::runtime_error naming `source` and the key when a field is missing or malformed.
  static LegacyPrefixRecord parse(std::string_view text, const std::string& source);
};

struct DLedgerAdoption {
  LegacyPrefixRecord record;
  bool first_start = false;           // steps 1-5 ran now
  bool blank_written = false;         // step 2 wrote the tail blank now
  std::int64_t legacy_min_offset = 0; // first legacy file start (== divided_offset when there is none)
  std::int64_t legacy_data_end = 0;   // end of the last valid legacy record (== divided_offset when none)
  // Options for DLedgerEntryStore::open: paths, file sizes, first_entry_pos = the divided offset and the
  // commitlog body check (storage.md 6.2). The Raft runtime opens the entry store with exactly these.
  DLedgerStoreOptions entry_store_options;
};

// Runs the first-start adoption or the later-start checks described above. Throws DLedgerStartRefused,
// DLedgerCorruption (the legacy log or the DLedger files cannot be read as such), common::IoError.
// Must run before the Raft runtime opens the entry store, with the store lock held.
DLedgerAdoption prepare_dledger_commit_log(common::FileSystem& fs, const DLedgerCommitLogOptions& options);

}  // namespace rmq::store
