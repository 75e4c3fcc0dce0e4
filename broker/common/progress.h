// A one-line progress display ("hashing  1.2 GiB / 4.0 GiB  640 MB/s  ETA 5s") for long hashing or copying.
//
// Drawn on stderr only when stderr is a terminal, so scripts and -o json consumers never see it. Workers
// advance an atomic byte counter; a background thread redraws the line every 200 ms and clears it on stop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace rmq::common {

class ProgressLine {
 public:
  // total_bytes may be 0 when unknown (no ETA then). Draws nothing unless `enabled`.
  ProgressLine(std::string label, std::uint64_t total_bytes, bool enabled);
  ~ProgressLine();  // stops and clears the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  std::atomic<std::uint64_t>& counter() { return done_bytes_; }
  void stop();

  // True when stderr is a terminal: the default for `enabled`.
  static bool stderr_is_terminal();

 private:
  void run();
  void draw(double elapsed_s);

  std::string label_;
  std::uint64_t total_bytes_;
  bool enabled_;
  std::atomic<std::uint64_t> done_bytes_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// "1.5 GiB", "512 KiB", "17 B".
std::string human_bytes(double bytes);

}  // namespace rmq::common
