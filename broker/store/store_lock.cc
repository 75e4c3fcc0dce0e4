#include "broker/store/store_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "broker/common/io_error.h"

namespace rmq::store {

using common::errno_message;
using common::IoError;

StoreLock::StoreLock(const std::filesystem::path& root) {
  const auto path = root / "lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError("open " + errno_message(path, errno));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 1;
  if (::fcntl(fd_, F_OFD_SETLK, &lock) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (e == EAGAIN || e == EACCES) {
      throw std::runtime_error("store " + root.string() + " is locked by another process (MQ already started)");
    }
    throw IoError("lock " + errno_message(path, e));
  }
  if (::pwrite(fd_, "lock", 4, 0) != 4 || ::fdatasync(fd_) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError("write " + errno_message(path, e));
  }
}

StoreLock::~StoreLock() { release(); }

void StoreLock::release() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor of the description drops the OFD lock
  fd_ = -1;
}

bool abort_file_exists(const std::filesystem::path& root) {
  std::error_code ec;
  return std::filesystem::exists(root / "abort", ec);
}

void create_abort_file(const std::filesystem::path& root) {
  const auto path = root / "abort";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("create " + errno_message(path, errno));
  ::close(fd);
  const int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void remove_abort_file(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::remove(root / "abort", ec);
  if (ec) throw IoError("remove " + (root / "abort").string() + ": " + ec.message());
}

}  // namespace rmq::store
