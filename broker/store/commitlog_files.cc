#include "broker/store/commitlog_files.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <system_error>

#include "broker/common/mapped_file.h"

namespace rmq::store {

namespace fs = std::filesystem;

bool is_commitlog_file_name(const std::string& name) {
  return name.size() == 20 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::int64_t> parse_start_offset(const std::string& name) {
  if (!is_commitlog_file_name(name)) return std::nullopt;
  std::int64_t value = 0;
  for (char c : name) {
    const int digit = c - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string commitlog_file_name(std::int64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(offset));
  return buf;
}

CommitlogFiles list_commitlog_files(const fs::path& dir, std::optional<std::uint64_t> expected_file_size) {
  CommitlogFiles result;
  result.dir = dir;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw common::IoError(dir.string() + ": " + ec.message());

  std::vector<CommitlogFile> candidates;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw common::IoError(dir.string() + ": " + ec.message());
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    const fs::file_status link_status = it->symlink_status(type_ec);
    const bool regular = fs::is_regular_file(link_status);
    std::optional<std::int64_t> start;
    if (is_commitlog_file_name(name)) start = parse_start_offset(name);
    if (start && fs::is_symlink(link_status)) {
      // Refused rather than followed: a copy through a link cannot prove it read the store's own file, and the
      // link's target may change between check and copy. Reported as a layout problem so that check-commitlog
      // and migrate's preflight (and --dry-run) name it before anything is copied.
      std::error_code link_ec;
      const fs::path target = fs::read_symlink(it->path(), link_ec);
      result.problems.push_back({*start, problem_kind::kSymlinkedFile,
                                 it->path().string() + ": a symbolic link" +
                                     (link_ec ? std::string() : " to " + target.string()) +
                                     "; symlinked commitlog files are refused: replace the link with the file "
                                     "it points to"});
      continue;
    }
    if (start && !regular) {
      // The Java broker maps every 20-digit name as a commitlog file and fails to load on anything else.
      const char* what = fs::is_directory(link_status)        ? "a directory"
                         : fs::is_fifo(link_status)           ? "a FIFO"
                         : fs::is_character_file(link_status) ? "a character device"
                         : fs::is_block_file(link_status)     ? "a block device"
                         : fs::is_socket(link_status)         ? "a socket"
                                                              : "not a regular file";
      result.problems.push_back({*start, problem_kind::kNotRegularFile,
                                 it->path().string() + ": " + what +
                                     " under a commitlog file name; not read, and the Java broker refuses to "
                                     "load this store: move it away"});
      continue;
    }
    if (!regular) start.reset();
    if (!start) {
      const char* why = !regular ? "not a regular file"
                        : !is_commitlog_file_name(name) ? "name is not 20 digits"
                                                        : "start offset out of range";
      result.problems.push_back({std::nullopt, problem_kind::kStrayFile,
                                 it->path().string() + ": not a commitlog file (" + why +
                                     "); not read, but the Java broker refuses to load a commitlog directory "
                                     "that holds it: move it away"});
      continue;
    }
    const std::uint64_t size = it->file_size(type_ec);
    if (type_ec) throw common::IoError(it->path().string() + ": " + type_ec.message());
    candidates.push_back({name, it->path(), *start, size});
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const CommitlogFile& a, const CommitlogFile& b) { return a.start_offset < b.start_offset; });

  if (expected_file_size) {
    result.file_size_bytes = *expected_file_size;
  } else if (!candidates.empty()) {
    std::map<std::uint64_t, int> votes;
    // Only a size a config could give votes (upstream's mappedFileSizeCommitLog is a Java int): a bigger
    // file (a sparse 100 GiB one) is reported from its size alone and never read.
    for (const auto& f : candidates) {
      if (f.size_bytes > 0 && f.size_bytes <= kMaxCommitlogFileSize) ++votes[f.size_bytes];
    }
    if (!votes.empty()) {
      // The most common size; on a tie the larger, since a short file is the likelier damage.
      result.file_size_bytes = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
                                 return a.second < b.second || (a.second == b.second && a.first < b.first);
                               })->first;
    }
  }

  const std::uint64_t size = result.file_size_bytes;
  for (const auto& f : candidates) {
    if (f.size_bytes != size || size == 0) {
      result.problems.push_back({f.start_offset, problem_kind::kWrongFileSize,
                                 f.path.string() + ": " + std::to_string(f.size_bytes) + " bytes, expected " +
                                     (size == 0 ? std::string("1 to ") + std::to_string(kMaxCommitlogFileSize) +
                                                      " (no other file gives the size)"
                                                : std::to_string(size)) +
                                     "; not read"});
      continue;
    }
    if (static_cast<std::uint64_t>(f.start_offset) % size != 0) {
      result.problems.push_back({f.start_offset, problem_kind::kMisalignedFile,
                                 f.path.string() + ": start offset is not a multiple of the file size " +
                                     std::to_string(size) + "; not read"});
      continue;
    }
    if (!result.files.empty()) {
      const std::int64_t expected_start = result.files.back().start_offset + static_cast<std::int64_t>(size);
      if (f.start_offset != expected_start) {
        result.problems.push_back({expected_start, problem_kind::kMissingFile,
                                   dir.string() + ": no file " + commitlog_file_name(expected_start) +
                                       " between " + result.files.back().name + " and " + f.name +
                                       "; files from " + f.name + " on are not read"});
        break;
      }
    }
    result.files.push_back(f);
  }
  return result;
}

}  // namespace rmq::store
