#include "broker/dledger/entry_codec.h"

#include <stdexcept>
#include <string>

#include "broker/store/dledger_noop.h"

namespace rmq::dledger {

std::int64_t next_entry_pos(std::int64_t end_pos, std::int64_t entry_bytes, std::int64_t file_bytes) {
  const auto spare = static_cast<std::int64_t>(store::kDLedgerBlankMinBytes);
  if (file_bytes <= 0 || entry_bytes <= 0 || entry_bytes + spare > file_bytes || end_pos < 0) {
    throw std::invalid_argument("an entry of " + std::to_string(entry_bytes) + " bytes cannot fit a data file of " +
                                std::to_string(file_bytes));
  }
  const std::int64_t in_file = end_pos % file_bytes;
  if (in_file == 0) return end_pos;  // a new file starts here
  const std::int64_t remaining = file_bytes - in_file;
  return entry_bytes + spare > remaining ? end_pos - in_file + file_bytes : end_pos;
}

common::Bytes encode_entry_data(std::int64_t pos, common::ByteSpan body) {
  common::Bytes data(kEntryPosPrefixBytes + body.size());
  common::store_u64_be(data.data(), static_cast<std::uint64_t>(pos));
  std::copy(body.begin(), body.end(), data.begin() + kEntryPosPrefixBytes);
  return data;
}

std::int64_t entry_data_pos(common::ByteSpan data) {
  if (data.size() < kEntryPosPrefixBytes) {
    throw std::invalid_argument("raft entry data of " + std::to_string(data.size()) +
                                " bytes has no position prefix");
  }
  return common::load_i64_be(data.data());
}

std::int64_t stored_entry_bytes(const raft::Entry& entry) {
  if (entry.type == raft::EntryType::kNoop) {
    return static_cast<std::int64_t>(store::kDLedgerHeaderBytes + store::kDLedgerNoopBodyBytes);
  }
  return static_cast<std::int64_t>(store::kDLedgerHeaderBytes + entry.data.size() - kEntryPosPrefixBytes);
}

store::DLedgerEntry to_store_entry(const raft::Entry& entry, std::int64_t log_end_pos, std::int64_t file_bytes) {
  store::DLedgerEntry out;
  out.index = static_cast<std::int64_t>(entry.index) - 1;
  out.term = static_cast<std::int64_t>(entry.term);
  if (entry.type == raft::EntryType::kNoop) {
    out.pos = next_entry_pos(log_end_pos, stored_entry_bytes(entry), file_bytes);
    out.body = store::encode_noop_body(out.term, out.pos);
  } else {
    out.pos = entry_data_pos(entry.data);
    out.body.assign(entry.data.begin() + kEntryPosPrefixBytes, entry.data.end());
  }
  return out;
}

raft::Entry to_raft_entry(const store::DLedgerEntry& entry) {
  raft::Entry out;
  out.index = static_cast<raft::Index>(entry.index + 1);
  out.term = static_cast<raft::Term>(entry.term);
  if (entry.body.size() == store::kDLedgerNoopBodyBytes && store::decode_noop_term(entry.body) == entry.term &&
      store::encode_noop_body(entry.term, entry.pos) == entry.body) {
    out.type = raft::EntryType::kNoop;
    return out;
  }
  out.type = raft::EntryType::kNormal;
  out.data = encode_entry_data(entry.pos, entry.body);
  return out;
}

}  // namespace rmq::dledger
