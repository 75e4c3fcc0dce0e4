// Copies one file so that, after a crash or a kill at any instant, the destination name either does not
// exist or names the complete copy, synced to disk.
//
// The steps, each one needed for that guarantee:
//   1. copy into a temporary name beside the destination (`.NAME.rmqctl-tmp`, same directory, so the rename
//      stays within one file system);
//   2. fdatasync the temporary file (its bytes and size);
//   3. rename it to the final name (atomic);
//   4. fsync the directory, which makes the new name durable.
// A crash before 3 leaves only a temporary file, which the next run deletes (remove_stale_temp_files); a
// crash between 3 and 4 leaves either nothing or the complete file under the final name.
//
// The bytes move with copy_file_range(2), so the kernel copies them without a trip through user space (and a
// file system that can share extents does); where the kernel refuses (EXDEV, ENOSYS, EOPNOTSUPP, EINVAL) the
// copy falls back to pread/pwrite. Holes are preserved: commitlog files are preallocated to full size and are
// mostly unwritten when the broker stops, so only the data extents (SEEK_DATA/SEEK_HOLE) are copied and the
// destination is extended to the source's size. Writeback is started as each chunk lands
// (sync_file_range), so the disk writes while the copy goes on and the closing fdatasync waits for little.
//
// The source is opened read-only and never written. Its size must equal `expected_size_bytes` (what the plan
// recorded) before and after the copy, or the copy fails: a source that changes under the copy is a broker
// that is still running.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace rmq::migrate {

struct CopyFileOptions {
  std::atomic<std::uint64_t>* progress_bytes = nullptr;  // advanced as bytes are copied
  // Test hooks (migrate_test_hooks.h): called once half the bytes are in the temporary file, and right after
  // the rename (before the caller journals the file). Either may end the process.
  std::function<void()> after_half_written;
  std::function<void()> after_rename;
};

struct CopyFileResult {
  std::uint64_t size_bytes = 0;         // the file's length
  std::uint64_t copied_bytes = 0;       // bytes in data extents, actually copied
  bool used_copy_file_range = false;    // false when the fallback copied everything
};

// Copies `from` to `to` as described above. The directory of `to` must exist. Throws common::IoError naming
// the path and the reason (ENOSPC, EFBIG, EIO, a changed source); the temporary file is removed then and the
// final name is left as it was.
CopyFileResult copy_file_durably(const std::filesystem::path& from, const std::filesystem::path& to,
                                 std::uint64_t expected_size_bytes, const CopyFileOptions& options = {});

// `dir/.NAME.rmqctl-tmp` for `dir/NAME`.
std::filesystem::path temp_path_for(const std::filesystem::path& final_path);
bool is_temp_file_name(const std::string& name);

// Deletes every temporary file that a killed copy left under `root` (recursively) and syncs the directories
// it changed. Returns how many it removed.
std::size_t remove_stale_temp_files(const std::filesystem::path& root);

// fsync on the directory itself, which makes its entries (a created or renamed name) durable.
void sync_directory(const std::filesystem::path& dir);

}  // namespace rmq::migrate
