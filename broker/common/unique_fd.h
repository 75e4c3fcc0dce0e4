// A file descriptor that is closed exactly once, when its owner goes out of scope.
//
// Store and migrate code opens files, maps or copies them, and may throw half-way; the descriptor must
// not leak on that path. close_checked() is for writers: close(2) can report a delayed write failure
// (NFS, some FUSE filesystems), which a silent destructor would lose.
#pragma once
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "broker/common/io_error.h"

namespace rmq::common {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }

  // Closes now; throws IoError naming `path` when close(2) reports an error other than EINTR.
  void close_checked(const std::filesystem::path& path) {
    const int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) throw IoError(errno_message(path, errno));
  }

 private:
  int fd_;
};

}  // namespace rmq::common
