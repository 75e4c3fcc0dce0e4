#include "broker/store/store_checkpoint.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace rmq::store {

StoreCheckpoint::StoreCheckpoint(const std::filesystem::path& path) {
  std::error_code ec;
  // A 0-byte file is a crash between creating and sizing it: start it afresh (all times 0).
  if (std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) != 0) {
    file_ = WritableMappedFile::open_existing(path, 0, kCheckpointFileSize);
  } else {
    file_ = WritableMappedFile::create(path, 0, kCheckpointFileSize);
  }
  // set() stores straight into the mapping: its blocks must exist (a hole on a full disk is a SIGBUS).
  file_->ensure_allocated();
}

std::int64_t StoreCheckpoint::get(std::int64_t position) const {
  std::lock_guard lock(mutex_);
  return common::load_i64_be(file_->data() + position);
}

void StoreCheckpoint::set(std::int64_t position, std::int64_t value) {
  std::lock_guard lock(mutex_);
  common::store_u64_be(file_->data() + position, static_cast<std::uint64_t>(value));
}

std::int64_t StoreCheckpoint::physic_msg_timestamp() const { return get(0); }
std::int64_t StoreCheckpoint::logics_msg_timestamp() const { return get(8); }
std::int64_t StoreCheckpoint::index_msg_timestamp() const { return get(16); }
void StoreCheckpoint::set_physic_msg_timestamp(std::int64_t ms) { set(0, ms); }
void StoreCheckpoint::set_logics_msg_timestamp(std::int64_t ms) { set(8, ms); }
void StoreCheckpoint::set_index_msg_timestamp(std::int64_t ms) { set(16, ms); }

std::int64_t StoreCheckpoint::min_timestamp() const {
  return std::max<std::int64_t>(0, std::min(physic_msg_timestamp(), logics_msg_timestamp()) - 3000);
}

std::int64_t StoreCheckpoint::min_timestamp_index() const {
  return std::min(min_timestamp(), index_msg_timestamp());
}

void StoreCheckpoint::flush() {
  std::lock_guard lock(mutex_);
  file_->sync_range(0, kCheckpointFileSize);
}

}  // namespace rmq::store
