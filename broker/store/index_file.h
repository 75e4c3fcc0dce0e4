// One index file (storage.md 3.2; Java store/index/IndexFile + IndexHeader): a hash table of key -> commitlog
// offsets, mapped shared so the kernel keeps what we write even if the process dies.
//
// Layout (big-endian): a 40-byte header (beginTimestamp, endTimestamp, beginPhyOffset, endPhyOffset int64;
// hashSlotCount, indexCount int32 with indexCount starting at 1), then slot_count int32 slots (the newest entry
// number of the bucket, 0 = empty), then entry_count 20-byte entries (keyHash int32, phyOffset int64, time diff
// in seconds int32, previous entry number int32). Size = 40 + slots*4 + entries*20; created sparse.
//
// Crash: an entry is written before its slot points at it and the header counts it after, so a kill leaves at
// worst an unreachable entry. The header's counters are the truth; a header inconsistent with the file size is
// rejected on open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::store {

inline constexpr std::size_t kIndexHeaderSize = 40;
inline constexpr std::size_t kIndexSlotSize = 4;
inline constexpr std::size_t kIndexEntrySize = 20;

// abs(Java String.hashCode(topic + "#" + key)) over UTF-16 code units; 0 when abs overflows (Integer.MIN_VALUE).
std::int32_t index_key_hash(std::string_view topic, std::string_view key);
// The same for an already joined "topic#key" (IndexService.buildKey).
std::int32_t positive_key_hash(std::string_view topic_hash_key);
std::string index_key(std::string_view topic, std::string_view key);  // topic + "#" + key

class IndexFile {
 public:
  // Creates a new file (must not exist) of 40 + slot_count*4 + entry_count*20 bytes (sparse), with
  // indexCount 1 and hashSlotCount 0. As Java's IndexService does when it rolls, a positive
  // last_end_phy_offset / last_end_timestamp_ms (the previous file's end) become this file's begin and end until
  // its first entry. Throws IoError naming the path, std::invalid_argument for non-positive counts.
  static IndexFile create(const std::filesystem::path& path, std::int32_t slot_count, std::int32_t entry_count,
                          std::int64_t last_end_phy_offset = 0, std::int64_t last_end_timestamp_ms = 0);
  // Maps an existing file. Throws IoError on I/O failure and std::runtime_error naming the file when its size is
  // not 40 + slot_count*4 + entry_count*20 or its header counters are out of range.
  static IndexFile open(const std::filesystem::path& path, std::int32_t slot_count, std::int32_t entry_count);

  ~IndexFile();
  IndexFile(IndexFile&& other) noexcept;
  IndexFile& operator=(IndexFile&& other) noexcept;
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;

  // Adds key -> physical_offset. Returns false when the file is full (indexCount reached entry_count).
  // The first entry sets beginTimestamp/beginPhyOffset; every entry sets endTimestamp/endPhyOffset.
  bool put_key(std::string_view topic_hash_key /* "topic#key" */, std::int64_t physical_offset,
               std::int64_t store_timestamp_ms);
  // Offsets of entries in the key's chain whose hash matches and whose time is in [begin_ms, end_ms], newest
  // first, appended to `out` until it holds max_count. Corrupt chain links (out of range) end the walk.
  void select_offsets(std::string_view topic_hash_key, std::int32_t max_count, std::int64_t begin_ms,
                      std::int64_t end_ms, std::vector<std::int64_t>& out) const;

  bool full() const;
  // Whether [begin_ms, end_ms] overlaps the file's [beginTimestamp, endTimestamp] (Java isTimeMatched).
  bool time_matched(std::int64_t begin_ms, std::int64_t end_ms) const;

  std::int64_t begin_timestamp_ms() const;
  std::int64_t end_timestamp_ms() const;
  std::int64_t begin_phy_offset() const;
  std::int64_t end_phy_offset() const;
  std::int32_t hash_slot_count() const;
  std::int32_t index_count() const;

  // Unmaps and deletes the file (IndexFile.destroy); the object is unusable afterwards. Throws IoError.
  void destroy();
  void flush();  // msync (MS_SYNC) when anything changed since the last flush
  const std::filesystem::path& path() const { return path_; }

 private:
  IndexFile() = default;
  void unmap();
  std::size_t slot_position(std::int32_t key_hash) const;
  std::size_t entry_position(std::int32_t index_number) const;

  std::filesystem::path path_;
  std::uint8_t* data_ = nullptr;
  std::size_t size_bytes_ = 0;
  std::int32_t slot_count_ = 0;
  std::int32_t entry_count_ = 0;
  bool dirty_ = false;
};

}  // namespace rmq::store
