// Test helper: writes a small legacy commitlog the way the broker lays it out (records back to back, an
// 8-byte blank record where the next one does not fit, zero tail), so scan and check tests can build the
// exact situation they test. Records come from the encoder: these helpers serve behaviour tests, while the
// byte layout itself is pinned by the hand-assembled format tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/store/commitlog_files.h"
#include "broker/store/message_record.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::testing {

inline constexpr std::size_t kSampleFileSize = 2048;

// Record `n` of a sample log at `offset`; `variant` changes the body so two logs can diverge.
inline store::MessageRecord sample_record(std::int64_t offset, int n, int variant = 0) {
  store::MessageRecord r;
  r.topic = "TopicTest";
  r.queue_id = n % 4;
  r.queue_offset = n;
  r.physical_offset = offset;
  r.born_timestamp_ms = 1700000000000 + n;
  r.store_timestamp_ms = 1700000000100 + n;
  r.born_host = {{127, 0, 0, 1}, 50000};
  r.store_host = {{10, 0, 0, 7}, 10911};
  r.body = store::Bytes(100 + static_cast<std::size_t>(n % 7), static_cast<std::uint8_t>('a' + (n + variant) % 26));
  r.properties = std::string("TAGS\x01TagA\x02", 10);
  store::seal(r);
  return r;
}

struct SampleLogOptions {
  int count = 30;              // records
  int first_file = 0;          // files before this index are not written (a slave missing old files)
  int extra_zero_files = 0;    // pre-allocated files after the last one
  int diverge_from = -1;       // records from this index on get variant 1
};

// Writes the log into `dir`; returns every record's absolute offset (including those in unwritten files).
inline std::vector<std::int64_t> write_sample_log(const std::filesystem::path& dir, const SampleLogOptions& o) {
  const std::size_t size = kSampleFileSize;
  std::vector<store::Bytes> files(1);
  std::vector<std::int64_t> offsets;
  for (int n = 0; n < o.count; ++n) {
    const int variant = (o.diverge_from >= 0 && n >= o.diverge_from) ? 1 : 0;
    std::int64_t offset = static_cast<std::int64_t>((files.size() - 1) * size + files.back().size());
    store::Bytes rec;
    store::encode(sample_record(offset, n, variant), rec);
    if (files.back().size() + rec.size() + store::kBlankRecordSize > size) {
      store::encode_blank(static_cast<std::int32_t>(size - files.back().size()), files.back());
      files.back().resize(size, 0);
      files.emplace_back();
      offset = static_cast<std::int64_t>((files.size() - 1) * size);
      rec.clear();
      store::encode(sample_record(offset, n, variant), rec);
    }
    offsets.push_back(offset);
    files.back().insert(files.back().end(), rec.begin(), rec.end());
  }
  files.back().resize(size, 0);
  for (int i = 0; i < o.extra_zero_files; ++i) files.emplace_back(size, 0);
  std::filesystem::create_directories(dir);
  for (std::size_t i = static_cast<std::size_t>(o.first_file); i < files.size(); ++i) {
    write_file(dir / store::commitlog_file_name(static_cast<std::int64_t>(i * size)), files[i]);
  }
  return offsets;
}

// The end offset of record `n` in a sample log.
inline std::int64_t sample_record_end(std::int64_t offset, int n, int variant = 0) {
  store::Bytes rec;
  store::encode(sample_record(offset, n, variant), rec);
  return offset + static_cast<std::int64_t>(rec.size());
}

// Overwrites one byte at an absolute commitlog offset.
inline void set_byte_at(const std::filesystem::path& dir, std::int64_t offset, std::uint8_t value) {
  const auto file_start = offset - offset % static_cast<std::int64_t>(kSampleFileSize);
  const auto path = dir / store::commitlog_file_name(file_start);
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (f == nullptr) throw std::runtime_error("cannot open " + path.string());
  std::fseek(f, static_cast<long>(offset - file_start), SEEK_SET);
  std::fputc(value, f);
  std::fclose(f);
}

}  // namespace rmq::testing
