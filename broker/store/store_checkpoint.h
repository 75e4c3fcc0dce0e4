// {root}/checkpoint (StoreCheckpoint.java, storage.md 2.5): 4096 bytes, big-endian int64 fields
// physicMsgTimestamp @0, logicsMsgTimestamp @8, indexMsgTimestamp @16 (5.x: masterFlushedOffset @24,
// confirmPhyOffset @32; we keep whatever is there), zeros after.
//
// After a crash, recovery starts from the newest commitlog file stored before min_timestamp(), so these
// times must never run ahead of what is on disk: the flush thread writes physicMsgTimestamp only after the
// commitlog flush that covers it. The file is rewritten in place and msynced (flush()).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "broker/store/writable_mapped_file.h"

namespace rmq::store {

inline constexpr std::int64_t kCheckpointFileSize = 4096;

class StoreCheckpoint {
 public:
  // Opens or creates the file. Throws IoError, or std::runtime_error when an existing file is not 4096 bytes.
  explicit StoreCheckpoint(const std::filesystem::path& path);

  std::int64_t physic_msg_timestamp() const;
  std::int64_t logics_msg_timestamp() const;
  std::int64_t index_msg_timestamp() const;
  void set_physic_msg_timestamp(std::int64_t ms);
  void set_logics_msg_timestamp(std::int64_t ms);
  void set_index_msg_timestamp(std::int64_t ms);

  // getMinTimestamp: min(physic, logics) - 3000, floored at 0.
  std::int64_t min_timestamp() const;
  // getMinTimestampIndex: min(min_timestamp(), index).
  std::int64_t min_timestamp_index() const;

  void flush();

 private:
  std::int64_t get(std::int64_t position) const;
  void set(std::int64_t position, std::int64_t value);
  mutable std::mutex mutex_;
  std::unique_ptr<WritableMappedFile> file_;
};

}  // namespace rmq::store
