#include "broker/common/file_system.h"

#include <vector>

namespace rmq::common {

void create_dirs_durably(FileSystem& fs, const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> missing;  // deepest first
  for (std::filesystem::path p = dir.lexically_normal(); !p.empty(); p = p.parent_path()) {
    if (fs.is_directory(p)) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;  // the root
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (fs.create_dir(*it)) {
      const std::filesystem::path parent = it->parent_path().empty() ? "." : it->parent_path();
      fs.sync_dir(parent);
    }
  }
}

std::optional<Bytes> read_whole_file(FileSystem& fs, const std::filesystem::path& path,
                                     std::uint64_t max_size_bytes) {
  if (!fs.exists(path)) return std::nullopt;
  auto file = fs.open(path, OpenMode::kRead);
  const std::uint64_t size = file->size_bytes();
  if (size > max_size_bytes) {
    throw IoError(path.string() + ": " + std::to_string(size) + " bytes, more than the " +
                  std::to_string(max_size_bytes) + " expected");
  }
  Bytes data(static_cast<std::size_t>(size));
  const std::size_t n = file->read_at(0, data);
  data.resize(n);  // the file may have shrunk between size_bytes() and read_at()
  return data;
}

}  // namespace rmq::common
