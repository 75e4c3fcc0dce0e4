// A problem found in a store, reported with its absolute commitlog offset so an operator can find it.
//
// Kinds are stable strings (they appear in `rmqctl check-commitlog -o json` and are documented in the man
// page). Only some kinds are corruption; the others are warnings that never change a verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rmq::store {

namespace problem_kind {
// Warnings.
inline constexpr const char* kStrayFile = "stray_file";            // not a commitlog file name; never read
inline constexpr const char* kTornTail = "torn_tail";              // the last record was cut short
// Layout corruption.
inline constexpr const char* kWrongFileSize = "wrong_file_size";   // 20-digit name, size unlike the others
inline constexpr const char* kMissingFile = "missing_file";        // a gap in the file sequence
inline constexpr const char* kMisalignedFile = "misaligned_file";  // start offset not a multiple of the size
inline constexpr const char* kNotRegularFile = "not_regular_file";  // 20-digit name on a FIFO, directory, device
inline constexpr const char* kSymlinkedFile = "symlinked_file";     // 20-digit name on a symbolic link
// Record corruption: where upstream recovery would stop and truncate.
inline constexpr const char* kBadMagic = "bad_magic";
inline constexpr const char* kBadSize = "bad_size";
inline constexpr const char* kBadCrc = "bad_crc";
inline constexpr const char* kWrongPhysicalOffset = "wrong_physical_offset";
inline constexpr const char* kBadBlank = "bad_blank";              // end-of-file record with a wrong length
inline constexpr const char* kDataAfterEnd = "data_after_end";     // bytes past the end of valid records
}  // namespace problem_kind

struct StoreProblem {
  std::optional<std::int64_t> offset;  // absolute commitlog offset; none for file-level problems
  std::string kind;                    // one of problem_kind
  std::string detail;                  // one line: what is wrong, naming the file

  bool is_corruption() const;
};

}  // namespace rmq::store
