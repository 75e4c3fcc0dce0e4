#include "broker/store/dledger_body_check.h"

#include <algorithm>

#include "broker/store/dledger_entry.h"
#include "broker/store/message_record.h"

namespace rmq::store {
namespace {

// Where TOPIC and PROPERTIES lie in a record decode_record accepted (every length checked against TOTALSIZE
// and the span there). Offsets from storage.md 1.2: BORNHOST at 48, 8 or 20 bytes per host (sysflag 0x10,
// 0x20), then STORETIMESTAMP 8, RECONSUMETIMES 4, PREPAREDTRANSACTIONOFFSET 8, BODYLENGTH 4 + body, TOPICLENGTH
// 1 (v1) or 2 (v2) + topic, PROPERTIESLENGTH 2 + properties.
struct TextFields {
  common::ByteSpan topic;
  common::ByteSpan properties;
};

TextFields text_fields(common::ByteSpan record) {
  const std::uint8_t* p = record.data();
  const std::int32_t magic = common::load_i32_be(p + 4);
  const std::int32_t sys_flag = common::load_i32_be(p + 36);
  std::size_t pos = 48 + ((sys_flag & sysflag::kBornHostV6) != 0 ? 20 : 8) + 8 +
                    ((sys_flag & sysflag::kStoreHostV6) != 0 ? 20 : 8) + 4 + 8;
  const auto body_length = static_cast<std::size_t>(common::load_i32_be(p + pos));
  pos += 4 + body_length;
  std::size_t topic_length;
  if (magic == kMessageMagicV2) {
    topic_length = static_cast<std::size_t>(common::load_i16_be(p + pos));
    pos += 2;
  } else {
    topic_length = static_cast<std::size_t>(static_cast<std::int8_t>(p[pos]));
    pos += 1;
  }
  TextFields fields;
  fields.topic = record.subspan(pos, topic_length);
  pos += topic_length;
  const auto properties_length = static_cast<std::size_t>(common::load_i16_be(p + pos));
  fields.properties = record.subspan(pos + 2, properties_length);
  return fields;
}

}  // namespace

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
    // What BODYCRC does not cover. A tear reads as zeros (bytes past the write position are holes or zeroed),
    // so a topic or properties string cut by one holds zero bytes where text was.
    const TextFields text = text_fields(body);
    const std::size_t record_topic_at = static_cast<std::size_t>(text.topic.data() - body.data());
    if (text.topic.empty()) return "empty TOPIC at +" + std::to_string(record_topic_at) + " of the record";
    if (const auto zero = std::find(text.topic.begin(), text.topic.end(), std::uint8_t{0}); zero != text.topic.end()) {
      // Topics are [%|a-zA-Z0-9_-] (TopicValidator); no writer puts a zero byte in one.
      return "zero byte in TOPIC at +" + std::to_string(record_topic_at + static_cast<std::size_t>(zero - text.topic.begin())) +
             " of the record";
    }
    if (!text.properties.empty() && text.properties.back() == 0) {
      // messageProperties2String ends every pair with 0x02 (storage.md 1.5); a zero last byte is what a write
      // that stopped part way through the entry leaves. (A zero byte elsewhere in a value is legal: values are
      // arbitrary strings.)
      return "PROPERTIES of " + std::to_string(text.properties.size()) +
             " bytes end with a zero byte (a torn write; the writer ends them with 0x02)";
    }
    return std::nullopt;
  };
}

}  // namespace rmq::store
