// Writes one side's commitlog/ directory as the broker leaves it: files named by their 20-digit absolute
// start offset, each exactly file_size bytes, records at their PHYSICALOFFSET, and every byte not written
// (the tail after a blank record, the free space of the active file) zero.
//
// Records are gathered in a large buffer and written with a few big positioned writes, so that the
// benchmark stores (1 GiB files) cost hundreds of syscalls per file, not one per record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "broker/common/bytes.h"
#include "tools/gen_store/output_file.h"

namespace rmq::tools {

// "00000000001073741824": the name of the mapped file starting at `offset` (UtilAll.offset2FileName).
std::string mapped_file_name(std::uint64_t offset);

class CommitLogWriter {
 public:
  CommitLogWriter(std::filesystem::path dir, std::uint64_t file_size_bytes);
  ~CommitLogWriter();
  CommitLogWriter(const CommitLogWriter&) = delete;
  CommitLogWriter& operator=(const CommitLogWriter&) = delete;

  // Writes `bytes` at absolute commitlog offset `offset`, which must not be below anything written before
  // and must not cross a file end. Reaching a later file completes the current one.
  void write(std::uint64_t offset, common::ByteSpan bytes);
  // Completes the active file. Nothing may be written afterwards.
  void finish();

  const std::vector<std::string>& file_names() const { return file_names_; }

 private:
  void flush();
  void complete_file();

  std::filesystem::path dir_;
  std::uint64_t file_size_bytes_;
  std::unique_ptr<OutputFile> file_;
  std::uint64_t file_start_ = 0;
  common::Bytes buffer_;
  std::uint64_t buffer_position_ = 0;  // position in the file where buffer_ starts
  std::uint64_t end_position_ = 0;     // absolute offset after the last byte written
  std::vector<std::string> file_names_;
};

}  // namespace rmq::tools
