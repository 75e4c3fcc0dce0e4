// suggestWhichBrokerId (see pull_suggest.h).
#include "broker/server/pull_suggest.h"

#include <unistd.h>

namespace rmq::server {
namespace {

constexpr std::size_t kPhysicalOffsetAt = 28;  // TOTALSIZE, MAGIC, BODYCRC, QUEUEID, FLAG, QUEUEOFFSET (storage.md 1.2)

}  // namespace

std::int64_t suggest_which_broker_id(bool slave_read_enable, bool suggest_pulling_from_slave,
                                     const SubscriptionGroupConfig& group) {
  if (!slave_read_enable) return 0;
  return suggest_pulling_from_slave ? group.which_broker_when_consume_slowly : group.broker_id;
}

bool suggest_pulling_from_slave(std::int64_t max_physical_offset, std::int64_t last_pulled_physical_offset,
                                std::int64_t total_memory_bytes, std::int32_t ratio_percent) {
  const std::int64_t diff = max_physical_offset - last_pulled_physical_offset;
  const long double memory = static_cast<long double>(total_memory_bytes) * ratio_percent / 100.0L;
  return static_cast<long double>(diff) > memory;
}

std::optional<std::int64_t> last_record_physical_offset(common::ByteSpan records) {
  std::size_t pos = 0;
  std::optional<std::size_t> last;
  while (pos < records.size()) {
    if (records.size() - pos < kPhysicalOffsetAt + 8) return std::nullopt;
    const std::int32_t total = common::load_i32_be(records.data() + pos);
    if (total < static_cast<std::int32_t>(kPhysicalOffsetAt + 8) ||
        static_cast<std::size_t>(total) > records.size() - pos) {
      return std::nullopt;
    }
    last = pos;
    pos += static_cast<std::size_t>(total);
  }
  if (!last) return std::nullopt;
  return common::load_i64_be(records.data() + *last + kPhysicalOffsetAt);
}

std::int64_t total_physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::int64_t>(pages) * page_size;
}

}  // namespace rmq::server
