// Free space on the file systems that will receive the copies, for preflight.
//
// A node's store root usually does not exist yet, so the file system is the one holding its nearest existing
// ancestor. Nodes that share a file system share its free space: the requirement is summed per device
// (st_dev), not checked node by node, or three nodes on one disk would each see room for one copy and the
// third copy would hit ENOSPC halfway.
//
// The margin covers what the first start of the new group writes besides the copies: each node's first
// DLedger data file (mappedFileSizeCommitLog; sparse at first, but the broker fills it) and its index, plus
// 1% for file system overhead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rmq::migrate {

struct SpaceDemand {
  std::string node_id;
  std::filesystem::path target;       // the node's store root
  std::uint64_t bytes_to_write = 0;   // the copies still to make there
  std::uint64_t margin_bytes = 0;
};

struct SpaceShortfall {
  std::filesystem::path mount_hint;   // the existing directory statvfs looked at
  std::vector<std::string> node_ids;
  std::uint64_t needed_bytes = 0;
  std::uint64_t available_bytes = 0;
};

// The nearest existing ancestor of `path` (itself when it exists).
std::filesystem::path nearest_existing_ancestor(const std::filesystem::path& path);

// The file systems whose available space (statvfs f_bavail, what an unprivileged writer gets) is below
// what the demands on them add up to. Throws common::IoError when statvfs fails.
std::vector<SpaceShortfall> check_free_space(const std::vector<SpaceDemand>& demands);

// margin for one node: one commitlog-sized DLedger data file plus 1% of the bytes written.
std::uint64_t space_margin_bytes(std::uint64_t bytes_to_write, std::uint64_t commitlog_file_size_bytes);

}  // namespace rmq::migrate
