// The DLedger entry store (DLedgerMmapFileStore's equivalent, storage.md 5): a Raft log kept in DLedger
// 0.3.1.2's on-disk format, so that a store written here opens in the Java broker and the other way round.
//
//   {store_root}/dledger-{selfId}/data/{20-digit offset}   entries (dledger_entry.h), blank-padded files
//   {store_root}/dledger-{selfId}/index/{20-digit offset}  32-byte units (dledger_index.h)
//   {store_root}/dledger-{selfId}/checkpoint               endIndex, committedIndex (dledger_member_state_file.h)
// (currterm, the hard state, sits beside them; the Raft runtime keeps it with DLedgerMemberStateFile.)
//
// The first entry's position: a fresh store creates its first data file at options.first_entry_pos, the file
// boundary after the legacy commitlog it continues (storage.md 6.3; 0 without one), and syncs it, so the
// dividing offset survives a restart in the file's name. Once data files exist their names say it, as
// upstream, and first_entry_pos is not consulted again (first_file_offset() reports it).
//
// Durability. Appends go to the kernel at once (a process crash loses nothing); sync() makes every append so
// far durable: it syncs the data files (and their directory when files were created). The index is derived
// data, so the store treats it as such: units are collected in memory and written in batches (one write per
// append instead of two), and sync() does not sync them (half the fsyncs of a group commit). Units are
// written and synced when the data moves on to a new file, by truncate_after() and by save_checkpoint(),
// which a clean shutdown calls as upstream's does. So after any crash only units of entries in the last data
// file can be missing, and both our recovery and upstream's (which starts at the third-last file and
// rewrites every unit that disagrees with the data) rebuild them. What a machine crash does:
// - entries appended after the last sync() may be lost, or come back partly written; recovery
//   (dledger_recovery.h) keeps the longest prefix of valid entries and discards the rest, so no garbage entry
//   is ever served. Its checks are DLedger's own (positions, sizes, magic, index and term sequence) plus the
//   optional body check (dledger_body_check.h), the only thing that can catch a body torn under an intact
//   header, since the format has no checksum;
// - entries synced before are never lost: recovery only discards data after the first invalid entry, and
//   synced entries are valid;
// - truncate_after() and save_checkpoint() are durable when they return;
// - a failed or short write (ENOSPC part way through an entry or a run of entries, EIO) leaves no bytes the
//   store would later trust: before poisoning, the store cuts the data back, durably, to where that write
//   began (the start of the first entry of the write, which is at or before the first entry not fully
//   written), so the log on disk ends at the last whole entry, and none of the entries of the failed write
//   is acknowledged (the call throws). A pwrite that runs out of space part way writes a prefix and leaves
//   the rest of the entry a hole that reads as zeros; without the cut, recovery would take the entry for a
//   whole one, since DLedger's own checks see only its header (the fault suite's finding, issue 13). The cut
//   needs no new block (a shrinking and regrowing ftruncate and an fsync), so it works on a full disk; index
//   units still in memory are dropped rather than written (they describe the last data file, whose units
//   recovery rebuilds);
// - an I/O error (a failed write or fsync) poisons the store: every later call throws DLedgerStoreFailed,
//   because after a failed fsync the kernel may have dropped dirty pages and memory no longer tells the truth.
//   A failed fsync is not a retry (review item 3): Linux marks the failed pages clean, so entries written
//   since the last good sync would read back on a reopen and vanish after a crash. So before poisoning, the
//   store cuts the log back durably to the end of the last successful data sync (synced_pos); the caller
//   never acknowledges those entries. Reopen to run recovery; it finds exactly the synced prefix. If the
//   cut itself fails, the message says so and the node must stop rather than reopen.
//
// Not thread-safe: the Raft runtime serializes calls. The destructor does not sync.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/common/file_system.h"
#include "broker/store/dledger_body_check.h"
#include "broker/store/dledger_data_files.h"
#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_index.h"
#include "broker/store/dledger_member_state_file.h"
#include "broker/store/dledger_recovery.h"

