// The data extents of a file: the ranges that hold written bytes, as opposed to holes that read as zeros.
//
// Upstream creates every commitlog and consume-queue file at full size by mapping it, so a stopped broker's
// newest files are mostly holes (a preallocated commitlog file is 1 GiB of nothing). Copying and hashing
// only the extents, and treating the rest as the zeros it reads as, moves and reads a fraction of the bytes
// while producing exactly the same copy and the same MD5. A file system without SEEK_DATA/SEEK_HOLE reports
// the whole file as one extent, which is always correct, only slower.
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

namespace rmq::migrate {

// [begin, end) byte ranges, ascending, within [0, size_bytes). Throws common::IoError when lseek fails for a
// reason other than "not supported".
std::vector<std::pair<std::uint64_t, std::uint64_t>> data_extents(int fd, std::uint64_t size_bytes,
                                                                   const std::filesystem::path& path);

}  // namespace rmq::migrate
