#include "broker/common/file_system_posix.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

namespace rmq::common {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& path, int error_number) {
  throw IoError(what + " " + errno_message(path, error_number));
}

off_t to_off_t(std::uint64_t offset_bytes, const std::filesystem::path& path) {
  if (offset_bytes > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
    throw IoError(path.string() + ": offset " + std::to_string(offset_bytes) + " out of range");
  }
  return static_cast<off_t>(offset_bytes);
}

class PosixFile final : public File {
 public:
  PosixFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  std::size_t read_at(std::uint64_t offset_bytes, std::span<std::uint8_t> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, to_off_t(offset_bytes + done, path_));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("pread", path_, errno);
      }
      if (n == 0) break;  // end of file
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  void write_at(std::uint64_t offset_bytes, ByteSpan data) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, to_off_t(offset_bytes + done, path_));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("pwrite", path_, errno);
      }
      done += static_cast<std::size_t>(n);
    }
  }

  void append(ByteSpan data) override { write_at(size_bytes(), data); }

  void truncate(std::uint64_t size_bytes) override {
    while (::ftruncate(fd_, to_off_t(size_bytes, path_)) != 0) {
      if (errno != EINTR) throw_errno("ftruncate", path_, errno);
    }
  }

  std::uint64_t size_bytes() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw_errno("fstat", path_, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

  void sync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) throw_errno("fdatasync", path_, errno);
    }
  }

  const std::filesystem::path& path() const override { return path_; }

 private:
  std::filesystem::path path_;
  int fd_;
};

}  // namespace

std::unique_ptr<File> PosixFileSystem::open(const std::filesystem::path& path, OpenMode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kRead: flags |= O_RDONLY; break;
    case OpenMode::kReadWrite: flags |= O_RDWR; break;
    case OpenMode::kCreate: flags |= O_RDWR | O_CREAT; break;
    case OpenMode::kCreateTruncate: flags |= O_RDWR | O_CREAT | O_TRUNC; break;
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno("open", path, errno);
  return std::make_unique<PosixFile>(path, fd);
}

bool PosixFileSystem::exists(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_errno("stat", path, errno);
}

bool PosixFileSystem::is_directory(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_errno("stat", path, errno);
}

std::vector<std::string> PosixFileSystem::list_dir(const std::filesystem::path& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) throw_errno("opendir", dir, errno);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) throw_errno("readdir", dir, err);
  std::sort(names.begin(), names.end());
  return names;
}

bool PosixFileSystem::create_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return true;
  if (errno == EEXIST && is_directory(dir)) return false;
  throw_errno("mkdir", dir, errno);
}

void PosixFileSystem::sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("open directory", dir, errno);
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_errno("fsync directory", dir, err);
}

void PosixFileSystem::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw IoError("rename " + from.string() + " to " + errno_message(to, errno));
  }
}

void PosixFileSystem::remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) throw_errno("unlink", path, errno);
}

std::uint64_t PosixFileSystem::file_size(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("stat", path, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace rmq::common
