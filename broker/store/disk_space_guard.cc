// The disk reserve (see disk_space_guard.h).
#include "broker/store/disk_space_guard.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <stdexcept>

namespace rmq::store {

std::optional<DiskUsage> statvfs_usage(const std::filesystem::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  const std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  DiskUsage usage;
  usage.total_bytes = static_cast<std::uint64_t>(st.f_blocks) * unit;
  usage.free_bytes = static_cast<std::uint64_t>(st.f_bfree) * unit;
  return usage;
}

DiskSpaceGuard::DiskSpaceGuard(std::vector<std::filesystem::path> paths, std::int32_t warning_level_percent,
                               DiskUsageProbe probe)
    : paths_(std::move(paths)), warning_level_percent_(warning_level_percent), probe_(std::move(probe)) {
  if (warning_level_percent_ < 1 || warning_level_percent_ > 100) {
    throw std::invalid_argument("diskSpaceWarningLevelRatio " + std::to_string(warning_level_percent_) +
                                " is not within 1..100");
  }
}

std::optional<std::string> DiskSpaceGuard::evaluate(std::int64_t extra_bytes) const {
  for (const auto& path : paths_) {
    const auto usage = probe_(path);
    if (!usage || usage->total_bytes == 0) continue;
    const std::uint64_t free = usage->free_bytes > usage->total_bytes ? usage->total_bytes : usage->free_bytes;
    const std::uint64_t used = usage->total_bytes - free + static_cast<std::uint64_t>(std::max<std::int64_t>(0, extra_bytes));
    // used / total > level / 100, without floating point; at 100 only a disk with no free byte is refused.
    const bool over = warning_level_percent_ >= 100
                          ? used >= usage->total_bytes
                          : used * 100 > usage->total_bytes * static_cast<std::uint64_t>(warning_level_percent_);
    if (over) {
      const std::uint64_t percent = used >= usage->total_bytes ? 100 : used * 100 / usage->total_bytes;
      return "disk full: " + path.string() + " would be " + std::to_string(percent) + "% used (" +
             std::to_string(used) + " of " + std::to_string(usage->total_bytes) +
             " bytes), above diskSpaceWarningLevelRatio=" + std::to_string(warning_level_percent_);
    }
  }
  return std::nullopt;
}

std::optional<std::string> DiskSpaceGuard::problem() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (!checked_ || now - checked_at_ >= std::chrono::milliseconds(kRefreshMs)) {
    cached_ = evaluate(0);
    checked_at_ = now;
    checked_ = true;
  }
  return cached_;
}

std::optional<std::string> DiskSpaceGuard::problem_now(std::int64_t new_file_bytes) {
  auto found = evaluate(new_file_bytes);
  if (new_file_bytes == 0) {
    std::lock_guard lock(mutex_);
    cached_ = found;
    checked_at_ = std::chrono::steady_clock::now();
    checked_ = true;
  }
  return found;
}

void DiskSpaceGuard::check_new_file(const std::filesystem::path& file, std::int64_t size_bytes) {
  if (auto found = problem_now(size_bytes)) throw DiskReserveError("not creating " + file.string() + ": " + *found);
}

}  // namespace rmq::store
