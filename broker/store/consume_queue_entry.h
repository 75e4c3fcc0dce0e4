// One consume queue entry (storage.md 3.1): the 20-byte pointer from a queue's logical offset to a record.
//
// consumequeue/{topic}/{queueId}/ files are plain arrays of these; entry n (the queue offset) lives at byte
// n*20 of the queue's logical file. Layout, big-endian: commitlog offset int64 (the record's PHYSICALOFFSET),
// size int32 (its TOTALSIZE, without any DLedger header), tags code int64 (String.hashCode of TAGS,
// sign-extended, or the delivery time for SCHEDULE_TOPIC_XXXX).
//
// A queue that first appears at a non-zero offset has the slots before it filled with (0, INT32_MAX, 0)
// (ConsumeQueue.fillPreBlank). Recovery counts an entry as data while offset >= 0 and size > 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "broker/common/bytes.h"

namespace rmq::store {

inline constexpr std::size_t kConsumeQueueEntrySize = 20;  // CQ_STORE_UNIT_SIZE
// mappedFileSizeConsumeQueue default: 300000 entries per file.
inline constexpr std::size_t kDefaultConsumeQueueFileSize = 300000 * kConsumeQueueEntrySize;

struct ConsumeQueueEntry {
  std::int64_t commitlog_offset = 0;
  std::int32_t size_bytes = 0;
  std::int64_t tags_code = 0;
  // What ConsumeQueue recovery accepts as written data (a pre-blank entry counts too, as in Java).
  bool is_data() const { return commitlog_offset >= 0 && size_bytes > 0; }
  bool operator==(const ConsumeQueueEntry&) const = default;
};

// The filler fillPreBlank writes before a queue's first real entry.
inline constexpr ConsumeQueueEntry kPreBlankEntry{0, std::numeric_limits<std::int32_t>::max(), 0};

// Appends the 20 bytes of `entry`.
void encode_consume_queue_entry(const ConsumeQueueEntry& entry, common::Bytes& out);

// Reads the entry in data[0, 20); nullopt when fewer than 20 bytes are given.
std::optional<ConsumeQueueEntry> decode_consume_queue_entry(common::ByteSpan data);

}  // namespace rmq::store
