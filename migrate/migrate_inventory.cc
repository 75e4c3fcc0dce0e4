#include "migrate/migrate_inventory.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "broker/common/mapped_file.h"

namespace rmq::migrate {

namespace fs = std::filesystem;
using common::IoError;

namespace {

InventoryItem stat_item(ItemKind kind, const std::string& rel_path, const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw IoError(common::errno_message(path, errno));
  if (st.st_size < 0) throw IoError(path.string() + ": negative size");
  InventoryItem item;
  item.kind = kind;
  item.rel_path = rel_path;
  item.source_path = path;
  item.size_bytes = static_cast<std::uint64_t>(st.st_size);
  item.allocated_bytes = static_cast<std::uint64_t>(st.st_blocks) * 512;
  item.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return item;
}

// Regular files under `dir`, recursively, as paths relative to `dir` with '/' separators, sorted.
// Symlinks and other non-regular entries are reported in `left_behind`.
std::vector<std::string> regular_files_under(const fs::path& dir, const std::string& prefix,
                                             std::vector<std::string>& left_behind) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  if (!fs::is_directory(dir, ec)) {
    left_behind.push_back(prefix + ": not a directory");
    return out;
  }
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) throw IoError(dir.string() + ": " + ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) throw IoError(dir.string() + ": " + ec.message());
    const auto status = it->symlink_status(ec);
    if (ec) throw IoError(it->path().string() + ": " + ec.message());
    const std::string rel = prefix + "/" + it->path().lexically_relative(dir).generic_string();
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status)) {
      left_behind.push_back(rel + ": not a regular file");
      continue;
    }
    out.push_back(rel);
  }
  if (ec) throw IoError(dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* to_string(ItemKind kind) {
  switch (kind) {
    case ItemKind::kCommitlog: return "commitlog";
    case ItemKind::kConfig: return "config";
    case ItemKind::kConsumeQueue: return "consumequeue";
  }
  return "?";
}

std::uint64_t Inventory::total_bytes() const {
  std::uint64_t total = 0;
  for (const auto& i : items) total += i.size_bytes;
  return total;
}

std::uint64_t Inventory::total_allocated_bytes() const {
  std::uint64_t total = 0;
  for (const auto& i : items) total += std::min(i.allocated_bytes, i.size_bytes);
  return total;
}

std::size_t Inventory::count(ItemKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(items.begin(), items.end(), [kind](const InventoryItem& i) { return i.kind == kind; }));
}

Inventory take_inventory(const StoreLocation& source, std::uint64_t commitlog_file_size_bytes) {
  Inventory inv;
  std::error_code ec;
  if (!fs::is_directory(source.commitlog_dir, ec)) {
    throw IoError(source.commitlog_dir.string() + ": the commitlog directory does not exist");
  }
  inv.commitlog = store::list_commitlog_files(source.commitlog_dir, commitlog_file_size_bytes);
  for (const auto& f : inv.commitlog.files) {
    inv.items.push_back(stat_item(ItemKind::kCommitlog, "commitlog/" + f.name, f.path));
  }
  for (const auto& p : inv.commitlog.problems) {
    if (p.kind == store::problem_kind::kStrayFile) inv.left_behind.push_back("commitlog: " + p.detail);
  }
  for (const auto& rel : regular_files_under(source.store_root / "config", "config", inv.left_behind)) {
    if (ends_with(rel, ".tmp")) {
      inv.left_behind.push_back(rel + ": an unfinished config write (*.tmp), not copied");
      continue;
    }
    inv.items.push_back(stat_item(ItemKind::kConfig, rel, source.store_root / rel));
  }
  for (const auto& rel : regular_files_under(source.store_root / "consumequeue", "consumequeue", inv.left_behind)) {
    inv.items.push_back(stat_item(ItemKind::kConsumeQueue, rel, source.store_root / rel));
  }
  return inv;
}

nlohmann::json inventory_json(const Inventory& inventory) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : inventory.items) {
    items.push_back({{"path", i.rel_path}, {"size", i.size_bytes}, {"mtime_ns", i.mtime_ns}});
  }
  return items;
}

std::vector<std::string> inventory_differences(const nlohmann::json& recorded, const nlohmann::json& current,
                                               std::size_t limit) {
  auto index = [](const nlohmann::json& items) {
    std::map<std::string, std::pair<std::uint64_t, std::int64_t>> m;
    if (!items.is_array()) return m;
    for (const auto& i : items) {
      if (!i.is_object() || !i.contains("path") || !i["path"].is_string()) continue;
      m[i["path"].get<std::string>()] = {i.value("size", std::uint64_t{0}), i.value("mtime_ns", std::int64_t{0})};
    }
    return m;
  };
  const auto before = index(recorded);
  const auto now = index(current);
  std::vector<std::string> diffs;
  for (const auto& [path, v] : before) {
    if (diffs.size() >= limit) return diffs;
    const auto it = now.find(path);
    if (it == now.end()) {
      diffs.push_back(path + ": gone from the source");
    } else if (it->second.first != v.first) {
      diffs.push_back(path + ": " + std::to_string(v.first) + " bytes then, " + std::to_string(it->second.first) +
                      " now");
    } else if (it->second.second != v.second) {
      diffs.push_back(path + ": modified since copying began");
    }
  }
  for (const auto& [path, v] : now) {
    if (diffs.size() >= limit) return diffs;
    if (before.count(path) == 0) diffs.push_back(path + ": new in the source");
  }
  return diffs;
}

}  // namespace rmq::migrate
