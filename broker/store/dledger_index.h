// One DLedger index unit (storage.md 5.4; DLedgerEntryCoder.encodeIndex, INDEX_UNIT_SIZE = 32).
//
// Entry i's unit lives at byte i * 32 of the index file space. The field order is NOT the data header's:
//
//   off  field  type
//    0   magic  int32
//    4   pos    int64
//   12   size   int32
//   16   index  int64
//   24   term   int64
//
// The index is derived data: recovery trusts the data files and rewrites units that disagree with them, so
// a unit lost or torn in a crash costs a rewrite, never an entry.
#pragma once

#include <cstdint>
#include <span>

#include "broker/common/bytes.h"
#include "broker/store/dledger_entry.h"

namespace rmq::store {

inline constexpr std::size_t kDLedgerIndexUnitBytes = 32;

struct DLedgerIndexUnit {
  std::int32_t magic = 0;
  std::int64_t pos = 0;
  std::int32_t size = 0;
  std::int64_t index = 0;
  std::int64_t term = 0;
  bool operator==(const DLedgerIndexUnit&) const = default;
};

// The largest entry index whose unit offset fits an int64; a larger one read from disk is garbage.
inline constexpr std::int64_t kDLedgerMaxEntryIndex = INT64_MAX / static_cast<std::int64_t>(kDLedgerIndexUnitBytes) - 1;

// The byte offset of entry `index`'s unit in the index file space.
inline std::int64_t index_unit_offset(std::int64_t index) {
  return index * static_cast<std::int64_t>(kDLedgerIndexUnitBytes);
}

// The unit that describes an entry with this header.
DLedgerIndexUnit index_unit_for(const DLedgerEntryHeader& header);

// Writes the 32 bytes at out[0..32). Throws std::invalid_argument when out is shorter.
void encode_index_unit(const DLedgerIndexUnit& unit, std::span<std::uint8_t> out);
// Reads the first 32 bytes. Throws std::invalid_argument when fewer are given.
DLedgerIndexUnit decode_index_unit(common::ByteSpan bytes);

}  // namespace rmq::store
