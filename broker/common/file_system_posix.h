// FileSystem over POSIX calls: pread/pwrite, fdatasync for files, fsync on an O_RDONLY descriptor for
// directories, rename(2) for atomic replacement. Stateless apart from the descriptors its Files own, so one
// instance can serve any number of stores. Every call retries EINTR and loops over short transfers.
#pragma once

#include "broker/common/file_system.h"

namespace rmq::common {

class PosixFileSystem final : public FileSystem {
 public:
  std::unique_ptr<File> open(const std::filesystem::path& path, OpenMode mode) override;
  bool exists(const std::filesystem::path& path) override;
  bool is_directory(const std::filesystem::path& path) override;
  std::vector<std::string> list_dir(const std::filesystem::path& dir) override;
  bool create_dir(const std::filesystem::path& dir) override;
  void sync_dir(const std::filesystem::path& dir) override;
  void rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  void remove_file(const std::filesystem::path& path) override;
  std::uint64_t file_size(const std::filesystem::path& path) override;
};

}  // namespace rmq::common
