#include "ctl/pid_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <string>
#include <system_error>

namespace rmq::ctl {

namespace fs = std::filesystem;

void write_pid_file(const fs::path& path, int pid) {
  const fs::path tmp = path.string() + ".tmp";
  const std::string text = std::to_string(pid) + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + tmp.string());
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written) throw std::system_error(err, std::generic_category(), "write " + tmp.string());
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "rename " + tmp.string() + " to " + path.string());
  }
  // The directory entry: the rename is durable once the directory is synced.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::optional<int> read_pid_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line, '\n');
  if (line.size() > 12) return std::nullopt;  // no pid has more digits than this
  int pid = 0;
  auto [ptr, err] = std::from_chars(line.data(), line.data() + line.size(), pid);
  if (err != std::errc() || ptr != line.data() + line.size() || pid <= 1) return std::nullopt;
  return pid;
}

void remove_pid_file_if(const fs::path& path, int pid) {
  if (read_pid_file(path) == pid) {
    std::error_code ec;
    fs::remove(path, ec);
  }
}

}  // namespace rmq::ctl
