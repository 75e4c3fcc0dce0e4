// Which processes hold a lock on a file: how the stop phase finds a broker by its store rather than by its
// command line (a broker started under another name, a wrapper, a container's process).
//
// The broker's store `lock` file (storage.md 2.6) is locked with Java's FileChannel.tryLock, a POSIX record
// lock (fcntl F_SETLK); other tools may use flock(2) or an open-file-description lock. The kernel lists all of
// them in /proc/locks as
//     "1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
//     "2: -> POSIX  ADVISORY  WRITE 1240 fd:01:5678 0 EOF"    (a waiter, not a holder)
//     "3: OFDLCK ADVISORY  READ  -1 08:01:99 0 EOF"          (no owning pid)
// with the device as hex major:minor and the inode in decimal. The pid of an flock or OFD lock is not always
// the holder (it may have exited, leaving the lock with a child that inherited the descriptor), so a lock on
// the inode is confirmed by looking for the processes that have the file open (/proc/PID/fd).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::ctl {

struct FileLockEntry {
  std::string type;             // POSIX, FLOCK, OFDLCK, LEASE, ...
  int pid = -1;                 // -1 when the kernel names none (OFD locks)
  unsigned device_major = 0;
  unsigned device_minor = 0;
  std::uint64_t inode = 0;
};

// Parses /proc/locks text. Waiting requests ("->") and malformed lines are skipped.
std::vector<FileLockEntry> parse_proc_locks(std::string_view text);

// The pids that hold a lock on `path` (a regular file): pids named by a matching /proc/locks entry that
// still exist, plus every process that has the file open while some lock on it exists. Empty when the file
// does not exist or nothing locks it. Excludes the calling process.
std::vector<int> lock_holders(const std::filesystem::path& proc_root, const std::filesystem::path& path);

}  // namespace rmq::ctl
