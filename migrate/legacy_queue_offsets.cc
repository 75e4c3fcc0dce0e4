#include "migrate/legacy_queue_offsets.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace rmq::migrate {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kUnitBytes = 20;

std::int64_t be64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}
std::int32_t be32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
  return static_cast<std::int32_t>(v);
}

// Units of `file` that are valid from its start; -1 when it has none.
std::int64_t valid_units(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  std::int64_t count = 0;
  unsigned char unit[kUnitBytes];
  while (in.read(reinterpret_cast<char*>(unit), kUnitBytes)) {
    if (be64(unit) < 0 || be32(unit + 8) <= 0) break;
    ++count;
  }
  if (in.bad()) throw std::runtime_error(file.string() + ": read error");
  return count;
}

std::int64_t queue_max_offset(const fs::path& dir) {
  std::vector<std::pair<std::int64_t, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    std::int64_t start = 0;
    auto [ptr, err] = std::from_chars(name.data(), name.data() + name.size(), start);
    if (name.size() != 20 || err != std::errc() || ptr != name.data() + name.size() || start % kUnitBytes != 0) {
      throw std::runtime_error(entry.path().string() + ": not a consume queue file name (20 digits)");
    }
    files.emplace_back(start, entry.path());
  }
  std::sort(files.begin(), files.end());
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    const std::int64_t n = valid_units(it->second);
    if (n > 0) return it->first / kUnitBytes + n;
  }
  return files.empty() ? 0 : files.front().first / kUnitBytes;
}

}  // namespace

std::map<QueueKey, std::int64_t> legacy_queue_max_offsets(const fs::path& store_root) {
  std::map<QueueKey, std::int64_t> out;
  const fs::path root = store_root / "consumequeue";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& topic : fs::directory_iterator(root)) {
    if (!topic.is_directory()) continue;
    for (const auto& queue : fs::directory_iterator(topic.path())) {
      const std::string name = queue.path().filename().string();
      std::int32_t id = 0;
      auto [ptr, err] = std::from_chars(name.data(), name.data() + name.size(), id);
      if (!queue.is_directory() || err != std::errc() || ptr != name.data() + name.size()) continue;
      out[{topic.path().filename().string(), id}] = queue_max_offset(queue.path());
    }
  }
  return out;
}

}  // namespace rmq::migrate
