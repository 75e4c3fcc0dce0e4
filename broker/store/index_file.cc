#include "broker/store/index_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#include "broker/common/bytes.h"
#include "broker/common/io_error.h"
#include "broker/common/unique_fd.h"
#include "broker/store/java_string.h"

namespace rmq::store {
namespace {

// Header field offsets (IndexHeader).
constexpr std::size_t kBeginTimestampAt = 0;
constexpr std::size_t kEndTimestampAt = 8;
constexpr std::size_t kBeginPhyOffsetAt = 16;
constexpr std::size_t kEndPhyOffsetAt = 24;
constexpr std::size_t kHashSlotCountAt = 32;
constexpr std::size_t kIndexCountAt = 36;
constexpr std::int32_t kInvalidIndex = 0;

std::size_t file_size_for(std::int32_t slot_count, std::int32_t entry_count) {
  return kIndexHeaderSize + static_cast<std::size_t>(slot_count) * kIndexSlotSize +
         static_cast<std::size_t>(entry_count) * kIndexEntrySize;
}

void check_counts(std::int32_t slot_count, std::int32_t entry_count) {
  if (slot_count <= 0 || entry_count <= 0) {
    throw std::invalid_argument("index file needs positive slot and entry counts (maxHashSlotNum " +
                                std::to_string(slot_count) + ", maxIndexNum " + std::to_string(entry_count) + ")");
  }
}

using Fd = common::UniqueFd;

std::uint8_t* map_shared(int fd, std::size_t size_bytes, const std::filesystem::path& path) {
  void* data = ::mmap(nullptr, size_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) throw common::IoError("mmap " + common::errno_message(path, errno));
  return static_cast<std::uint8_t*>(data);
}

}  // namespace

std::int32_t positive_key_hash(std::string_view topic_hash_key) {
  const std::int32_t hash = java_string_hash(topic_hash_key);
  if (hash == std::numeric_limits<std::int32_t>::min()) return 0;  // Math.abs overflows; Java then uses 0
  return hash < 0 ? -hash : hash;
}

std::string index_key(std::string_view topic, std::string_view key) {
  std::string joined;
  joined.reserve(topic.size() + 1 + key.size());
  joined.append(topic).append("#").append(key);
  return joined;
}

std::int32_t index_key_hash(std::string_view topic, std::string_view key) {
  return positive_key_hash(index_key(topic, key));
}

IndexFile IndexFile::create(const std::filesystem::path& path, std::int32_t slot_count, std::int32_t entry_count,
                            std::int64_t last_end_phy_offset, std::int64_t last_end_timestamp_ms) {
  check_counts(slot_count, entry_count);
  const std::size_t size_bytes = file_size_for(slot_count, entry_count);
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw common::IoError("create index file " + common::errno_message(path, errno));
  if (::ftruncate(fd.get(), static_cast<off_t>(size_bytes)) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    throw common::IoError("size index file " + common::errno_message(path, error));
  }
  IndexFile file;
  file.path_ = path;
  file.size_bytes_ = size_bytes;
  file.slot_count_ = slot_count;
  file.entry_count_ = entry_count;
  file.data_ = map_shared(fd.get(), size_bytes, path);
  if (last_end_phy_offset > 0) {
    common::store_u64_be(file.data_ + kBeginPhyOffsetAt, static_cast<std::uint64_t>(last_end_phy_offset));
    common::store_u64_be(file.data_ + kEndPhyOffsetAt, static_cast<std::uint64_t>(last_end_phy_offset));
  }
  if (last_end_timestamp_ms > 0) {
    common::store_u64_be(file.data_ + kBeginTimestampAt, static_cast<std::uint64_t>(last_end_timestamp_ms));
    common::store_u64_be(file.data_ + kEndTimestampAt, static_cast<std::uint64_t>(last_end_timestamp_ms));
  }
  common::store_u32_be(file.data_ + kIndexCountAt, 1);
  file.dirty_ = true;
  return file;
}

IndexFile IndexFile::open(const std::filesystem::path& path, std::int32_t slot_count, std::int32_t entry_count) {
  check_counts(slot_count, entry_count);
  const std::size_t size_bytes = file_size_for(slot_count, entry_count);
  Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) throw common::IoError("open index file " + common::errno_message(path, errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw common::IoError("stat index file " + common::errno_message(path, errno));
  if (static_cast<std::uint64_t>(info.st_size) != size_bytes) {
    throw std::runtime_error("index file " + path.string() + ": size " + std::to_string(info.st_size) +
                             " bytes, expected " + std::to_string(size_bytes) + " (40 + maxHashSlotNum " +
                             std::to_string(slot_count) + " * 4 + maxIndexNum " + std::to_string(entry_count) +
                             " * 20)");
  }
  IndexFile file;
  file.path_ = path;
  file.size_bytes_ = size_bytes;
  file.slot_count_ = slot_count;
  file.entry_count_ = entry_count;
  file.data_ = map_shared(fd.get(), size_bytes, path);
  const std::int32_t index_count = common::load_i32_be(file.data_ + kIndexCountAt);
  const std::int32_t hash_slot_count = common::load_i32_be(file.data_ + kHashSlotCountAt);
  if (index_count < 0 || index_count > entry_count) {
    throw std::runtime_error("index file " + path.string() + ": header indexCount " + std::to_string(index_count) +
                             " at offset 36 is outside [0, " + std::to_string(entry_count) + "]");
  }
  if (hash_slot_count < 0 || hash_slot_count > slot_count) {
    throw std::runtime_error("index file " + path.string() + ": header hashSlotCount " +
                             std::to_string(hash_slot_count) + " at offset 32 is outside [0, " +
                             std::to_string(slot_count) + "]");
  }
  // IndexHeader.load: a header that was never written counts from 1.
  if (index_count == 0) common::store_u32_be(file.data_ + kIndexCountAt, 1);
  return file;
}

IndexFile::~IndexFile() { unmap(); }

IndexFile::IndexFile(IndexFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(other.data_),
      size_bytes_(other.size_bytes_),
      slot_count_(other.slot_count_),
      entry_count_(other.entry_count_),
      dirty_(other.dirty_) {
  other.data_ = nullptr;
  other.size_bytes_ = 0;
}

IndexFile& IndexFile::operator=(IndexFile&& other) noexcept {
  if (this != &other) {
    unmap();
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_bytes_ = other.size_bytes_;
    slot_count_ = other.slot_count_;
    entry_count_ = other.entry_count_;
    dirty_ = other.dirty_;
    other.data_ = nullptr;
    other.size_bytes_ = 0;
  }
  return *this;
}

void IndexFile::unmap() {
  if (data_ != nullptr) {
    ::munmap(data_, size_bytes_);
    data_ = nullptr;
  }
}

std::int64_t IndexFile::begin_timestamp_ms() const { return common::load_i64_be(data_ + kBeginTimestampAt); }
std::int64_t IndexFile::end_timestamp_ms() const { return common::load_i64_be(data_ + kEndTimestampAt); }
std::int64_t IndexFile::begin_phy_offset() const { return common::load_i64_be(data_ + kBeginPhyOffsetAt); }
std::int64_t IndexFile::end_phy_offset() const { return common::load_i64_be(data_ + kEndPhyOffsetAt); }
std::int32_t IndexFile::hash_slot_count() const { return common::load_i32_be(data_ + kHashSlotCountAt); }
std::int32_t IndexFile::index_count() const { return common::load_i32_be(data_ + kIndexCountAt); }

bool IndexFile::full() const { return index_count() >= entry_count_; }

bool IndexFile::time_matched(std::int64_t begin_ms, std::int64_t end_ms) const {
  const std::int64_t begin = begin_timestamp_ms();
  const std::int64_t end = end_timestamp_ms();
  return (begin_ms < begin && end_ms > end) || (begin_ms >= begin && begin_ms <= end) ||
         (end_ms >= begin && end_ms <= end);
}

std::size_t IndexFile::slot_position(std::int32_t key_hash) const {
  return kIndexHeaderSize + static_cast<std::size_t>(key_hash % slot_count_) * kIndexSlotSize;
}

std::size_t IndexFile::entry_position(std::int32_t index_number) const {
  return kIndexHeaderSize + static_cast<std::size_t>(slot_count_) * kIndexSlotSize +
         static_cast<std::size_t>(index_number) * kIndexEntrySize;
}

bool IndexFile::put_key(std::string_view topic_hash_key, std::int64_t physical_offset,
                        std::int64_t store_timestamp_ms) {
  const std::int32_t index_count = this->index_count();
  if (index_count >= entry_count_) return false;
  const std::int32_t key_hash = positive_key_hash(topic_hash_key);
  const std::size_t slot_at = slot_position(key_hash);
  std::int32_t previous = common::load_i32_be(data_ + slot_at);
  if (previous <= kInvalidIndex || previous >= index_count) previous = kInvalidIndex;

  // The first entry fixes the file's begin; its time diff is then 0 (Java computes it against the begin the
  // file was created with, the previous file's end, and stores a diff that overstates the entry's time).
  if (index_count <= 1) {
    common::store_u64_be(data_ + kBeginPhyOffsetAt, static_cast<std::uint64_t>(physical_offset));
    common::store_u64_be(data_ + kBeginTimestampAt, static_cast<std::uint64_t>(store_timestamp_ms));
  }
  const std::int64_t begin_ms = begin_timestamp_ms();
  std::int64_t time_diff_s = begin_ms <= 0 ? 0 : (store_timestamp_ms - begin_ms) / 1000;
  if (time_diff_s < 0) time_diff_s = 0;
  if (time_diff_s > std::numeric_limits<std::int32_t>::max()) time_diff_s = std::numeric_limits<std::int32_t>::max();

  // Entry first, then the slot that points at it, then the header that counts it.
  std::uint8_t* entry = data_ + entry_position(index_count);
  common::store_u32_be(entry, static_cast<std::uint32_t>(key_hash));
  common::store_u64_be(entry + 4, static_cast<std::uint64_t>(physical_offset));
  common::store_u32_be(entry + 12, static_cast<std::uint32_t>(time_diff_s));
  common::store_u32_be(entry + 16, static_cast<std::uint32_t>(previous));
  common::store_u32_be(data_ + slot_at, static_cast<std::uint32_t>(index_count));
  if (previous == kInvalidIndex) {
    common::store_u32_be(data_ + kHashSlotCountAt, static_cast<std::uint32_t>(hash_slot_count() + 1));
  }
  common::store_u32_be(data_ + kIndexCountAt, static_cast<std::uint32_t>(index_count + 1));
  common::store_u64_be(data_ + kEndPhyOffsetAt, static_cast<std::uint64_t>(physical_offset));
  common::store_u64_be(data_ + kEndTimestampAt, static_cast<std::uint64_t>(store_timestamp_ms));
  dirty_ = true;
  return true;
}

void IndexFile::select_offsets(std::string_view topic_hash_key, std::int32_t max_count, std::int64_t begin_ms,
                               std::int64_t end_ms, std::vector<std::int64_t>& out) const {
  const std::int32_t index_count = this->index_count();
  if (index_count <= 1) return;
  const std::int32_t key_hash = positive_key_hash(topic_hash_key);
  std::int32_t next = common::load_i32_be(data_ + slot_position(key_hash));
  const std::int64_t file_begin_ms = begin_timestamp_ms();
  // Chains only point backwards (an entry's predecessor was written before it), which also bounds the walk
  // on a corrupt file.
  while (next > kInvalidIndex && next < index_count) {
    if (static_cast<std::int64_t>(out.size()) >= max_count) return;
    const std::uint8_t* entry = data_ + entry_position(next);
    const std::int32_t hash_read = common::load_i32_be(entry);
    const std::int64_t offset_read = common::load_i64_be(entry + 4);
    const std::int64_t time_diff_s = common::load_i32_be(entry + 12);
    const std::int32_t previous = common::load_i32_be(entry + 16);
    if (time_diff_s < 0) return;
    const std::int64_t time_read_ms = file_begin_ms + time_diff_s * 1000;
    if (hash_read == key_hash && time_read_ms >= begin_ms && time_read_ms <= end_ms) out.push_back(offset_read);
    if (previous >= next || time_read_ms < begin_ms) return;
    next = previous;
  }
}

void IndexFile::destroy() {
  unmap();
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    throw common::IoError("delete index file " + common::errno_message(path_, errno));
  }
}

void IndexFile::flush() {
  if (data_ == nullptr || !dirty_) return;
  if (::msync(data_, size_bytes_, MS_SYNC) != 0) throw common::IoError("msync " + common::errno_message(path_, errno));
  dirty_ = false;
}

}  // namespace rmq::store
