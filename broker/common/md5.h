// MD5 of whole files through OpenSSL EVP, as `md5sum` prints them (lower-case hex).
//
// The upgrade guide compares the newest commitlog files of master and slave with md5sum; rmqctl does the same
// so an operator can cross-check our figures with the tool they know. `progress_bytes`, when given, is
// advanced as bytes are hashed so a progress line can be drawn from another thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace rmq::common {

// Throws IoError (broker/common/mapped_file.h) when the file cannot be read.
std::string md5_file_hex(const std::filesystem::path& path, std::atomic<std::uint64_t>* progress_bytes = nullptr);

}  // namespace rmq::common
