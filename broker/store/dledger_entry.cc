#include "broker/store/dledger_entry.h"

#include <stdexcept>

namespace rmq::store {

DLedgerEntryHeader DLedgerEntry::header() const {
  DLedgerEntryHeader h;
  h.magic = magic;
  h.size = static_cast<std::int32_t>(size_bytes());
  h.index = index;
  h.term = term;
  h.pos = pos;
  h.channel = channel;
  h.chain_crc = chain_crc;
  h.body_crc = body_crc;
  h.body_len = static_cast<std::int32_t>(body.size());
  return h;
}

DLedgerEntryHeader decode_entry_header(ByteSpan bytes) {
  if (bytes.size() < kDLedgerHeaderBytes) throw std::invalid_argument("DLedger entry header needs 48 bytes");
  const std::uint8_t* p = bytes.data();
  DLedgerEntryHeader h;
  h.magic = common::load_i32_be(p);
  h.size = common::load_i32_be(p + 4);
  h.index = common::load_i64_be(p + 8);
  h.term = common::load_i64_be(p + 16);
  h.pos = common::load_i64_be(p + 24);
  h.channel = common::load_i32_be(p + 32);
  h.chain_crc = common::load_i32_be(p + 36);
  h.body_crc = common::load_i32_be(p + 40);
  h.body_len = common::load_i32_be(p + 44);
  return h;
}

void encode_entry_header(const DLedgerEntryHeader& h, std::span<std::uint8_t> out) {
  if (out.size() < kDLedgerHeaderBytes) throw std::invalid_argument("DLedger entry header needs 48 bytes");
  std::uint8_t* p = out.data();
  common::store_u32_be(p, static_cast<std::uint32_t>(h.magic));
  common::store_u32_be(p + 4, static_cast<std::uint32_t>(h.size));
  common::store_u64_be(p + 8, static_cast<std::uint64_t>(h.index));
  common::store_u64_be(p + 16, static_cast<std::uint64_t>(h.term));
  common::store_u64_be(p + 24, static_cast<std::uint64_t>(h.pos));
  common::store_u32_be(p + 32, static_cast<std::uint32_t>(h.channel));
  common::store_u32_be(p + 36, static_cast<std::uint32_t>(h.chain_crc));
  common::store_u32_be(p + 40, static_cast<std::uint32_t>(h.body_crc));
  common::store_u32_be(p + 44, static_cast<std::uint32_t>(h.body_len));
}

std::optional<std::string> entry_header_problem(const DLedgerEntryHeader& h, std::int64_t at_pos) {
  if (h.pos != at_pos) return "pos " + std::to_string(h.pos) + " != " + std::to_string(at_pos);
  if (static_cast<std::int64_t>(h.body_len) + static_cast<std::int64_t>(kDLedgerHeaderBytes) != h.size) {
    return "size " + std::to_string(h.size) + " != bodyLen " + std::to_string(h.body_len) + " + 48";
  }
  if (h.magic != kDLedgerMagic) return "magic " + std::to_string(h.magic);
  if (h.size <= kDLedgerHeaderSizeConstant) return "size " + std::to_string(h.size) + " <= 44";
  if (static_cast<std::size_t>(h.size) > kDLedgerMaxEntryBytes) {
    return "size " + std::to_string(h.size) + " over the 4 MiB entry limit";
  }
  return std::nullopt;
}

void encode_entry(const DLedgerEntry& entry, Bytes& out) {
  if (entry.size_bytes() > kDLedgerMaxEntryBytes) {
    throw std::invalid_argument("DLedger entry of " + std::to_string(entry.size_bytes()) +
                                " bytes is over the 4 MiB limit");
  }
  const std::size_t at = out.size();
  out.resize(at + kDLedgerHeaderBytes);
  encode_entry_header(entry.header(), std::span<std::uint8_t>(out).subspan(at));
  out.insert(out.end(), entry.body.begin(), entry.body.end());
}

DLedgerEntry decode_entry(ByteSpan bytes) {
  const DLedgerEntryHeader h = decode_entry_header(bytes);
  if (auto problem = entry_header_problem(h, h.pos)) throw std::invalid_argument("DLedger entry: " + *problem);
  if (static_cast<std::size_t>(h.size) != bytes.size()) {
    throw std::invalid_argument("DLedger entry size " + std::to_string(h.size) + " != " +
                                std::to_string(bytes.size()) + " bytes given");
  }
  DLedgerEntry e;
  e.magic = h.magic;
  e.index = h.index;
  e.term = h.term;
  e.pos = h.pos;
  e.channel = h.channel;
  e.chain_crc = h.chain_crc;
  e.body_crc = h.body_crc;
  e.body.assign(bytes.begin() + kDLedgerHeaderBytes, bytes.end());
  return e;
}

void encode_dledger_blank(std::int32_t remaining_bytes, Bytes& out) {
  if (remaining_bytes < static_cast<std::int32_t>(kDLedgerBlankMinBytes)) {
    throw std::invalid_argument("DLedger blank needs at least 8 bytes");
  }
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(remaining_bytes), 0);
  common::store_u32_be(out.data() + at, static_cast<std::uint32_t>(kDLedgerBlankMagic));
  common::store_u32_be(out.data() + at + 4, static_cast<std::uint32_t>(remaining_bytes));
}

void write_commitlog_physical_offset(std::int64_t entry_pos, std::span<std::uint8_t> body) {
  if (body.size() < kCommitlogPhysicalOffsetAt + 8) {
    throw std::invalid_argument("body too short for a commitlog PHYSICALOFFSET");
  }
  common::store_u64_be(body.data() + kCommitlogPhysicalOffsetAt,
                       static_cast<std::uint64_t>(entry_pos + static_cast<std::int64_t>(kDLedgerHeaderBytes)));
}

}  // namespace rmq::store
