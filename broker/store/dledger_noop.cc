#include "broker/store/dledger_noop.h"

#include <cassert>
#include <string>

#include "broker/store/dledger_entry.h"
#include "broker/store/message_record.h"

namespace rmq::store {
namespace {

MessageRecord noop_record(std::int64_t term, std::int64_t entry_pos) {
  MessageRecord r;
  r.magic = kMessageMagicV1;
  r.queue_id = 0;
  r.flag = 0;
  r.queue_offset = 0;  // rollback records carry 0 (storage.md 1.3)
  r.physical_offset = entry_pos + static_cast<std::int64_t>(kDLedgerHeaderBytes);
  r.sys_flag = sysflag::kTransactionRollback;
  r.born_timestamp_ms = 0;
  r.born_host.ip = Bytes(4, 0);
  r.born_host.port = 0;
  r.store_timestamp_ms = 0;
  r.store_host.ip = Bytes(4, 0);
  r.store_host.port = 0;
  r.reconsume_times = 0;
  r.prepared_transaction_offset = 0;
  r.body.resize(8);
  common::store_u64_be(r.body.data(), static_cast<std::uint64_t>(term));
  r.topic = std::string(kDLedgerNoopTopic);
  r.properties.clear();
  seal(r);  // BODYCRC; v1 magic and v4 host bits stay as set (topic is short, hosts are 4 bytes)
  return r;
}

}  // namespace

common::Bytes encode_noop_body(std::int64_t term, std::int64_t entry_pos) {
  common::Bytes out;
  out.reserve(kDLedgerNoopBodyBytes);
  encode(noop_record(term, entry_pos), out);
  assert(out.size() == kDLedgerNoopBodyBytes);
  return out;
}

std::optional<std::int64_t> decode_noop_term(common::ByteSpan body) {
  if (body.size() != kDLedgerNoopBodyBytes) return std::nullopt;
  MessageRecord r;
  const DecodeResult d = decode_record(body, /*check_crc=*/true, &r);
  if (d.status != DecodeStatus::kOk || static_cast<std::size_t>(d.size) != body.size()) return std::nullopt;
  if (r.topic != kDLedgerNoopTopic || r.body.size() != 8) return std::nullopt;
  const auto term = static_cast<std::int64_t>(common::load_u64_be(r.body.data()));
  // Everything but PHYSICALOFFSET is fixed by the term: compare with the canonical encoding.
  MessageRecord canonical = noop_record(term, 0);
  canonical.physical_offset = r.physical_offset;
  if (!(canonical == r)) return std::nullopt;
  return term;
}

}  // namespace rmq::store
