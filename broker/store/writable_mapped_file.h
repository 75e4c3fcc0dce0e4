// One writable, memory-mapped store file (MappedFile.java): a commitlog or consume-queue file of a fixed size,
// named by the absolute offset of its first byte (storage.md 2.1).
//
// The file has its full size from creation and is mapped MAP_SHARED, so every byte copied into the mapping is
// in the kernel's page cache at once: a SIGKILL of the process loses nothing already written; only flush()
// (msync of the dirty range) makes it survive a power loss. Blocks are reserved (fallocate) before any byte
// is copied in: a store into a hole of a sparse mapping on a full disk is a SIGBUS, whereas a failed
// fallocate is an IoError naming the file. Two ways to reserve (FileAllocation):
// - kWhole (the commitlog): the whole file at creation (ftruncate where the file system cannot fallocate),
//   so a full disk shows up when the file is made, never half way through a record;
// - kOnWrite (consume queues): the file is created sparse with ftruncate, as upstream's are on disk, and each
//   write first reserves the 64 KiB chunks it touches. An unused queue then costs no data blocks (a 6 MB
//   consume-queue file per queue used to fill a disk with queues that held a few entries).
// A file opened with open_existing() (a Java store's tail may be sparse) is reserved the same way before its
// first write.
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

enum class FileAllocation { kWhole, kOnWrite };

class WritableMappedFile {
 public:
  // The unit in which kOnWrite files reserve blocks.
  static constexpr std::int64_t kAllocationChunkBytes = 64 * 1024;

  // Creates (or reuses, when it already has exactly size_bytes) the file and maps it. Throws IoError naming it.
  static std::unique_ptr<WritableMappedFile> create(const std::filesystem::path& path, std::int64_t start_offset,
                                                    std::int64_t size_bytes,
                                                    FileAllocation allocation = FileAllocation::kWhole);
  // Maps an existing file; throws std::runtime_error naming the file when its size is not size_bytes.
  static std::unique_ptr<WritableMappedFile> open_existing(const std::filesystem::path& path,
                                                           std::int64_t start_offset, std::int64_t size_bytes,
                                                           FileAllocation allocation = FileAllocation::kWhole);
  ~WritableMappedFile();
  WritableMappedFile(const WritableMappedFile&) = delete;
  WritableMappedFile& operator=(const WritableMappedFile&) = delete;

  std::int64_t start_offset() const { return start_offset_; }
  std::int64_t size_bytes() const { return size_bytes_; }
  std::int64_t end_offset() const { return start_offset_ + size_bytes_; }
  const std::filesystem::path& path() const { return path_; }
  std::uint8_t* data() { return data_; }
  common::ByteSpan bytes() const { return {data_, static_cast<std::size_t>(size_bytes_)}; }

  // Reserves the blocks of [from, to) (kWhole: of the whole file) with fallocate unless that was done
  // already; throws IoError (ENOSPC) naming the file.
  void ensure_allocated(std::int64_t from, std::int64_t to);
  void ensure_allocated() { ensure_allocated(0, size_bytes_); }
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
                     std::uint8_t* data, FileAllocation allocation);
  std::filesystem::path path_;
  std::int64_t start_offset_ = 0;
  std::int64_t size_bytes_ = 0;
  int fd_ = -1;
  std::uint8_t* data_ = nullptr;
  FileAllocation allocation_ = FileAllocation::kWhole;
  // [reserved_from_, reserved_to_) is known to have its blocks reserved (kWhole: the whole file once set).
  std::int64_t reserved_from_ = 0;
  std::int64_t reserved_to_ = 0;
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
