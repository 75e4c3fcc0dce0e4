#include "broker/store/dledger_body_check.h"

#include "broker/store/dledger_entry.h"
#include "broker/store/message_record.h"

namespace rmq::store {

DLedgerBodyCheck commitlog_record_body_check(bool check_crc) {
  return [check_crc](std::int64_t entry_pos, common::ByteSpan body) -> std::optional<std::string> {
    const DecodeResult result = decode_record(body, check_crc, nullptr);
    if (result.status != DecodeStatus::kOk) {
      return std::string("commitlog record: ") + to_string(result.status) +
             (result.detail.empty() ? "" : " (" + result.detail + ")");
    }
    if (static_cast<std::size_t>(result.size) != body.size()) {
      return "commitlog record of " + std::to_string(result.size) + " bytes in a body of " +
             std::to_string(body.size());
    }
    // decode_record accepted at least kMinRecordSize bytes, so the field is inside the body.
    const std::int64_t physical_offset = common::load_i64_be(body.data() + kCommitlogPhysicalOffsetAt);
    const std::int64_t expected = entry_pos + static_cast<std::int64_t>(kDLedgerHeaderBytes);
    if (physical_offset != expected) {
      return "PHYSICALOFFSET " + std::to_string(physical_offset) + " != entry pos + 48 = " + std::to_string(expected);
    }
    return std::nullopt;
  };
}

}  // namespace rmq::store
