#include "broker/store/mapped_file_queue.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "broker/common/io_error.h"
#include "broker/store/commitlog_files.h"

namespace rmq::store {

namespace fs = std::filesystem;

MappedFileQueue::MappedFileQueue(fs::path dir, std::int64_t file_size_bytes, FileAllocation allocation)
    : dir_(std::move(dir)), file_size_bytes_(file_size_bytes), allocation_(allocation) {
  if (file_size_bytes_ <= 0) throw std::invalid_argument("mapped file size must be positive for " + dir_.string());
}

fs::path MappedFileQueue::path_for(std::int64_t start_offset) const {
  return dir_ / commitlog_file_name(start_offset);
}

void MappedFileQueue::load() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw common::IoError("create directory " + dir_.string() + ": " + ec.message());
  std::vector<std::pair<std::int64_t, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_commitlog_file_name(name)) continue;
    const auto start = parse_start_offset(name);
    if (!start) throw std::runtime_error(entry.path().string() + ": file name is not a valid offset");
    found.emplace_back(*start, entry.path());
  }
  if (ec) throw common::IoError("list " + dir_.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  // A crash between creating the newest file and sizing it leaves it empty; 5.x deletes such a last file.
  if (!found.empty() && fs::file_size(found.back().second, ec) == 0 && !ec) {
    fs::remove(found.back().second, ec);
    if (ec) throw common::IoError("remove empty " + found.back().second.string() + ": " + ec.message());
    found.pop_back();
  }
  std::vector<std::shared_ptr<WritableMappedFile>> files;
  for (const auto& [start, path] : found) {
    if (start % file_size_bytes_ != 0) {
      throw std::runtime_error(path.string() + ": start offset " + std::to_string(start) +
                               " is not a multiple of the file size " + std::to_string(file_size_bytes_));
    }
    if (!files.empty() && files.back()->end_offset() != start) {
      throw std::runtime_error(path.string() + ": gap after " + files.back()->path().string());
    }
    files.push_back(WritableMappedFile::open_existing(path, start, file_size_bytes_, allocation_));
  }
  const std::int64_t end = files.empty() ? 0 : files.back()->end_offset();
  {
    std::lock_guard lock(files_mutex_);
    files_ = std::move(files);
  }
  wrote_.store(end, std::memory_order_release);
  flushed_.store(end, std::memory_order_release);
}

bool MappedFileQueue::empty() const {
  std::lock_guard lock(files_mutex_);
  return files_.empty();
}

std::int64_t MappedFileQueue::min_offset() const {
  std::lock_guard lock(files_mutex_);
  return files_.empty() ? 0 : files_.front()->start_offset();
}

std::size_t MappedFileQueue::file_count() const {
  std::lock_guard lock(files_mutex_);
  return files_.size();
}

std::vector<std::shared_ptr<WritableMappedFile>> MappedFileQueue::files() const {
  std::lock_guard lock(files_mutex_);
  return files_;
}

std::shared_ptr<WritableMappedFile> MappedFileQueue::file_for(std::int64_t offset) const {
  std::lock_guard lock(files_mutex_);
  if (files_.empty() || offset < files_.front()->start_offset() || offset >= files_.back()->end_offset()) {
    return nullptr;
  }
  const std::size_t index =
      static_cast<std::size_t>((offset - files_.front()->start_offset()) / file_size_bytes_);
  return index < files_.size() ? files_[index] : nullptr;
}

std::shared_ptr<WritableMappedFile> MappedFileQueue::file_for_write(std::int64_t offset) {
  if (auto file = file_for(offset)) return file;
  std::lock_guard lock(files_mutex_);
  const std::int64_t start = offset - offset % file_size_bytes_;
  if (!files_.empty() && start != files_.back()->end_offset()) {
    throw std::logic_error(dir_.string() + ": write at " + std::to_string(offset) + " is not at the end " +
                           std::to_string(files_.back()->end_offset()));
  }
  if (files_.empty()) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw common::IoError("create directory " + dir_.string() + ": " + ec.message());
  }
  if (create_check_) create_check_(path_for(start), file_size_bytes_);
  files_.push_back(WritableMappedFile::create(path_for(start), start, file_size_bytes_, allocation_));
  auto created = files_.back();
  sync_directory(dir_);
  return created;
}

void MappedFileQueue::append(common::ByteSpan bytes) {
  const std::int64_t at = wrote_offset();
  auto file = file_for_write(at);
  file->write(at - file->start_offset(), bytes);
  wrote_.store(at + static_cast<std::int64_t>(bytes.size()), std::memory_order_release);
}

void MappedFileQueue::set_wrote_offset(std::int64_t offset) { wrote_.store(offset, std::memory_order_release); }

bool MappedFileQueue::read(std::int64_t offset, std::size_t size, common::Bytes& out) const {
  if (offset < 0) return false;
  const std::int64_t end = offset + static_cast<std::int64_t>(size);
  if (end > wrote_offset()) return false;
  auto file = file_for(offset);
  if (!file || end > file->end_offset()) return false;
  const auto span = file->bytes().subspan(static_cast<std::size_t>(offset - file->start_offset()), size);
  out.assign(span.begin(), span.end());
  return true;
}

void MappedFileQueue::truncate_dirty(std::int64_t offset) {
  std::vector<std::shared_ptr<WritableMappedFile>> doomed;
  {
    std::lock_guard lock(files_mutex_);
    while (!files_.empty() && files_.back()->start_offset() > offset) {
      doomed.push_back(files_.back());
      files_.pop_back();
    }
    // A data end exactly at a file end keeps that file whole; the next write creates the next file.
    if (!files_.empty() && offset < files_.back()->end_offset()) {
      files_.back()->zero_tail(offset - files_.back()->start_offset());
    }
  }
  for (auto& file : doomed) file->destroy();
  wrote_.store(offset, std::memory_order_release);
  if (flushed_offset() > offset) flushed_.store(offset, std::memory_order_release);
}

void MappedFileQueue::reset(std::int64_t offset) {
  std::vector<std::shared_ptr<WritableMappedFile>> doomed;
  {
    std::lock_guard lock(files_mutex_);
    doomed.swap(files_);
  }
  for (auto& file : doomed) file->destroy();
  wrote_.store(offset, std::memory_order_release);
  flushed_.store(offset, std::memory_order_release);
}

bool MappedFileQueue::flush() {
  std::lock_guard flush_lock(flush_mutex_);
  const std::int64_t from = flushed_offset();
  const std::int64_t to = wrote_offset();
  if (to <= from) return false;
  for (const auto& file : files()) {
    if (file->end_offset() <= from || file->start_offset() >= to) continue;
    file->sync_range(std::max(from, file->start_offset()) - file->start_offset(),
                     std::min(to, file->end_offset()) - file->start_offset());
  }
  if (flushed_offset() < to) flushed_.store(to, std::memory_order_release);
  return true;
}

void MappedFileQueue::resync_from(std::int64_t from) {
  {
    std::lock_guard flush_lock(flush_mutex_);
    if (flushed_offset() > from) flushed_.store(std::max<std::int64_t>(0, from), std::memory_order_release);
  }
  flush();
}

}  // namespace rmq::store
