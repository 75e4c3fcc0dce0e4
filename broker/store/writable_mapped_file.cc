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

// Reserves [0, size_bytes). Returns 0, or the errno; EOPNOTSUPP/ENOSYS mean the file system cannot.
int allocate(int fd, std::int64_t size_bytes) {
  int rc = 0;
  do {
    rc = ::fallocate(fd, 0, 0, size_bytes);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

bool unsupported(int e) { return e == EOPNOTSUPP || e == ENOSYS; }

std::uint8_t* map_file(int fd, const std::filesystem::path& path, std::int64_t size_bytes) {
  void* p = ::mmap(nullptr, static_cast<std::size_t>(size_bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    ::close(fd);
    throw IoError("mmap " + errno_message(path, e));
  }
  return static_cast<std::uint8_t*>(p);
}

}  // namespace

WritableMappedFile::WritableMappedFile(std::filesystem::path path, std::int64_t start_offset,
                                       std::int64_t size_bytes, int fd, std::uint8_t* data)
    : path_(std::move(path)), start_offset_(start_offset), size_bytes_(size_bytes), fd_(fd), data_(data) {}

std::unique_ptr<WritableMappedFile> WritableMappedFile::create(const std::filesystem::path& path,
                                                               std::int64_t start_offset,
                                                               std::int64_t size_bytes) {
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
    const int e = allocate(fd, size_bytes);
    if (e == 0) {
      allocated = true;
    } else if (!unsupported(e)) {
      fail("fallocate " + std::to_string(size_bytes) + " bytes for", e);
    }
    if (st.st_size > size_bytes || !allocated) {
      if (::ftruncate(fd, size_bytes) != 0) fail("ftruncate", errno);
    }
  }
  std::uint8_t* data = map_file(fd, path, size_bytes);
  auto file = std::unique_ptr<WritableMappedFile>(new WritableMappedFile(path, start_offset, size_bytes, fd, data));
  file->allocated_ = allocated;
  return file;
}

std::unique_ptr<WritableMappedFile> WritableMappedFile::open_existing(const std::filesystem::path& path,
                                                                      std::int64_t start_offset,
                                                                      std::int64_t size_bytes) {
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
  std::uint8_t* data = map_file(fd, path, size_bytes);
  return std::unique_ptr<WritableMappedFile>(new WritableMappedFile(path, start_offset, size_bytes, fd, data));
}

WritableMappedFile::~WritableMappedFile() {
  if (data_ != nullptr) ::munmap(data_, static_cast<std::size_t>(size_bytes_));
  if (fd_ >= 0) ::close(fd_);
}

void WritableMappedFile::ensure_allocated() {
  if (allocated_ || fd_ < 0) return;
  const int e = allocate(fd_, size_bytes_);
  if (e != 0 && !unsupported(e)) throw IoError("fallocate " + errno_message(path_, e));
  allocated_ = true;
}

void WritableMappedFile::write(std::int64_t position, common::ByteSpan bytes) {
  if (position < 0 || position > size_bytes_ || static_cast<std::int64_t>(bytes.size()) > size_bytes_ - position) {
    throw std::out_of_range(path_.string() + ": write of " + std::to_string(bytes.size()) + " bytes at " +
                            std::to_string(position) + " runs past the file size " + std::to_string(size_bytes_));
  }
  if (bytes.empty()) return;
  ensure_allocated();
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
  // Only the part before the next page boundary is written by hand; whole pages are punched out, which
  // frees their blocks and costs nothing on a sparse tail.
  const std::int64_t page_end = std::min(size_bytes_, (from + kPageSize - 1) / kPageSize * kPageSize);
  std::memset(data_ + from, 0, static_cast<std::size_t>(page_end - from));
  if (page_end >= size_bytes_) return;
  // Zeroing a range keeps its blocks reserved (no SIGBUS on a later write into it); punching a hole frees
  // them, so the file must be allocated again before the next write.
  if (::fallocate(fd_, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, page_end, size_bytes_ - page_end) == 0) return;
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, page_end, size_bytes_ - page_end) == 0) {
    allocated_ = false;
    return;
  }
  ensure_allocated();
  std::memset(data_ + page_end, 0, static_cast<std::size_t>(size_bytes_ - page_end));
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
