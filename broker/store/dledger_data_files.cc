#include "broker/store/dledger_data_files.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <stdexcept>

#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_error.h"

namespace rmq::store {
namespace {

constexpr std::size_t kFileNameDigits = 20;

// The start offset a file name stands for, or -1 when the name is not 20 decimal digits.
std::int64_t parse_file_name(const std::string& name) {
  if (name.size() != kFileNameDigits) return -1;
  std::int64_t value = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return -1;
    if (value > (INT64_MAX - (c - '0')) / 10) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

DLedgerFileList::DLedgerFileList(common::FileSystem& fs, std::filesystem::path dir, std::int64_t file_size_bytes,
                                 bool pad_with_blank)
    : fs_(fs), dir_(std::move(dir)), file_size_bytes_(file_size_bytes), pad_with_blank_(pad_with_blank) {
  if (file_size_bytes_ <= static_cast<std::int64_t>(kDLedgerBlankMinBytes)) {
    throw std::invalid_argument("DLedger file size " + std::to_string(file_size_bytes_) + " is too small");
  }
}

std::string DLedgerFileList::file_name(std::int64_t start_offset) {
  if (start_offset < 0) throw std::invalid_argument("negative file offset");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020" PRId64, start_offset);
  return buf;
}

void DLedgerFileList::load() {
  files_.clear();
  const std::vector<std::string> names = fs_.list_dir(dir_);  // sorted; 20-digit names sort numerically
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::filesystem::path path = dir_ / names[i];
    const std::int64_t start = parse_file_name(names[i]);
    if (start < 0) throw DLedgerCorruption(path.string() + ": not a DLedger file name (20 digits expected)");
    if (!files_.empty() && start != files_.back().start_offset + file_size_bytes_) {
      throw DLedgerCorruption(path.string() + ": files are not contiguous (expected " +
                              file_name(files_.back().start_offset + file_size_bytes_) + ")");
    }
    auto file = fs_.open(path, common::OpenMode::kReadWrite);
    const std::uint64_t size = file->size_bytes();
    const bool last = i + 1 == names.size();
    // The last file may hold writes of an earlier process that never reached the disk (a process crash keeps
    // them in the page cache): mark it dirty, so the first sync (recovery's) really makes them durable.
    bool dirty = last;
    if (size > static_cast<std::uint64_t>(file_size_bytes_) || (size < static_cast<std::uint64_t>(file_size_bytes_) && !last)) {
      throw DLedgerCorruption(path.string() + ": " + std::to_string(size) + " bytes, expected " +
                              std::to_string(file_size_bytes_));
    }
    if (size < static_cast<std::uint64_t>(file_size_bytes_)) {  // a crash lost the size of a new last file
      file->truncate(static_cast<std::uint64_t>(file_size_bytes_));
      dirty = true;
    }
    files_.push_back(Segment{start, std::move(file), dirty});
  }
  write_pos_ = files_.empty() ? 0 : tail_of_last();
  synced_pos_ = write_pos_;  // recovery truncates (and syncs) to the real end before anything is appended
  // Likewise a file an earlier process created may not have a durable name yet: sync the directory too.
  dir_dirty_ = !files_.empty();
}

std::int64_t DLedgerFileList::first_offset() const {
  if (files_.empty()) throw std::logic_error("DLedgerFileList::first_offset on an empty list");
  return files_.front().start_offset;
}

std::int64_t DLedgerFileList::tail_of_last() const { return files_.back().start_offset + file_size_bytes_; }

void DLedgerFileList::start_at(std::int64_t start_offset) {
  if (!files_.empty()) throw std::logic_error("DLedgerFileList::start_at on a list that has files");
  if (start_offset < 0 || start_offset % file_size_bytes_ != 0) {
    throw std::invalid_argument("first DLedger file offset " + std::to_string(start_offset) +
                                " is not a multiple of the file size " + std::to_string(file_size_bytes_));
  }
  write_pos_ = start_offset;
  roll();
  sync();
}

std::int64_t DLedgerFileList::next_append_pos(std::int64_t size_bytes) const {
  const std::int64_t spare = pad_with_blank_ ? static_cast<std::int64_t>(kDLedgerBlankMinBytes) : 0;
  if (size_bytes <= 0 || size_bytes + spare > file_size_bytes_) {
    throw std::invalid_argument("an append of " + std::to_string(size_bytes) + " bytes cannot fit a file of " +
                                std::to_string(file_size_bytes_));
  }
  if (files_.empty() || write_pos_ == tail_of_last()) return write_pos_;  // goes into a new file
  const std::int64_t remaining = tail_of_last() - write_pos_;
  if (size_bytes + spare > remaining) return tail_of_last();
  return write_pos_;
}

std::int64_t DLedgerFileList::room_in_file() const {
  if (files_.empty()) return file_size_bytes_ - write_pos_ % file_size_bytes_;
  if (write_pos_ == tail_of_last()) return file_size_bytes_;
  return tail_of_last() - write_pos_;
}

bool DLedgerFileList::append_opens_file(std::int64_t size_bytes) const {
  return files_.empty() || write_pos_ == tail_of_last() || next_append_pos(size_bytes) != write_pos_;
}

std::int64_t DLedgerFileList::append(common::ByteSpan data) {
  const std::int64_t size = static_cast<std::int64_t>(data.size());
  const std::int64_t pos = next_append_pos(size);
  if (pos != write_pos_) {  // pad the rest of the current file
    const std::int64_t remaining = tail_of_last() - write_pos_;
    if (!pad_with_blank_ || remaining < static_cast<std::int64_t>(kDLedgerBlankMinBytes)) {
      throw std::logic_error("DLedger file list cannot pad " + std::to_string(remaining) + " bytes");
    }
    scratch_.clear();
    encode_dledger_blank(static_cast<std::int32_t>(remaining), scratch_);
    Segment& last = files_.back();
    last.file->write_at(static_cast<std::uint64_t>(write_pos_ - last.start_offset), scratch_);
    last.dirty = true;
    write_pos_ = tail_of_last();
  }
  if (files_.empty() || write_pos_ == tail_of_last()) roll();
  Segment& last = files_.back();
  last.file->write_at(static_cast<std::uint64_t>(write_pos_ - last.start_offset), data);
  last.dirty = true;
  write_pos_ += size;
  return pos;
}

void DLedgerFileList::roll() {
  if (!files_.empty()) {
    // Everything but the last file is durable in full (header comment), so the file being left is synced
    // before the next one exists.
    sync();
  }
  const std::int64_t start = files_.empty() ? write_pos_ - write_pos_ % file_size_bytes_ : tail_of_last();
  auto file = fs_.open(dir_ / file_name(start), common::OpenMode::kCreateTruncate);
  file->truncate(static_cast<std::uint64_t>(file_size_bytes_));
  files_.push_back(Segment{start, std::move(file), true});
  dir_dirty_ = true;
}

const DLedgerFileList::Segment& DLedgerFileList::segment_for(std::int64_t pos) const {
  if (files_.empty() || pos < files_.front().start_offset || pos >= tail_of_last()) {
    throw std::out_of_range("position " + std::to_string(pos) + " is outside the files of " + dir_.string());
  }
  return files_[static_cast<std::size_t>((pos - files_.front().start_offset) / file_size_bytes_)];
}

void DLedgerFileList::read(std::int64_t pos, std::span<std::uint8_t> out) const {
  const Segment& seg = segment_for(pos);
  const std::int64_t relative = pos - seg.start_offset;
  if (relative + static_cast<std::int64_t>(out.size()) > file_size_bytes_) {
    throw std::out_of_range("a read of " + std::to_string(out.size()) + " bytes at " + std::to_string(pos) +
                            " crosses the end of a file in " + dir_.string());
  }
  const std::size_t n = seg.file->read_at(static_cast<std::uint64_t>(relative), out);
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), std::uint8_t{0});
}

