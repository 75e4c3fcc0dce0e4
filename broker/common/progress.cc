#include "broker/common/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace rmq::common {

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buf;
}

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(std::string label, std::uint64_t total_bytes, bool enabled)
    : label_(std::move(label)), total_bytes_(total_bytes), enabled_(enabled) {
  if (enabled_) thread_ = std::thread([this] { run(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void ProgressLine::run() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) {
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    draw(elapsed_s);
  }
}

void ProgressLine::draw(double elapsed_s) {
  const double done = static_cast<double>(done_bytes_.load());
  const double rate = elapsed_s > 0 ? done / elapsed_s : 0;
  std::string line = "\r\033[K" + label_ + "  " + human_bytes(done);
  if (total_bytes_ > 0) line += " / " + human_bytes(static_cast<double>(total_bytes_));
  char buf[64];
  std::snprintf(buf, sizeof buf, "  %.0f MB/s", rate / 1e6);
  line += buf;
  if (total_bytes_ > 0 && rate > 0) {
    const double left_s = (static_cast<double>(total_bytes_) - done) / rate;
    std::snprintf(buf, sizeof buf, "  ETA %.0fs", left_s > 0 ? left_s : 0.0);
    line += buf;
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace rmq::common
