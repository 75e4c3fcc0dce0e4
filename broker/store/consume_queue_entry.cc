#include "broker/store/consume_queue_entry.h"

namespace rmq::store {

void encode_consume_queue_entry(const ConsumeQueueEntry& entry, common::Bytes& out) {
  common::ByteWriter w(out);
  w.i64(entry.commitlog_offset);
  w.i32(entry.size_bytes);
  w.i64(entry.tags_code);
}

std::optional<ConsumeQueueEntry> decode_consume_queue_entry(common::ByteSpan data) {
  if (data.size() < kConsumeQueueEntrySize) return std::nullopt;
  const std::uint8_t* p = data.data();
  return ConsumeQueueEntry{common::load_i64_be(p), common::load_i32_be(p + 8), common::load_i64_be(p + 12)};
}

}  // namespace rmq::store
