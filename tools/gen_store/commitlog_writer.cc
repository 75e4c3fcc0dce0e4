#include "tools/gen_store/commitlog_writer.h"

#include <fmt/format.h>

#include <cassert>
#include <stdexcept>

namespace rmq::tools {
namespace {

constexpr std::size_t kBufferBytes = 8 * 1024 * 1024;

}  // namespace

std::string mapped_file_name(std::uint64_t offset) { return fmt::format("{:020}", offset); }

CommitLogWriter::CommitLogWriter(std::filesystem::path dir, std::uint64_t file_size_bytes)
    : dir_(std::move(dir)), file_size_bytes_(file_size_bytes) {
  assert(file_size_bytes_ > 0);
  buffer_.reserve(kBufferBytes);
}

CommitLogWriter::~CommitLogWriter() = default;

void CommitLogWriter::write(std::uint64_t offset, common::ByteSpan bytes) {
  if (offset < end_position_) {
    throw std::logic_error(fmt::format("commitlog write at {} is below the end {} already written", offset,
                                       end_position_));
  }
  const std::uint64_t start = offset - offset % file_size_bytes_;
  if (offset - start + bytes.size() > file_size_bytes_) {
    throw std::logic_error(fmt::format("{}-byte write at {} crosses the end of file {}", bytes.size(), offset,
                                       mapped_file_name(start)));
  }
  if (file_ == nullptr || start != file_start_) {
    complete_file();
    file_start_ = start;
    file_names_.push_back(mapped_file_name(start));
    file_ = std::make_unique<OutputFile>(dir_ / file_names_.back());
    buffer_position_ = offset - start;
  }
  const std::uint64_t position = offset - start;
  if (position != buffer_position_ + buffer_.size() || buffer_.size() + bytes.size() > kBufferBytes) {
    flush();
    buffer_position_ = position;
  }
  if (bytes.size() > kBufferBytes) {
    file_->write_at(position, bytes);
    buffer_position_ = position + bytes.size();
  } else {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  }
  end_position_ = offset + bytes.size();
}

void CommitLogWriter::finish() { complete_file(); }

void CommitLogWriter::flush() {
  if (!buffer_.empty()) file_->write_at(buffer_position_, common::ByteSpan(buffer_));
  buffer_position_ += buffer_.size();
  buffer_.clear();
}

void CommitLogWriter::complete_file() {
  if (file_ == nullptr) return;
  flush();
  file_->set_size(file_size_bytes_);
  file_->close();
  file_.reset();
}

}  // namespace rmq::tools
