// The set of files that make up a commitlog directory (storage.md 2.1, 2.2).
//
// Upstream names each file by its absolute start offset in 20 zero-padded digits and requires every file to be
// exactly mappedFileSizeCommitLog bytes; load fails otherwise. An operator's directory may also hold strays
// (`00000000000000000000.bak`, editor files, a half-copied file): we report those and never read them as data,
// because reading a stray as a commitlog file is how a check would invent or hide records.
//
// The data files are the contiguous run that starts at the oldest well-formed file; anything after a gap is
// reported as a problem and not read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store_problem.h"

namespace rmq::store {

inline constexpr std::uint64_t kDefaultCommitlogFileSize = 1024ull * 1024 * 1024;  // mappedFileSizeCommitLog
// The largest file size upstream can configure: MessageStoreConfig.mappedFileSizeCommitLog is a Java int.
inline constexpr std::uint64_t kMaxCommitlogFileSize = 2147483647ull;

struct CommitlogFile {
  std::string name;               // "00000000001073741824"
  std::filesystem::path path;
  std::int64_t start_offset = 0;  // from the name
  std::uint64_t size_bytes = 0;
};

struct CommitlogFiles {
  std::filesystem::path dir;
  std::uint64_t file_size_bytes = 0;  // 0 when the directory holds no commitlog file
  std::vector<CommitlogFile> files;   // contiguous, oldest first
  std::vector<StoreProblem> problems;

  std::int64_t begin_offset() const { return files.empty() ? 0 : files.front().start_offset; }
  std::int64_t end_offset() const {
    return files.empty() ? 0 : files.back().start_offset + static_cast<std::int64_t>(file_size_bytes);
  }
};

// True for exactly 20 ASCII digits.
bool is_commitlog_file_name(const std::string& name);
// The start offset a 20-digit name stands for; none when it is not 20 digits or does not fit an int64.
std::optional<std::int64_t> parse_start_offset(const std::string& name);
// The 20-digit name of the file that starts at `offset` (UtilAll.offset2FileName).
std::string commitlog_file_name(std::int64_t offset);

// Lists `dir`. The file size is `expected_file_size` when given (mappedFileSizeCommitLog from a config),
// otherwise the size most files share. Throws common::IoError when the directory cannot be listed.
CommitlogFiles list_commitlog_files(const std::filesystem::path& dir,
                                    std::optional<std::uint64_t> expected_file_size = std::nullopt);

}  // namespace rmq::store
