// The code-14 remark (see service_not_available.h).
#include "broker/server/service_not_available.h"

#include <sys/statvfs.h>

#include <cstdio>
#include <filesystem>

namespace rmq::server {

double disk_partition_used_ratio(const std::string& path) {
  if (path.empty()) return -1;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return -1;
  struct statvfs info {};
  if (::statvfs(path.c_str(), &info) != 0) return -1;
  const double total = static_cast<double>(info.f_blocks) * static_cast<double>(info.f_frsize);
  if (total <= 0) return -1;
  const double free_bytes = static_cast<double>(info.f_bfree) * static_cast<double>(info.f_frsize);
  return (total - free_bytes) / total;
}

std::string disk_util_text(const BrokerConfig& config) {
  const std::filesystem::path root(config.store_path_root_dir);
  const std::string commitlog =
      config.store_path_commit_log.empty() ? (root / "commitlog").string() : config.store_path_commit_log;
  char text[96];
  std::snprintf(text, sizeof text, "CL: %5.2f CQ: %5.2f INDEX: %5.2f", disk_partition_used_ratio(commitlog),
                disk_partition_used_ratio((root / "consumequeue").string()),
                disk_partition_used_ratio((root / "index").string()));
  return text;
}

std::string service_not_available_remark(const BrokerConfig& config) {
  return "service not available now. It may be caused by one of the following reasons: the broker's disk is full [" +
         disk_util_text(config) + "], messages are put to the slave, message store has been shut down, etc.";
}

}  // namespace rmq::server
