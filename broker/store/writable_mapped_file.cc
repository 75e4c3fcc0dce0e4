#include "broker/store/writable_mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "broker/common/io_error.h"

namespace rmq::store {

using common::errno_message;
using common::IoError;

namespace {

constexpr std::int64_t kPageSize = 4096;

std::atomic<bool> g_hook_set{false};
std::mutex g_hook_mutex;
std::shared_ptr<const MappedFileOpHook> g_hook;

void call_hook(MappedFileOp op, const std::filesystem::path& path, std::int64_t from, std::int64_t to) {
  if (!g_hook_set.load(std::memory_order_acquire)) return;
  std::shared_ptr<const MappedFileOpHook> hook;
  {
    std::lock_guard lock(g_hook_mutex);
    hook = g_hook;
  }
  if (hook && *hook) (*hook)(op, path, from, to);
}

// Reserves [from, to). Returns 0, or the errno; EOPNOTSUPP/ENOSYS mean the file system cannot.
int allocate(int fd, std::int64_t from, std::int64_t to) {
  int rc = 0;
  do {
    rc = ::fallocate(fd, 0, from, to - from);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

bool unsupported(int e) { return e == EOPNOTSUPP || e == ENOSYS; }

std::uint8_t* map_file(int fd, const std::filesystem::path& path, std::int64_t size_bytes,
                       FileAllocation allocation) {
  void* p = ::mmap(nullptr, static_cast<std::size_t>(size_bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    ::close(fd);
    throw IoError("mmap " + errno_message(path, e));
  }
  // A fault in a mostly empty (sparse) consume-queue file would read around it: the kernel zero-fills a
  // large readahead window of holes for every new queue's first entry, which dominated the cost of
  // auto-creating topics. Fault only the page touched; an advice that fails costs only speed.
  if (allocation == FileAllocation::kOnWrite) (void)::madvise(p, static_cast<std::size_t>(size_bytes), MADV_RANDOM);
  return static_cast<std::uint8_t*>(p);
}

}  // namespace

WritableMappedFile::WritableMappedFile(std::filesystem::path path, std::int64_t start_offset,
                                       std::int64_t size_bytes, int fd, std::uint8_t* data,
                                       FileAllocation allocation)
    : path_(std::move(path)),
      start_offset_(start_offset),
      size_bytes_(size_bytes),
      fd_(fd),
      data_(data),
      allocation_(allocation) {}

std::unique_ptr<WritableMappedFile> WritableMappedFile::create(const std::filesystem::path& path,
                                                               std::int64_t start_offset,
                                                               std::int64_t size_bytes, FileAllocation allocation) {
  if (size_bytes <= 0) throw std::invalid_argument("file size must be positive for " + path.string());
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("open " + errno_message(path, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw IoError("fstat " + errno_message(path, e));
  }
  bool allocated = false;
  if (st.st_size != size_bytes) {
    // A new (or wrongly sized) file. On failure a file we created is removed again, so the next load does not
    // find a file of the wrong size.
    const bool fresh = st.st_size == 0;
    auto fail = [&](const std::string& what, int e) {
      ::close(fd);
      if (fresh) ::unlink(path.c_str());
      throw IoError(what + " " + errno_message(path, e));
    };
    try {
      call_hook(MappedFileOp::kCreate, path, 0, size_bytes);
    } catch (...) {
      ::close(fd);
      if (fresh) ::unlink(path.c_str());
      throw;
    }
    if (allocation == FileAllocation::kWhole) {
      const int e = allocate(fd, 0, size_bytes);
      if (e == 0) {
        allocated = true;
      } else if (!unsupported(e)) {
        fail("fallocate " + std::to_string(size_bytes) + " bytes for", e);
      }
    }
    if (st.st_size > size_bytes || !allocated) {
      if (::ftruncate(fd, size_bytes) != 0) fail("ftruncate", errno);
    }
  }
  std::uint8_t* data = map_file(fd, path, size_bytes, allocation);
  auto file = std::unique_ptr<WritableMappedFile>(
      new WritableMappedFile(path, start_offset, size_bytes, fd, data, allocation));
  if (allocated) file->reserved_to_ = size_bytes;
  return file;
}

std::unique_ptr<WritableMappedFile> WritableMappedFile::open_existing(const std::filesystem::path& path,
                                                                      std::int64_t start_offset,
                                                                      std::int64_t size_bytes,
                                                                      FileAllocation allocation) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw IoError("open " + errno_message(path, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw IoError("fstat " + errno_message(path, e));
  }
  if (st.st_size != size_bytes) {
    ::close(fd);
    throw std::runtime_error(path.string() + ": size " + std::to_string(st.st_size) +
                             " bytes differs from the configured mapped file size " + std::to_string(size_bytes));
  }
  std::uint8_t* data = map_file(fd, path, size_bytes, allocation);
  return std::unique_ptr<WritableMappedFile>(
      new WritableMappedFile(path, start_offset, size_bytes, fd, data, allocation));
}

WritableMappedFile::~WritableMappedFile() {
  if (data_ != nullptr) ::munmap(data_, static_cast<std::size_t>(size_bytes_));
  if (fd_ >= 0) ::close(fd_);
}

void WritableMappedFile::ensure_allocated(std::int64_t from, std::int64_t to) {
  if (fd_ < 0) return;
  if (allocation_ == FileAllocation::kWhole) {
    from = 0;
    to = size_bytes_;
  } else {
    from = std::max<std::int64_t>(0, from - from % kAllocationChunkBytes);
    to = std::min(size_bytes_, (to + kAllocationChunkBytes - 1) / kAllocationChunkBytes * kAllocationChunkBytes);
  }
  if (to <= from || (from >= reserved_from_ && to <= reserved_to_)) return;
  const int e = allocate(fd_, from, to);
  if (e != 0 && !unsupported(e)) {
    throw IoError("fallocate " + std::to_string(to - from) + " bytes at " + std::to_string(from) + " of " +
                  errno_message(path_, e));
  }
  // Writes move forward, so one range is enough: grow it when the new one touches it, else start over.
  if (reserved_to_ > reserved_from_ && from <= reserved_to_ && to >= reserved_from_) {
    reserved_from_ = std::min(reserved_from_, from);
    reserved_to_ = std::max(reserved_to_, to);
  } else {
    reserved_from_ = from;
    reserved_to_ = to;
  }
}

void WritableMappedFile::write(std::int64_t position, common::ByteSpan bytes) {
  if (position < 0 || position > size_bytes_ || static_cast<std::int64_t>(bytes.size()) > size_bytes_ - position) {
    throw std::out_of_range(path_.string() + ": write of " + std::to_string(bytes.size()) + " bytes at " +
                            std::to_string(position) + " runs past the file size " + std::to_string(size_bytes_));
  }
  if (bytes.empty()) return;
  ensure_allocated(position, position + static_cast<std::int64_t>(bytes.size()));
  std::memcpy(data_ + position, bytes.data(), bytes.size());
}

void WritableMappedFile::sync_range(std::int64_t from, std::int64_t to) {
  if (data_ == nullptr) return;
  from = std::max<std::int64_t>(0, from);
  to = std::min(to, size_bytes_);
  if (to <= from) return;
  const std::int64_t aligned = from - from % kPageSize;
  call_hook(MappedFileOp::kSync, path_, from, to);
  if (::msync(data_ + aligned, static_cast<std::size_t>(to - aligned), MS_SYNC) != 0) {
    throw IoError("msync " + errno_message(path_, errno));
  }
}

void WritableMappedFile::zero_tail(std::int64_t from) {
  if (from < 0 || from >= size_bytes_ || data_ == nullptr) return;
  // Only the part before the next page boundary is written by hand (reserved first, so zeroing never stores
  // into a hole); whole pages are punched out or zeroed by the file system.
  const std::int64_t page_end = std::min(size_bytes_, (from + kPageSize - 1) / kPageSize * kPageSize);
  ensure_allocated(from, page_end);
  std::memset(data_ + from, 0, static_cast<std::size_t>(page_end - from));
  if (page_end >= size_bytes_) return;
  const std::int64_t length = size_bytes_ - page_end;
  // Punching a hole frees the blocks (the file must be reserved again before the next write there);
  // zeroing a range keeps them reserved but allocates blocks for any hole in it. A sparse (kOnWrite) file
  // punches first, so a recovery never allocates the unused rest of a consume-queue file; a kWhole file
  // zeroes first, so it keeps its reservation.
  const bool punch_first = allocation_ == FileAllocation::kOnWrite;
  auto punch = [&] {
    if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, page_end, length) != 0) return false;
    reserved_to_ = std::min(reserved_to_, page_end);
    if (reserved_to_ <= reserved_from_) reserved_from_ = reserved_to_ = 0;
    return true;
  };
  auto zero = [&] { return ::fallocate(fd_, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, page_end, length) == 0; };
  if (punch_first ? (punch() || zero()) : (zero() || punch())) return;
  ensure_allocated(page_end, size_bytes_);
  std::memset(data_ + page_end, 0, static_cast<std::size_t>(length));
}

void WritableMappedFile::destroy() {
  if (data_ != nullptr) ::munmap(data_, static_cast<std::size_t>(size_bytes_));
  data_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) throw IoError("remove " + path_.string() + ": " + ec.message());
}

void sync_directory(const std::filesystem::path& dir) {
  call_hook(MappedFileOp::kDirSync, dir, 0, 0);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError("open directory " + errno_message(dir, errno));
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    throw IoError("fsync directory " + errno_message(dir, e));
  }
  ::close(fd);
}

void set_mapped_file_op_hook_for_testing(MappedFileOpHook hook) {
  std::lock_guard lock(g_hook_mutex);
  g_hook = hook ? std::make_shared<const MappedFileOpHook>(std::move(hook)) : nullptr;
  g_hook_set.store(g_hook != nullptr, std::memory_order_release);
}

}  // namespace rmq::store
