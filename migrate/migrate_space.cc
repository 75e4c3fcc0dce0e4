#include "migrate/migrate_space.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <map>
#include <system_error>

#include "broker/common/mapped_file.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

fs::path nearest_existing_ancestor(const fs::path& path) {
  fs::path p = path;
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return p.empty() ? fs::path(".") : p;
}

std::uint64_t space_margin_bytes(std::uint64_t bytes_to_write, std::uint64_t commitlog_file_size_bytes) {
  return commitlog_file_size_bytes + bytes_to_write / 100;
}

std::vector<SpaceShortfall> check_free_space(const std::vector<SpaceDemand>& demands) {
  struct Device {
    fs::path hint;
    std::vector<std::string> nodes;
    std::uint64_t needed = 0;
    std::uint64_t available = 0;
  };
  std::map<dev_t, Device> devices;
  for (const auto& d : demands) {
    const fs::path existing = nearest_existing_ancestor(d.target);
    struct stat st {};
    if (::stat(existing.c_str(), &st) != 0) throw common::IoError(common::errno_message(existing, errno));
    struct statvfs vfs {};
    if (::statvfs(existing.c_str(), &vfs) != 0) throw common::IoError(common::errno_message(existing, errno));
    Device& dev = devices[st.st_dev];
    if (dev.hint.empty()) dev.hint = existing;
    dev.nodes.push_back(d.node_id);
    dev.needed += d.bytes_to_write + d.margin_bytes;
    dev.available = static_cast<std::uint64_t>(vfs.f_bavail) * static_cast<std::uint64_t>(vfs.f_frsize);
  }
  std::vector<SpaceShortfall> shortfalls;
  for (const auto& [id, dev] : devices) {
    if (dev.needed > dev.available) shortfalls.push_back({dev.hint, dev.nodes, dev.needed, dev.available});
  }
  return shortfalls;
}

}  // namespace rmq::migrate
