#include "ctl/process_stop.h"

#include <signal.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace rmq::ctl {

StopOutcome terminate_and_wait(const std::filesystem::path& proc_root, const std::vector<ProcessInfo>& processes,
                               int timeout_ms, int poll_interval_ms) {
  assert(timeout_ms >= 0 && poll_interval_ms > 0);
  StopOutcome outcome;
  std::vector<ProcessInfo> waiting;
  for (const auto& p : processes) {
    if (!still_running(proc_root, p)) {
      outcome.exited.push_back(p);
      continue;
    }
    if (::kill(p.pid, SIGTERM) != 0) {
      const int err = errno;
      if (err == ESRCH) {
        outcome.exited.push_back(p);
      } else {
        outcome.errors.push_back("pid " + std::to_string(p.pid) + ": kill(SIGTERM): " + std::strerror(err));
        outcome.still_running.push_back(p);
      }
      continue;
    }
    waiting.push_back(p);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    std::vector<ProcessInfo> left;
    for (const auto& p : waiting) {
      if (still_running(proc_root, p)) {
        left.push_back(p);
      } else {
        outcome.exited.push_back(p);
      }
    }
    waiting = std::move(left);
    if (waiting.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_interval_ms));
  }
  outcome.still_running.insert(outcome.still_running.end(), waiting.begin(), waiting.end());
  outcome.waited_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace rmq::ctl
