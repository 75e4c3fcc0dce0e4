// MD5 of a whole file, equal to what md5sum prints, reading only its data extents (copy_extents.h).
//
// The migration hashes every source file once and every copy once more (read back from the node), and most
// of a stopped broker's newest commitlog and consume-queue files are holes. Reading a hole makes the kernel
// zero-fill page after page only for MD5 to consume the zeros; here the holes are fed to MD5 from one zero
// buffer instead, and only the extents are read, through a read-only map (no copy into a buffer). The digest
// is identical: a hole reads as zeros.
// `progress_bytes` advances by the file's length, holes included.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace rmq::migrate {

// Lower-case hex. Throws common::IoError when the file cannot be read or changes length while it is read.
std::string md5_file_hex_sparse(const std::filesystem::path& path,
                                std::atomic<std::uint64_t>* progress_bytes = nullptr);

}  // namespace rmq::migrate
