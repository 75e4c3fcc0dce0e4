#include "broker/store/consume_queue.h"

#include <algorithm>

namespace rmq::store {

namespace {
constexpr std::int64_t kUnit = static_cast<std::int64_t>(kConsumeQueueEntrySize);

std::int64_t round_up_to_unit(std::int64_t size) {
  if (size < kUnit) return kUnit;
  return (size + kUnit - 1) / kUnit * kUnit;
}
}  // namespace

ConsumeQueue::ConsumeQueue(std::filesystem::path dir, std::string topic, std::int32_t queue_id,
                           std::int64_t file_size_bytes)
    : topic_(std::move(topic)), queue_id_(queue_id), files_(std::move(dir), round_up_to_unit(file_size_bytes), FileAllocation::kOnWrite) {}

void ConsumeQueue::load_and_recover() {
  std::lock_guard lock(mutex_);
  files_.load();
  const auto files = files_.files();
  if (files.empty()) {
    files_.truncate_dirty(0);
    max_physical_offset_ = 0;
    min_logic_offset_ = 0;
    return;
  }
  const std::size_t first = files.size() >= 3 ? files.size() - 3 : 0;
  std::int64_t end = files[first]->start_offset();
  std::int64_t max_phy = 0;
  for (std::size_t i = first; i < files.size(); ++i) {
    const auto bytes = files[i]->bytes();
    std::size_t pos = 0;
    bool stopped = false;
    for (; pos + kConsumeQueueEntrySize <= bytes.size(); pos += kConsumeQueueEntrySize) {
      const auto e = decode_consume_queue_entry(bytes.subspan(pos, kConsumeQueueEntrySize));
      if (!e || !e->is_data()) {
        stopped = true;
        break;
      }
      // A pre-blank filler points at nothing: counting it (0 + INT32_MAX) would make put() ignore every
      // real entry below 2 GiB of commitlog.
      if (*e != kPreBlankEntry) max_phy = e->commitlog_offset + e->size_bytes;
    }
    end = files[i]->start_offset() + static_cast<std::int64_t>(pos);
    if (stopped) break;
  }
  files_.truncate_dirty(end);
  max_physical_offset_ = max_phy;
  min_logic_offset_ = files_.min_offset();
}

bool ConsumeQueue::put(const ConsumeQueueEntry& entry, std::int64_t queue_offset) {
  std::lock_guard lock(mutex_);
  if (entry.commitlog_offset + entry.size_bytes <= max_physical_offset_) return false;
  const std::int64_t expect = queue_offset * kUnit;
  std::int64_t current = files_.wrote_offset();
  if (files_.empty() && expect != current) {
    // The queue starts here: its first file is the one holding this slot, pre-blank filled up to it. Its
    // first readable offset is this slot (Java: minLogicOffset = expectLogicOffset).
    files_.reset(expect - expect % files_.file_size_bytes());
    min_logic_offset_ = expect;
    current = files_.wrote_offset();
  }
  if (expect < current) return false;
  // fillPreBlank (and any gap: keeps entry n at slot n) and the entry itself go in with one copy per file,
  // so a crash can hardly leave the fillers without the entry (recovery copes with that too).
  common::Bytes bytes;
  bytes.reserve(static_cast<std::size_t>(expect - current + kUnit));
  for (std::int64_t at = current; at < expect; at += kUnit) encode_consume_queue_entry(kPreBlankEntry, bytes);
  encode_consume_queue_entry(entry, bytes);
  const std::int64_t file_size = files_.file_size_bytes();
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::int64_t at = files_.wrote_offset();
    const std::size_t room = static_cast<std::size_t>(file_size - at % file_size);
    const std::size_t chunk = std::min(room, bytes.size() - done);
    files_.append(common::ByteSpan(bytes).subspan(done, chunk));
    done += chunk;
  }
  max_physical_offset_ = entry.commitlog_offset + entry.size_bytes;
  return true;
}

void ConsumeQueue::truncate_by_commitlog_end(std::int64_t commitlog_end) {
  std::lock_guard lock(mutex_);
  std::int64_t end = files_.wrote_offset();
  const std::int64_t min = files_.min_offset();
  while (end > min) {
    const auto e = entry_locked(end / kUnit - 1);
    if (!e || e->commitlog_offset < commitlog_end) break;
    end -= kUnit;
  }
  if (end == files_.wrote_offset()) return;
  files_.truncate_dirty(end);
  max_physical_offset_ = 0;
  // The last real entry left (pre-blank fillers point at nothing).
  for (std::int64_t at = end; at > min; at -= kUnit) {
    const auto last = entry_locked(at / kUnit - 1);
    if (!last) break;
    if (*last == kPreBlankEntry) continue;
    max_physical_offset_ = last->commitlog_offset + last->size_bytes;
    break;
  }
}

void ConsumeQueue::correct_min_offset(std::int64_t commitlog_min_offset) {
  std::lock_guard lock(mutex_);
  std::int64_t logic = std::max(min_logic_offset_, files_.min_offset());
  const std::int64_t end = files_.wrote_offset();
  while (logic < end) {
    const auto e = entry_locked(logic / kUnit);
    if (e && e->commitlog_offset >= commitlog_min_offset && e->size_bytes != kPreBlankEntry.size_bytes) break;
    logic += kUnit;
  }
  min_logic_offset_ = logic;
}

std::int64_t ConsumeQueue::min_offset() const {
  std::lock_guard lock(mutex_);
  return min_logic_offset_ / kUnit;
}

std::int64_t ConsumeQueue::max_offset() const {
  std::lock_guard lock(mutex_);
  return max_offset_locked();
}

std::int64_t ConsumeQueue::max_physical_offset() const {
  std::lock_guard lock(mutex_);
  return max_physical_offset_;
}

std::optional<ConsumeQueueEntry> ConsumeQueue::entry_locked(std::int64_t queue_offset) const {
  if (queue_offset < 0) return std::nullopt;
  common::Bytes bytes;
  if (!files_.read(queue_offset * kUnit, kConsumeQueueEntrySize, bytes)) return std::nullopt;
  return decode_consume_queue_entry(bytes);
}

std::optional<ConsumeQueueEntry> ConsumeQueue::entry(std::int64_t queue_offset) const {
  std::lock_guard lock(mutex_);
  if (queue_offset * kUnit < min_logic_offset_) return std::nullopt;
  return entry_locked(queue_offset);
}

std::vector<ConsumeQueueEntry> ConsumeQueue::entries(std::int64_t queue_offset, std::int32_t max_count) const {
  std::lock_guard lock(mutex_);
  std::vector<ConsumeQueueEntry> out;
  if (queue_offset * kUnit < min_logic_offset_) return out;
  const std::int64_t end = max_offset_locked();
  for (std::int64_t q = queue_offset; q < end && static_cast<std::int32_t>(out.size()) < max_count; ++q) {
    const auto e = entry_locked(q);
    if (!e) break;
    out.push_back(*e);
  }
  return out;
}

}  // namespace rmq::store
