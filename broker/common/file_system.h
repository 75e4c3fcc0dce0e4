// The file operations a store needs, behind an interface, so that tests can swap the real POSIX file system
// for one that injects faults and simulates a machine crash (tests/unit/store/fault_fs.h).
//
// The interface names durability explicitly, because that is what crash safety depends on:
// - File::sync() makes the file's bytes and size durable (fdatasync), nothing else.
// - A directory entry (a created, renamed or removed name) is durable only after sync_dir() on the directory
//   that holds it. A file that was written and synced but whose creating directory was never synced may be
//   gone after a crash.
// - rename() replaces the target atomically: after a crash the target name refers to the old or the new
//   file, never to neither (once the target existed durably).
// Everything not made durable this way may be lost on a crash, wholly or in part, in any order; the fault
// file system models exactly that and nothing gentler.
//
// Errors throw IoError (io_error.h) naming the path and the reason. Reads past the end of a file are short,
// not errors. Implementations are not thread-safe unless they say so; a store serializes its calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/common/io_error.h"

namespace rmq::common {

enum class OpenMode {
  kRead,            // an existing file, read only
  kReadWrite,       // an existing file
  kCreate,          // read-write, created empty when missing
  kCreateTruncate,  // read-write, created when missing, emptied when present
};

// An open file. Offsets and sizes are bytes from the start of the file.
class File {
 public:
  virtual ~File() = default;
  // Reads up to out.size() bytes at offset; fewer only when the file ends first. Returns the count.
  virtual std::size_t read_at(std::uint64_t offset_bytes, std::span<std::uint8_t> out) = 0;
  // Writes all of data at offset, growing the file when it ends before offset + data.size().
  virtual void write_at(std::uint64_t offset_bytes, ByteSpan data) = 0;
  // Writes all of data at the current end of the file.
  virtual void append(ByteSpan data) = 0;
  // Sets the size; a grown region reads as zeros (a hole where the file system supports it).
  virtual void truncate(std::uint64_t size_bytes) = 0;
  virtual std::uint64_t size_bytes() = 0;
  // Makes the content and size durable.
  virtual void sync() = 0;
  virtual const std::filesystem::path& path() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual std::unique_ptr<File> open(const std::filesystem::path& path, OpenMode mode) = 0;
  virtual bool exists(const std::filesystem::path& path) = 0;
  virtual bool is_directory(const std::filesystem::path& path) = 0;
  // The names in a directory (no "." or ".."), sorted.
  virtual std::vector<std::string> list_dir(const std::filesystem::path& dir) = 0;
  // Creates one directory level; false when it already exists as a directory.
  virtual bool create_dir(const std::filesystem::path& dir) = 0;
  // Makes the directory's entries (creations, renames, removals in it) durable.
  virtual void sync_dir(const std::filesystem::path& dir) = 0;
  // Atomically replaces `to` with `from` (POSIX rename).
  virtual void rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual void remove_file(const std::filesystem::path& path) = 0;
  virtual std::uint64_t file_size(const std::filesystem::path& path) = 0;
};

// Creates `dir` and any missing parents, syncing each parent whose entries changed, so the whole path is
// durable when this returns.
void create_dirs_durably(FileSystem& fs, const std::filesystem::path& dir);

// The whole content of a file, or nullopt when it does not exist. Throws IoError when it cannot be read or is
// larger than max_size_bytes (a guard against reading a huge file by mistake).
std::optional<Bytes> read_whole_file(FileSystem& fs, const std::filesystem::path& path,
                                     std::uint64_t max_size_bytes);

}  // namespace rmq::common
