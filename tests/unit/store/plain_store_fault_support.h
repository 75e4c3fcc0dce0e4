// Test helper: installs a WritableMappedFile operation hook for the lifetime of the object, and a gate a hook
// can block on (a hung msync) until the test opens it.
#pragma once
#include <condition_variable>
#include <mutex>

#include "broker/store/writable_mapped_file.h"

namespace rmq::store::testing {

class ScopedOpHook {
 public:
  explicit ScopedOpHook(MappedFileOpHook hook) { set_mapped_file_op_hook_for_testing(std::move(hook)); }
  ~ScopedOpHook() { set_mapped_file_op_hook_for_testing({}); }
  ScopedOpHook(const ScopedOpHook&) = delete;
  ScopedOpHook& operator=(const ScopedOpHook&) = delete;
};

// entered(): a hook reached the gate; open(): let every waiter (and later arrival) pass.
class Gate {
 public:
  void wait_here() {
    std::unique_lock lock(mutex_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  bool wait_entered_ms(int timeout_ms) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return entered_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

inline bool is_under(const std::filesystem::path& path, const std::filesystem::path& dir) {
  const std::string p = path.string();
  const std::string d = dir.string();
  return p.size() > d.size() && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/';
}

}  // namespace rmq::store::testing
