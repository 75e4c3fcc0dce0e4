#include "migrate/copy_extents.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "broker/common/mapped_file.h"

namespace rmq::migrate {

std::vector<std::pair<std::uint64_t, std::uint64_t>> data_extents(int fd, std::uint64_t size_bytes,
                                                                   const std::filesystem::path& path) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> extents;
  std::uint64_t pos = 0;
  while (pos < size_bytes) {
    const off_t data = ::lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole remains
      if (errno == EINVAL || errno == EOPNOTSUPP) return {{0, size_bytes}};
      throw common::IoError(common::errno_message(path, errno));
    }
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) throw common::IoError(common::errno_message(path, errno));
    const auto begin = static_cast<std::uint64_t>(data);
    const auto end = std::min<std::uint64_t>(static_cast<std::uint64_t>(hole), size_bytes);
    if (begin >= size_bytes) break;
    if (end > begin) extents.emplace_back(begin, end);
    pos = std::max(end, begin + 1);
  }
  return extents;
}

}  // namespace rmq::migrate
