// A file the generator creates: never an existing one (O_EXCL, so a generator run cannot overwrite a real
// store), written with positioned writes and sized with ftruncate so that the unwritten tail of a mapped
// file reads as zeros without being written (sparse, like a freshly mmapped RocketMQ file).
//
// Every failure throws std::system_error naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "broker/common/bytes.h"

namespace rmq::tools {

class OutputFile {
 public:
  explicit OutputFile(std::filesystem::path path);  // creates it; throws if it exists
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write_at(std::uint64_t offset, common::ByteSpan bytes);
  void set_size(std::uint64_t size_bytes);
  void close();  // reports a failing close; the destructor closes silently
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Creates `path` holding exactly `text`.
void write_new_text_file(const std::filesystem::path& path, std::string_view text);

}  // namespace rmq::tools
