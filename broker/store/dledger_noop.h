// The no-op entry a new leader appends at the start of its term (DESIGN.md rule 2, dledger-group.md 1.4).
//
// Why a no-op at all: we keep Raft's current-term commit rule, so a new leader cannot commit the entries it
// inherited from earlier terms until an entry of its own term is committed. It appends this one at once.
//
// Why this body: every DLedger entry body in a RocketMQ store is one commitlog record (storage.md 6.2), and a
// Java broker opening our store must still read it. So the no-op is an ordinary v1 commitlog record
// (storage.md 1.2), not DLedger 0.4's NOOP magic 2, on the reserved system topic `RMQ_SYS_DLEDGER_NOOP`
// (upstream's system-topic style: RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRACE_TOPIC). Its SYSFLAG is
// TRANSACTION_ROLLBACK (0xC): storage.md 1.3 says rollback records carry QUEUEOFFSET 0, are not dispatched to
// any consume queue and are not indexed, so neither our dispatcher nor a Java one ever makes it visible to a
// consumer, and it uses up no queue offset.
//
// Replicas store identical bytes (review item 2): the encoding depends only on (entry_pos, term). Timestamps
// are 0, both hosts are 0.0.0.0:0, QUEUEID/FLAG/RECONSUMETIMES/PREPAREDTRANSACTIONOFFSET are 0, there are no
// properties, and the body is the term as an int64 (so a reader can tell which term opened where).
// PHYSICALOFFSET = entry_pos + 48 like every other body; the runtime may build the body with entry_pos unknown
// (PHYSICALOFFSET 0) and fix it in the append patch with write_commitlog_physical_offset().
//
// Byte layout (119 bytes): TOTALSIZE 119, MAGIC DAA320A7, BODYCRC = crc32(body) & 0x7FFFFFFF, QUEUEID 0,
// FLAG 0, QUEUEOFFSET 0, PHYSICALOFFSET pos+48, SYSFLAG 0xC, BORNTIMESTAMP 0, BORNHOST 00000000 00000000,
// STORETIMESTAMP 0, STOREHOST 00000000 00000000, RECONSUMETIMES 0, PREPAREDTRANSACTIONOFFSET 0, BODYLENGTH 8,
// BODY = term (int64 BE), TOPICLENGTH 20, "RMQ_SYS_DLEDGER_NOOP", PROPERTIESLENGTH 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "broker/common/bytes.h"

namespace rmq::store {

inline constexpr std::string_view kDLedgerNoopTopic = "RMQ_SYS_DLEDGER_NOOP";
inline constexpr std::size_t kDLedgerNoopBodyBytes = 119;  // 91 + 8 (term) + 20 (topic) + 0 (properties)

// The no-op body for `term` at entry position `entry_pos` (PHYSICALOFFSET = entry_pos + 48). Pass
// entry_pos = -48 to get PHYSICALOFFSET 0 when the position is not known yet (then patch it).
common::Bytes encode_noop_body(std::int64_t term, std::int64_t entry_pos);
// The body with PHYSICALOFFSET 0, to be fixed by write_commitlog_physical_offset() in the append patch.
inline common::Bytes encode_noop_body_unpositioned(std::int64_t term) { return encode_noop_body(term, -48); }

// The term a no-op body carries, or nullopt when `body` is not exactly a no-op body (any other record, a
// record on the no-op topic that deviates from the fixed encoding, or garbage).
std::optional<std::int64_t> decode_noop_term(common::ByteSpan body);
inline bool is_noop_body(common::ByteSpan body) { return decode_noop_term(body).has_value(); }

}  // namespace rmq::store
