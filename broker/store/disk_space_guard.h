// The disk reserve (upstream's diskSpaceWarningLevelRatio): when the file system holding the store is used
// above this percentage, the store takes no more messages (puts answer kServiceNotAvailable, which the broker
// sends as 14 with upstream's "the broker's disk is full" remark), creates no new commitlog file, and the
// broker creates no new topic. Reads, pulls and offset commits go on, so consumers can drain the broker.
//
// Why a reserve and not just ENOSPC: at ENOSPC everything that needs a block fails at once (config files,
// consume queues, the checkpoint), and a client that creates queues or topics can take the disk from the
// operator. The reserve keeps the last (100 - ratio)% for what is already there.
//
// Used space is counted like upstream (java.io.File: (total - free) / total, free including the blocks kept
// for root). The figure is cached for kRefreshMs on the put path (one statvfs per 100 ms, not per message);
// a new file is always checked against a fresh figure, counting the file's own size.
//
// Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/common/io_error.h"

namespace rmq::store {

// Thrown when a new store file would take the disk past the reserve. Nothing was written.
class DiskReserveError : public common::IoError {
 public:
  using common::IoError::IoError;
};

struct DiskUsage {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;  // free blocks, the root-reserved ones included (statvfs f_bfree)
};
// statvfs of `path`; nullopt when it cannot be read (then nothing is refused).
using DiskUsageProbe = std::function<std::optional<DiskUsage>(const std::filesystem::path& path)>;
std::optional<DiskUsage> statvfs_usage(const std::filesystem::path& path);

class DiskSpaceGuard {
 public:
  static constexpr std::int64_t kRefreshMs = 100;

  // `paths`: the store root and the commitlog directory (they may be on different file systems).
  // `warning_level_percent` in [1, 100]; 100 refuses only a completely full disk.
  DiskSpaceGuard(std::vector<std::filesystem::path> paths, std::int32_t warning_level_percent,
                 DiskUsageProbe probe = statvfs_usage);

  // nullopt while there is room; else one line naming the path, its use and the limit (cached figure).
  std::optional<std::string> problem();
  // The same from a fresh figure, counting `new_file_bytes` more as used.
  std::optional<std::string> problem_now(std::int64_t new_file_bytes = 0);
  // Throws DiskReserveError naming `file` when creating it (size_bytes) would pass the reserve.
  void check_new_file(const std::filesystem::path& file, std::int64_t size_bytes);

  std::int32_t warning_level_percent() const { return warning_level_percent_; }

 private:
  std::optional<std::string> evaluate(std::int64_t extra_bytes) const;

  const std::vector<std::filesystem::path> paths_;
  const std::int32_t warning_level_percent_;
  const DiskUsageProbe probe_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point checked_at_{};
  bool checked_ = false;
  std::optional<std::string> cached_;
};

}  // namespace rmq::store