void DLedgerFileList::remove_files_after(std::int64_t offset) {
  while (!files_.empty() && files_.back().start_offset > offset) {
    const std::filesystem::path path = files_.back().file->path();
    files_.pop_back();  // closes it
    fs_.remove_file(path);
    dir_dirty_ = true;
  }
}

void DLedgerFileList::truncate(std::int64_t end_pos) {
  if (files_.empty()) {
    write_pos_ = end_pos;
    return;
  }
  if (end_pos < files_.front().start_offset || end_pos > write_pos_) {
    throw std::logic_error("truncate to " + std::to_string(end_pos) + " outside [" +
                           std::to_string(files_.front().start_offset) + ", " + std::to_string(write_pos_) + "] in " +
                           dir_.string());
  }
  remove_files_after(end_pos);
  bool synced_last = false;
  try {
    if (dir_dirty_) {
      fs_.sync_dir(dir_);  // the removals are durable before the zeroing below can be
      dir_dirty_ = false;
    }
    Segment& last = files_.back();
    const std::int64_t relative = end_pos - last.start_offset;
    if (relative < file_size_bytes_) {
      last.file->truncate(static_cast<std::uint64_t>(relative));
      last.file->truncate(static_cast<std::uint64_t>(file_size_bytes_));
      last.file->sync();
      last.dirty = false;
      synced_last = true;
    }
  } catch (const common::IoError&) {
    sync_failed_ = true;
    throw;
  }
  write_pos_ = end_pos;
  // Every file but the last is durable in full; the last one is when it was just synced.
  synced_pos_ = synced_last ? end_pos : std::min(synced_pos_, end_pos);
}

void DLedgerFileList::position_at(std::int64_t pos) {
  if (!files_.empty() && pos >= files_.front().start_offset && pos <= write_pos_) {
    truncate(pos);
    return;
  }
  remove_files_after(INT64_MIN);
  if (dir_dirty_) {
    fs_.sync_dir(dir_);
    dir_dirty_ = false;
  }
  write_pos_ = pos;
}

void DLedgerFileList::sync() {
  try {
    for (Segment& seg : files_) {
      if (seg.dirty) {
        seg.file->sync();
        seg.dirty = false;
      }
    }
    if (dir_dirty_) {
      fs_.sync_dir(dir_);
      dir_dirty_ = false;
    }
  } catch (...) {
    sync_failed_ = true;
    throw;
  }
  synced_pos_ = write_pos_;
}

}  // namespace rmq::store
