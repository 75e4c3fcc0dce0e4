// One writable, memory-mapped store file (MappedFile.java): a commitlog or consume-queue file of a fixed size,
// named by the absolute offset of its first byte (storage.md 2.1).
//
// The file is created at full size with fallocate (blocks reserved, reads as zeros; ftruncate where the file
// system cannot fallocate) and mapped MAP_SHARED, so every byte copied into the mapping is in the kernel's
// page cache at once: a SIGKILL of the process loses nothing already written; only flush() (msync of the
// dirty range) makes it survive a power loss. Reserving the blocks first matters: a store into a hole of a
// sparse mapping on a full disk is a SIGBUS, whereas a failed fallocate is an IoError naming the file. A file
// opened with open_existing() (a Java store's tail may be sparse) is allocated before its first write.
//
// Not thread-safe by itself: the owner serialises writes; readers may read any range below a write position
// the owner has published.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "broker/common/bytes.h"

namespace rmq::store {

class WritableMappedFile {
 public:
  // Creates (or reuses, when it already has exactly size_bytes) the file and maps it. Throws IoError naming it.
  static std::unique_ptr<WritableMappedFile> create(const std::filesystem::path& path, std::int64_t start_offset,
                                                    std::int64_t size_bytes);
  // Maps an existing file; throws std::runtime_error naming the file when its size is not size_bytes.
  static std::unique_ptr<WritableMappedFile> open_existing(const std::filesystem::path& path,
                                                           std::int64_t start_offset, std::int64_t size_bytes);
  ~WritableMappedFile();
  WritableMappedFile(const WritableMappedFile&) = delete;
  WritableMappedFile& operator=(const WritableMappedFile&) = delete;

  std::int64_t start_offset() const { return start_offset_; }
  std::int64_t size_bytes() const { return size_bytes_; }
  std::int64_t end_offset() const { return start_offset_ + size_bytes_; }
  const std::filesystem::path& path() const { return path_; }
  std::uint8_t* data() { return data_; }
  common::ByteSpan bytes() const { return {data_, static_cast<std::size_t>(size_bytes_)}; }

  // Reserves the file's blocks (fallocate) if that was not done yet; throws IoError (ENOSPC) naming the file.
  void ensure_allocated();
  // Writes `bytes` at file position `position` (bounds-checked; throws std::out_of_range). Allocates first.
  void write(std::int64_t position, common::ByteSpan bytes);
  // msync(MS_SYNC) of [from, to) (file positions); throws IoError.
  void sync_range(std::int64_t from, std::int64_t to);
  // Makes [from, size) read as zeros (punches a hole, or writes zeros where that is unsupported).
  void zero_tail(std::int64_t from);
  // Unmaps and deletes the file.
  void destroy();

 private:
  WritableMappedFile(std::filesystem::path path, std::int64_t start_offset, std::int64_t size_bytes, int fd,
                     std::uint8_t* data);
  std::filesystem::path path_;
  std::int64_t start_offset_ = 0;
  std::int64_t size_bytes_ = 0;
  int fd_ = -1;
  std::uint8_t* data_ = nullptr;
  bool allocated_ = false;
};

// fsync of a directory, so a file just created in it survives a power loss. Throws IoError naming it.
void sync_directory(const std::filesystem::path& dir);

// Test seam: called before each operation that reaches the disk, with the file (or directory) and, for
// kSync, the synced range. The hook may block (a hung disk) or throw IoError (a failing disk). Empty: none.
enum class MappedFileOp { kCreate, kSync, kDirSync };
using MappedFileOpHook =
    std::function<void(MappedFileOp op, const std::filesystem::path& path, std::int64_t from, std::int64_t to)>;
void set_mapped_file_op_hook_for_testing(MappedFileOpHook hook);

}  // namespace rmq::store
