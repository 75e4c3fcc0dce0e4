// The error every file-touching part of the tree throws when the operating system refuses a read, write or
// sync. Commands map it to exit code 5; the message always names the path and the reason.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace rmq::common {

class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "path: strerror(errno)" for error messages.
std::string errno_message(const std::filesystem::path& path, int error_number);

}  // namespace rmq::common
