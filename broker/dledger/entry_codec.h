// How a Raft log entry (raft::Entry) maps onto a DLedger entry in the entry store (storage.md 5.2), and where
// the next entry of a log lands in the data file space.
//
// Replicas store identical bytes (review item 2): the leader fixes an entry's position, and patches the record
// inside (PHYSICALOFFSET = pos + 48), before the entry is replicated; followers write the leader's bytes as they
// are and check that they land at the same position (DLedgerEntryStore::append_as_follower). So a normal
// entry's raft data is
//   off 0  int64  pos   the entry's absolute position in the data file space
//   off 8  ...    body  the commitlog record, already patched
// and the DLedger index is the raft index - 1 (raft counts from 1, DLedger from 0).
//
// The no-op a new leader's core appends has empty raft data (the core creates it, and knows nothing of
// positions). Every node turns it into the same bytes: its position is where the log's previous entry ends
// (laid out by next_entry_pos), which is the same on every node whose log matches up to there, and its body
// is store::encode_noop_body(term, pos), which depends on nothing else. Reading back, an entry whose body is
// exactly that encoding for its own term and position is a no-op again, so a node that becomes leader sends
// its stored no-ops in the same form they were received.
#pragma once

#include <cstdint>

#include "broker/common/bytes.h"
#include "broker/raft/raft_types.h"
#include "broker/store/dledger_entry.h"

namespace rmq::dledger {

inline constexpr std::size_t kEntryPosPrefixBytes = 8;

// Where an entry of entry_bytes (48 + body) lands when the previous entry ends at end_pos, in data files of
// file_bytes (file starts are multiples of file_bytes): at end_pos, or at the next file's start when it does
// not fit in what is left of the current file with 8 bytes to spare for the blank (storage.md 5.3; the rule
// of DLedgerFileList::next_append_pos). Throws std::invalid_argument when no file can hold it.
std::int64_t next_entry_pos(std::int64_t end_pos, std::int64_t entry_bytes, std::int64_t file_bytes);

// The raft data of a normal entry at `pos`.
common::Bytes encode_entry_data(std::int64_t pos, common::ByteSpan body);
// The position a normal entry's raft data carries. Throws std::invalid_argument when data is shorter than 8.
std::int64_t entry_data_pos(common::ByteSpan data);
// The DLedger entry size (48 + body) of a raft entry; for a no-op, the no-op record's.
std::int64_t stored_entry_bytes(const raft::Entry& entry);

// The DLedger entry to write for `entry`. A normal entry keeps the position its data carries; a no-op is
// placed at next_entry_pos(log_end_pos, ...) (log_end_pos: where the previous entry ends here).
store::DLedgerEntry to_store_entry(const raft::Entry& entry, std::int64_t log_end_pos, std::int64_t file_bytes);
// The raft entry a stored DLedger entry stands for (the inverse of to_store_entry).
raft::Entry to_raft_entry(const store::DLedgerEntry& entry);

}  // namespace rmq::dledger
