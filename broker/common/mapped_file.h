// A read-only memory map of a whole file, for scanning commitlog and DLedger files at memory speed.
//
// Readers never write through this map, so a scan of a live or source store cannot change it. A zero-length
// file maps to an empty span. Errors (open, fstat, mmap) throw IoError naming the path.
#pragma once

#include <filesystem>
#include <string>

#include "broker/common/bytes.h"
#include "broker/common/io_error.h"

namespace rmq::common {

class MappedFile {
 public:
  // `populate` maps every page up front (MAP_POPULATE): one kernel pass instead of a fault per few pages,
  // for callers that will read the whole file anyway.
  explicit MappedFile(const std::filesystem::path& path, bool populate = false);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) = delete;

  ByteSpan bytes() const { return {data_, size_bytes_}; }
  std::size_t size_bytes() const { return size_bytes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_bytes_ = 0;
};

}  // namespace rmq::common