namespace rmq::store {

struct DLedgerStoreOptions {
  std::filesystem::path store_root;  // storePathRootDir
  std::string self_id;               // dLegerSelfId, e.g. "n0"
  // storePathDLedgerCommitLog (a single path); default {store_root}/dledger-{self_id}/data.
  std::optional<std::filesystem::path> data_dir;
  std::int64_t data_file_bytes = kDLedgerDefaultDataFileBytes;    // = mappedFileSizeCommitLog
  std::int64_t index_file_bytes = kDLedgerDefaultIndexFileBytes;  // a multiple of 32
  // Where the first entry goes when no data file exists yet; a multiple of data_file_bytes.
  std::int64_t first_entry_pos = 0;
  // Checked on every entry recovery scans; empty for DLedger's own checks only.
  DLedgerBodyCheck body_check;
};

// Why append_as_follower refused an entry (DLedgerResponseCode names in brackets). Nothing was written.
enum class DLedgerAppendStatus {
  kOk,
  kInconsistentIndex,  // index != end_index() + 1 [INCONSISTENT_INDEX]
  kInconsistentPos,    // pos != where it would land here [DISK_ERROR upstream]
  kTermBelowLast,      // term < end_term(): the log's terms may not decrease
  kBadEntry,           // magic not 1, negative fields, or larger than 4 MiB or a data file
};
const char* to_string(DLedgerAppendStatus status);

// An entry to write as a follower, its body viewed rather than owned (append_run_as_follower): the fields of
// DLedgerEntry.
struct DLedgerEntryRef {
  std::int32_t magic = kDLedgerMagic;
  std::int64_t index = -1;
  std::int64_t term = -1;
  std::int64_t pos = -1;
  std::int32_t channel = 0;
  std::int32_t chain_crc = 0;
  std::int32_t body_crc = 0;
  common::ByteSpan body;
  std::size_t size_bytes() const { return kDLedgerHeaderBytes + body.size(); }
  DLedgerEntryHeader header() const;
};

// What append_run_as_follower did: how many entries (a prefix of the run) it wrote, and why it stopped
// before the rest (kOk when it wrote them all).
struct DLedgerRunAppendResult {
  std::size_t written = 0;
  DLedgerAppendStatus status = DLedgerAppendStatus::kOk;
};

// Runs on the leader after pos is assigned and before the entry is written, on the body bytes (RocketMQ
// patches PHYSICALOFFSET here: write_commitlog_physical_offset).
using DLedgerAppendHook = std::function<void(std::int64_t entry_pos, std::span<std::uint8_t> body)>;

class DLedgerEntryStore {
 public:
  // Opens (creating directories and the first data file as needed) and recovers. Throws DLedgerCorruption when
  // the files cannot be recovered without losing more than a torn tail, IoError on I/O failure,
  // std::invalid_argument for bad options.
  static std::unique_ptr<DLedgerEntryStore> open(common::FileSystem& fs, DLedgerStoreOptions options);

  DLedgerEntryStore(const DLedgerEntryStore&) = delete;
  DLedgerEntryStore& operator=(const DLedgerEntryStore&) = delete;

  // Appends a new entry with index end_index() + 1, the given term and the next position; returns it as
  // written. Throws std::invalid_argument when term < end_term() or the entry is too large.
  DLedgerEntry append_as_leader(std::int64_t term, common::ByteSpan body, const DLedgerAppendHook& hook = {});
  // Writes a leader's entry as it is, if its index and pos are the ones this log expects next.
  DLedgerAppendStatus append_as_follower(const DLedgerEntry& entry);
  // The same for a run of entries, each checked as append_as_follower checks it against the log as the entries
  // before it in the run leave it; the longest valid prefix is written. Entries that land in one data file go
  // to the kernel in one write (one pwrite per run and file instead of one per entry): the Raft runtime writes
  // every batch of entries with it. What a crash leaves is what it leaves after the same appends one by one.
  DLedgerRunAppendResult append_run_as_follower(std::span<const DLedgerEntryRef> entries);

