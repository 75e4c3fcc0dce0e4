// A directory of same-sized, offset-named writable mapped files (MappedFileQueue.java, storage.md 2.1-2.2):
// the commitlog and every consume queue are one of these.
//
// The queue is a logical byte log: offset X lives in the file named by X - X % file_size, at X % file_size.
// It tracks two positions: wrote (end of the written data; the next write goes there) and flushed (everything
// below is synced to disk). A new file is created when a write reaches the end of the last one.
//
// Crash: data below `wrote` is in shared mappings, so it survives a SIGKILL. At the next start, recovery
// finds the real end of the data and calls truncate_dirty(), which deletes the files after it and zeroes the
// bytes after it, so the next append starts on a clean tail.
//
// Thread-safety: one writer at a time (the caller serialises appends and truncation); readers may call
// file_for(), wrote_offset() and read() concurrently with the writer.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "broker/store/writable_mapped_file.h"

namespace rmq::store {

class MappedFileQueue {
 public:
  // `allocation`: how each file reserves its blocks (writable_mapped_file.h): kWhole for the commitlog,
  // kOnWrite (sparse files, reserved chunk by chunk as written) for consume queues.
  MappedFileQueue(std::filesystem::path dir, std::int64_t file_size_bytes,
                  FileAllocation allocation = FileAllocation::kWhole);

  // Maps every 20-digit file in the directory (creating the directory). Throws std::runtime_error naming a
  // file whose size is not file_size_bytes or a gap between files. Positions are set to the end of the last
  // file; recovery then sets them with truncate_dirty(). A last file of 0 bytes (a crash between creating
  // and sizing it) is deleted, as 5.x does.
  void load();

  const std::filesystem::path& dir() const { return dir_; }
  std::int64_t file_size_bytes() const { return file_size_bytes_; }
  bool empty() const;
  std::int64_t min_offset() const;                       // start of the first file, 0 when none
  std::int64_t wrote_offset() const { return wrote_.load(std::memory_order_acquire); }
  std::int64_t flushed_offset() const { return flushed_.load(std::memory_order_acquire); }
  std::size_t file_count() const;

  // The files, oldest first (a snapshot).
  std::vector<std::shared_ptr<WritableMappedFile>> files() const;
  // The file that holds `offset`, or nullptr.
  std::shared_ptr<WritableMappedFile> file_for(std::int64_t offset) const;
  // The file to write at `offset` into, creating it (and only it) when `offset` is the end of the last file
  // or the queue is empty (the first file is then named offset - offset % file_size). The directory is
  // fsynced after a file is created, so the new file's name survives a power loss with its synced data.
  std::shared_ptr<WritableMappedFile> file_for_write(std::int64_t offset);

  // Called (under the queue's lock) before a new file is created, with its path and size; it may throw
  // (DiskReserveError) to refuse the file, and nothing is created or written then. Set it before the queue
  // is shared between threads.
  using CreateCheck = std::function<void(const std::filesystem::path& file, std::int64_t size_bytes)>;
  void set_create_check(CreateCheck check) { create_check_ = std::move(check); }

  // Writes at the current wrote offset (never across a file end: throws std::out_of_range) and advances it.
  void append(common::ByteSpan bytes);
  // Moves the wrote offset without writing (the commitlog's blank record leaves the tail unwritten).
  void set_wrote_offset(std::int64_t offset);

  // Copies [offset, offset + size) when it lies inside one file and below the wrote offset.
  bool read(std::int64_t offset, std::size_t size, common::Bytes& out) const;

  // truncateDirtyFiles: the file holding `offset` ends its data there (bytes after it zeroed); later files are
  // deleted. wrote and flushed become `offset` (flushed never above it).
  void truncate_dirty(std::int64_t offset);
  // Deletes every file and resets positions to `offset` (used when a queue must restart at a given offset).
  void reset(std::int64_t offset);

  // msyncs [flushed, wrote) and advances flushed. Returns true when something was synced.
  bool flush();
  // msyncs [from, wrote) even when it counts as flushed (after a crash the recovered tail may be only in the
  // page cache of the killed process), then flushed = wrote.
  void resync_from(std::int64_t from);

 private:
  std::filesystem::path path_for(std::int64_t start_offset) const;

  std::filesystem::path dir_;
  std::int64_t file_size_bytes_;
  FileAllocation allocation_;
  CreateCheck create_check_;
  mutable std::mutex files_mutex_;
  std::vector<std::shared_ptr<WritableMappedFile>> files_;
  std::atomic<std::int64_t> wrote_{0};
  std::atomic<std::int64_t> flushed_{0};
  std::mutex flush_mutex_;
};

}  // namespace rmq::store
