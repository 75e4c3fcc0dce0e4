#include "broker/common/io_error.h"

#include <cstring>

namespace rmq::common {

std::string errno_message(const std::filesystem::path& path, int error_number) {
  return path.string() + ": " + std::strerror(error_number);
}

}  // namespace rmq::common
