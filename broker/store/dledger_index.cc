#include "broker/store/dledger_index.h"

#include <stdexcept>

namespace rmq::store {

DLedgerIndexUnit index_unit_for(const DLedgerEntryHeader& header) {
  return DLedgerIndexUnit{header.magic, header.pos, header.size, header.index, header.term};
}

void encode_index_unit(const DLedgerIndexUnit& unit, std::span<std::uint8_t> out) {
  if (out.size() < kDLedgerIndexUnitBytes) throw std::invalid_argument("DLedger index unit needs 32 bytes");
  std::uint8_t* p = out.data();
  common::store_u32_be(p, static_cast<std::uint32_t>(unit.magic));
  common::store_u64_be(p + 4, static_cast<std::uint64_t>(unit.pos));
  common::store_u32_be(p + 12, static_cast<std::uint32_t>(unit.size));
  common::store_u64_be(p + 16, static_cast<std::uint64_t>(unit.index));
  common::store_u64_be(p + 24, static_cast<std::uint64_t>(unit.term));
}

DLedgerIndexUnit decode_index_unit(common::ByteSpan bytes) {
  if (bytes.size() < kDLedgerIndexUnitBytes) throw std::invalid_argument("DLedger index unit needs 32 bytes");
  const std::uint8_t* p = bytes.data();
  DLedgerIndexUnit unit;
  unit.magic = common::load_i32_be(p);
  unit.pos = common::load_i64_be(p + 4);
  unit.size = common::load_i32_be(p + 12);
  unit.index = common::load_i64_be(p + 16);
  unit.term = common::load_i64_be(p + 24);
  return unit;
}

}  // namespace rmq::store
