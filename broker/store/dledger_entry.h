// A DLedger 0.3.1.2 entry as it lies in a data file (storage.md 5.2, 5.3; DLedgerEntryCoder.encode).
//
//   off  field      type   note
//    0   magic      int32  1 (MAGIC_1 = CURRENT_MAGIC); -1 starts the blank that pads a file's end
//    4   size       int32  48 + bodyLen, the whole entry
//    8   index      int64  Raft log index
//   16   term       int64
//   24   pos        int64  absolute byte offset of the entry in the data file space
//   32   channel    int32  reserved, 0
//   36   chainCrc   int32  never computed by 0.3.1.2: written as given, never checked
//   40   bodyCrc    int32  never computed by 0.3.1.2: written as given, never checked
//   44   bodyLen    int32
//   48   body       bodyLen bytes; in RocketMQ one commitlog record (storage.md 6.2)
//
// Upstream's HEADER_SIZE constant is 44 (it leaves out bodyLen) and recovery demands size > 44; the body
// always starts at 48. Because the format has no checksum of its own, a torn entry can only be told from a
// good one by the checks below plus whatever the body carries (see dledger_body_check.h).
//
// The blank: when an entry plus 8 bytes does not fit in what is left of a file, the writer fills the whole
// remainder with int32 -1, int32 remaining length, then zeros (MmapFileList.preAppend), and the entry goes at
// offset 0 of the next file. So every data file starts with an entry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "broker/common/bytes.h"

namespace rmq::store {

using common::Bytes;
using common::ByteSpan;

inline constexpr std::int32_t kDLedgerMagic = 1;           // MAGIC_1, the only magic 0.3.1.2 writes
inline constexpr std::int32_t kDLedgerBlankMagic = -1;     // MmapFileList.BLANK_MAGIC_CODE
inline constexpr std::size_t kDLedgerHeaderBytes = 48;     // DLedgerEntry.BODY_OFFSET
inline constexpr std::int32_t kDLedgerHeaderSizeConstant = 44;  // DLedgerEntry.HEADER_SIZE; size must exceed it
inline constexpr std::size_t kDLedgerPosOffset = 24;       // DLedgerEntry.POS_OFFSET
inline constexpr std::size_t kDLedgerBlankMinBytes = 8;    // MmapFileList.MIN_BLANK_LEN
// The 4 MiB per-thread encode buffer (storage.md 5.5): a larger entry cannot be written by upstream.
inline constexpr std::size_t kDLedgerMaxEntryBytes = 4 * 1024 * 1024;
inline constexpr std::int64_t kDLedgerDefaultDataFileBytes = 1024LL * 1024 * 1024;  // = mappedFileSizeCommitLog
inline constexpr std::int64_t kDLedgerDefaultIndexFileBytes = 32LL * 5 * 1024 * 1024;  // 167772160

// The 48 header bytes, field by field, as read from disk (nothing validated).
struct DLedgerEntryHeader {
  std::int32_t magic = 0;
  std::int32_t size = 0;
  std::int64_t index = 0;
  std::int64_t term = 0;
  std::int64_t pos = 0;
  std::int32_t channel = 0;
  std::int32_t chain_crc = 0;
  std::int32_t body_crc = 0;
  std::int32_t body_len = 0;
  bool operator==(const DLedgerEntryHeader&) const = default;
};

struct DLedgerEntry {
  std::int32_t magic = kDLedgerMagic;
  std::int64_t index = -1;
  std::int64_t term = -1;
  std::int64_t pos = -1;
  std::int32_t channel = 0;
  std::int32_t chain_crc = 0;
  std::int32_t body_crc = 0;
  Bytes body;

  std::size_t size_bytes() const { return kDLedgerHeaderBytes + body.size(); }
  DLedgerEntryHeader header() const;
  bool operator==(const DLedgerEntry&) const = default;
};

// Reads the header from the first 48 bytes of `bytes`. Throws std::invalid_argument when fewer are given.
DLedgerEntryHeader decode_entry_header(ByteSpan bytes);
// Writes the 48 header bytes at out[0..48).
void encode_entry_header(const DLedgerEntryHeader& header, std::span<std::uint8_t> out);

// Why a header cannot start an entry at absolute position `at_pos`, in the order upstream recovery checks
// (storage.md 5.6): pos, size = bodyLen + 48, magic, size > 44; plus size <= kDLedgerMaxEntryBytes, a bound
// upstream gets from its buffer. Nullopt when it can. Index and term continuity are the scanner's business.
std::optional<std::string> entry_header_problem(const DLedgerEntryHeader& header, std::int64_t at_pos);

// Appends the entry's bytes (header computed from the fields and the body). Throws std::invalid_argument for an
// entry larger than kDLedgerMaxEntryBytes.
void encode_entry(const DLedgerEntry& entry, Bytes& out);
// Decodes a whole entry from exactly its bytes. Throws std::invalid_argument when the bytes are not one
// well-formed entry (header problem, or size unequal to bytes.size()).
DLedgerEntry decode_entry(ByteSpan bytes);

// Appends a blank of `remaining_bytes` (>= 8): int32 -1, int32 remaining_bytes, then zeros.
void encode_dledger_blank(std::int32_t remaining_bytes, Bytes& out);

// RocketMQ's leader append hook (storage.md 6.2): the commitlog record in the body gets PHYSICALOFFSET =
// entry pos + 48, an int64 at body offset 28. Throws std::invalid_argument when the body is too short.
void write_commitlog_physical_offset(std::int64_t entry_pos, std::span<std::uint8_t> body);
inline constexpr std::size_t kCommitlogPhysicalOffsetAt = 28;

}  // namespace rmq::store