  // The entry at index, or nullopt outside [begin_index(), end_index()]. Throws DLedgerCorruption when the
  // index unit and the data disagree.
  std::optional<DLedgerEntry> get(std::int64_t index) const;
  // Reads raw bytes of the data file space (a RocketMQ read at PHYSICALOFFSET); they must lie in one file.
  void read_data(std::int64_t pos, std::span<std::uint8_t> out) const;

  // Removes the entries after last_kept_index, durably. A follower's conflict resolution: the caller
  // guarantees last_kept_index >= committed_index() (throws std::logic_error otherwise: a committed entry is
  // never removed). Keeping begin_index() - 1 empties the log, allowed only when it begins at 0.
  void truncate_after(std::int64_t last_kept_index);

  // Makes every append so far durable (the data; see the header comment for the index).
  void sync();

  // Raises the commit index (never lowered; never above end_index()).
  void set_committed_index(std::int64_t index);
  // Syncs, then writes the checkpoint file (endIndex, committedIndex) durably, so a saved committed index never
  // runs ahead of the durable log.
  void save_checkpoint();

  std::int64_t begin_index() const { return begin_index_; }  // -1 when empty
  std::int64_t end_index() const { return end_index_; }      // -1 when empty
  std::int64_t end_term() const { return end_term_; }        // -1 when empty
  std::int64_t committed_index() const { return committed_index_; }
  // Where the next entry would start if it fits in the current file.
  std::int64_t write_pos() const { return data_.write_pos(); }
  // Start of the first data file: RocketMQ's dividedCommitlogOffset.
  std::int64_t first_file_offset() const { return data_.first_offset(); }
  const std::filesystem::path& dir() const { return dir_; }
  const DLedgerRecoveryResult& recovery() const { return recovery_; }
  // The checkpoint read at open, if any; committed_index() is its committedIndex capped at end_index().
  const std::optional<DLedgerCheckpoint>& checkpoint_at_open() const { return checkpoint_at_open_; }

 private:
  DLedgerEntryStore(common::FileSystem& fs, const DLedgerStoreOptions& options, std::filesystem::path dir,
                    std::filesystem::path data_dir);

  void check_usable() const;
  // Runs f; any exception from it poisons the store, and a failed data sync cuts the log back first.
  template <typename F>
  void guarded(F&& f);
  // Cuts data and index back durably to end_pos (a position at which an entry begins or the log ends) after a
  // failure; `what` names that position in the failure message. Notes in failure_ what it did or that it failed.
  void cut_back_to(std::int64_t end_pos, const std::string& what);
  // Writes the entries encoded in scratch_ (their headers in run_headers_, all in one data file, the first at
  // run_headers_.front().pos) and collects their index units.
  void write_run();
  DLedgerAppendStatus check_follower_entry(const DLedgerEntryRef& entry) const;
  // Writes the collected index units to the index files (not synced).
  void write_pending_units();
  DLedgerIndexUnit read_index_unit(std::int64_t index) const;

  std::filesystem::path dir_;
  DLedgerFileList data_;
  DLedgerFileList index_;
  DLedgerMemberStateFile state_file_;
  DLedgerRecoveryResult recovery_;
  std::optional<DLedgerCheckpoint> checkpoint_at_open_;
  std::int64_t begin_index_ = -1;
  std::int64_t end_index_ = -1;
  std::int64_t end_term_ = -1;
  std::int64_t committed_index_ = -1;
  std::string failure_;  // non-empty once poisoned
  // Where the data write in progress (write_run) began, -1 outside one: a failed write is cut back to here.
  std::int64_t write_started_at_ = -1;
  common::Bytes scratch_;
  std::vector<DLedgerEntryHeader> run_headers_;
  // Index units of entries [pending_first_index_, end_index_] not yet written; empty when all are.
  common::Bytes pending_units_;
  std::int64_t pending_first_index_ = -1;
};

}  // namespace rmq::store
