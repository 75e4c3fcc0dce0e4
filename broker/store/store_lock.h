// {root}/lock and {root}/abort (storage.md 2.6): one running store per directory, and a marker that tells
// the next start whether the last exit was clean.
//
// The lock is an open-file-description lock (F_OFD_SETLK) on byte 0 of `lock`: it conflicts with the Java
// broker's FileChannel.tryLock (a POSIX record lock) and, unlike a classic POSIX lock, also with a second
// open of the same store inside this process. The kernel drops it when the process dies, so a crash never
// leaves a store locked. `abort` is created at open and removed only by a clean shutdown.
#pragma once
#include <filesystem>

namespace rmq::store {

class StoreLock {
 public:
  // Locks {root}/lock and writes "lock". Throws std::runtime_error "store <root> is locked by another
  // process (MQ already started)" when it is held, IoError on other failures.
  explicit StoreLock(const std::filesystem::path& root);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  void release();

 private:
  int fd_ = -1;
};

// True when {root}/abort exists (the last run did not shut down cleanly).
bool abort_file_exists(const std::filesystem::path& root);
// Creates {root}/abort (empty) and syncs the directory entry. Throws IoError.
void create_abort_file(const std::filesystem::path& root);
// Removes {root}/abort. Throws IoError.
void remove_abort_file(const std::filesystem::path& root);

}  // namespace rmq::store
