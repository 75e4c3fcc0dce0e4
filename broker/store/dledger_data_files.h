// A DLedger file list (MmapFileList's equivalent, storage.md 2.1, 5.1, 5.3) over pread/pwrite: fixed-size
// files named by the 20-digit absolute offset of their first byte, contiguous, every one exactly
// file_size_bytes long (upstream's loader refuses any other size). The data list pads a file's end with a
// blank (dledger_entry.h); the index list does not pad (its file size is a multiple of 32).
//
// Writes go straight to the kernel (no user-space buffer), so an append survives a process crash as it does
// upstream with mmap; only a machine crash can lose what was not synced.
//
// What a machine crash can leave, and why recovery copes:
// - Rolling to a new file first syncs the current file and the directory. So every file but the last is
//   durable in full, with its blank, and at most the last file holds unsynced data: after a crash the valid
//   data ends in the last or second-to-last file, never earlier (upstream's "more than a file lost" check,
//   storage.md 5.6 step 4, then only fires on real corruption).
// - A new file is created full size with ftruncate. If the crash loses the size change, the file is short;
//   load() grows a short last file back (its missing tail reads as zeros, the end of data). A short file
//   anywhere else is corruption.
// - truncate() removes later files first, newest first, and syncs the directory before it zeroes the tail of
//   the file it ends in. A crash part way leaves a contiguous prefix of the old files whose data is still
//   intact, i.e. the state before the truncation, which recovery reads as such.
// - Bytes past the write position are zero: truncate() discards them (shrink, then grow back, so the tail
//   becomes a hole) rather than leaving stale entries a later scan could take for new ones.
//
// Not thread-safe; the store serializes calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/common/file_system.h"

namespace rmq::store {

class DLedgerFileList {
 public:
  DLedgerFileList(common::FileSystem& fs, std::filesystem::path dir, std::int64_t file_size_bytes,
                  bool pad_with_blank);

  // Opens every file in the directory, which must exist. Throws DLedgerCorruption for a name that is not 20
  // digits, a gap between files, a file longer than file_size_bytes or a short file that is not the last.
  // Afterwards the write position is the end of the last file; recovery moves it back with truncate().
  void load();

  bool empty() const { return files_.empty(); }
  std::size_t file_count() const { return files_.size(); }
  std::int64_t file_start(std::size_t i) const { return files_.at(i).start_offset; }
  std::int64_t file_size_bytes() const { return file_size_bytes_; }
  const std::filesystem::path& dir() const { return dir_; }
  // The offset of the first byte of the first file; requires !empty().
  std::int64_t first_offset() const;
  // Where the next byte goes. Between the last file's start and its end, or anywhere when the list is empty.
  std::int64_t write_pos() const { return write_pos_; }
  // The name of a file that starts at offset: 20 digits, zero-padded (UtilAll.offset2FileName).
  static std::string file_name(std::int64_t start_offset);

  // For an empty list: creates (durably) the first file at start_offset, a multiple of the file size, and
  // puts the write position there.
  void start_at(std::int64_t start_offset);

  // Where an append of `size_bytes` will land: the write position, or the next file's start when it does not
  // fit in what is left of the current file (with 8 bytes to spare when padding). Throws
  // std::invalid_argument when no file could hold it.
  std::int64_t next_append_pos(std::int64_t size_bytes) const;
  // How many bytes fit from the write position to the end of the file it falls in (a whole file when the
  // next append opens one). For unpadded lists, whose appends must not cross a file end.
  std::int64_t room_in_file() const;
  // Whether an append of `size_bytes` will open a new file (and so sync the current one first).
  bool append_opens_file(std::int64_t size_bytes) const;
  // Appends, padding the current file with a blank and rolling to a new file when needed; returns where the
  // data landed (next_append_pos()).
  std::int64_t append(common::ByteSpan data);

  // Reads out.size() bytes at absolute position pos, which must lie inside one file. A part of a file that
  // is not there (a short file) reads as zeros.
  void read(std::int64_t pos, std::span<std::uint8_t> out) const;

  // Discards every byte at and after end_pos, durably: later files are removed, the rest of the file that
  // end_pos falls in is zeroed. Requires first_offset() <= end_pos <= write_pos() (or an empty list).
  void truncate(std::int64_t end_pos);
  // Moves the write position to `pos` for rewriting from there: truncates when pos lies within the files,
  // otherwise removes every file and starts over with the file that will hold pos (index rebuild).
  void position_at(std::int64_t pos);

  // Makes every write so far durable: syncs each file written since its last sync, then the directory when
  // files were created or removed.
  void sync();

  // The write position as of the last sync that succeeded (sync(), a roll, truncate()): everything before it
  // is durable. After a failed sync the kernel has marked the failed pages clean, so what lies past it may
  // read back now and be gone after a crash; the owner cuts the list back to here (review item 3).
  std::int64_t synced_pos() const { return synced_pos_; }
  // True once a file or directory sync of this list has failed.
  bool sync_failed() const { return sync_failed_; }

 private:
  struct Segment {
    std::int64_t start_offset;
    std::unique_ptr<common::File> file;
    bool dirty;  // written since its last sync
  };

  std::int64_t tail_of_last() const;
  const Segment& segment_for(std::int64_t pos) const;
  void roll();                     // creates the next file at the write position
  void remove_files_after(std::int64_t offset);  // removes files starting after offset, newest first

  common::FileSystem& fs_;
  std::filesystem::path dir_;
  std::int64_t file_size_bytes_;
  bool pad_with_blank_;
  std::vector<Segment> files_;
  std::int64_t write_pos_ = 0;
  bool dir_dirty_ = false;  // entries created or removed since the last directory sync
  std::int64_t synced_pos_ = 0;
  bool sync_failed_ = false;
  common::Bytes scratch_;   // the blank being written
};

}  // namespace rmq::store
