#include "tools/bench/fsync_rate_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "tools/bench/latency_histogram.h"
#include "tools/bench/report.h"

namespace rmq::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Closes and unlinks the scratch file however the run ends.
class ScratchFile {
 public:
  explicit ScratchFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  }
  ~ScratchFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

int run_fsync_rate(const FsyncRateOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.dir, ec)) {
    std::cerr << "rmq-bench fsync-rate: --dir " << options.dir << " is not a directory\n";
    return 2;
  }
  ScratchFile file((std::filesystem::path(options.dir) / (".rmq-bench-fsync." + std::to_string(::getpid()))).string());
  if (file.fd() < 0) {
    std::cerr << "rmq-bench fsync-rate: cannot create " << file.path() << ": " << std::strerror(errno) << "\n";
    return 5;
  }
  const std::vector<char> block(options.write_bytes, 'f');
  LatencyHistogram latency;
  const Clock::time_point start = Clock::now();
  const auto deadline = start + std::chrono::microseconds(static_cast<std::int64_t>(options.duration_s * 1e6));
  std::uint64_t syncs = 0;
  Clock::time_point now = start;
  while (now < deadline) {
    const Clock::time_point before = now;
    std::size_t written = 0;
    while (written < block.size()) {
      const ssize_t n = ::write(file.fd(), block.data() + written, block.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::cerr << "rmq-bench fsync-rate: write " << file.path() << ": " << std::strerror(errno) << "\n";
        return 5;
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fdatasync(file.fd()) != 0) {
      std::cerr << "rmq-bench fsync-rate: fdatasync " << file.path() << ": " << std::strerror(errno) << "\n";
      return 5;
    }
    ++syncs;
    now = Clock::now();
    latency.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - before).count()));
  }
  const double seconds = std::max(1e-9, std::chrono::duration<double>(now - start).count());
  const double rate = static_cast<double>(syncs) / seconds;
  std::cout << "fsync-rate: " << syncs << " x (write " << options.write_bytes << " B + fdatasync) in "
            << format_fixed(seconds, 3) << " s in " << options.dir << "\n"
            << "rate: " << format_fixed(rate, 0) << " fsyncs/s\n"
            << "latency: " << format_percentiles(latency) << "\n"
            << "RESULT fsync-rate syncs=" << syncs << " seconds=" << format_fixed(seconds, 3)
            << " fsyncs_per_s=" << format_fixed(rate, 0) << " " << result_percentiles(latency) << std::endl;
  return 0;
}

}  // namespace rmq::bench
