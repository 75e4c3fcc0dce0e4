// Test harness for rmq-gen-store: runs the built binary in a fresh mkdtemp directory and reads what it wrote
// back with the record codec (never with the generator's own code), so the generator is checked against the
// format, not against itself.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/store/consume_queue_entry.h"
#include "broker/store/message_record.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::gen_store_test {

namespace fs = std::filesystem;

using rmq::testing::TempDir;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(fs::exists(path) ? static_cast<std::size_t>(fs::file_size(path)) : 0, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

inline common::Bytes read_bytes(const fs::path& path) {
  const std::string text = read_text(path);
  return common::Bytes(text.begin(), text.end());
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// Runs rmq-gen-store with `args` (each passed as one shell word); stderr goes to a file in `scratch`.
inline RunResult run_gen_store(const std::vector<std::string>& args, const fs::path& scratch) {
  std::string command = std::string("'") + RMQ_BINARY_DIR + "/rmq-gen-store'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  const fs::path err_path = scratch / "gen-store.stderr";
  command += " 2>'" + err_path.string() + "'";
  RunResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_text(err_path);
  fs::remove(err_path);
  return result;
}

struct ScannedRecord {
  std::int64_t offset = 0;
  store::MessageRecord record;
  std::int32_t size = 0;
};

// A commitlog read the way recovery reads it: records, blanks that jump to the next file, and the first
// thing that is not a valid record.
struct ScannedLog {
  std::vector<std::string> files;
  std::vector<ScannedRecord> records;
  std::int64_t end_offset = 0;                  // after the last valid record
  std::optional<store::DecodeStatus> failure;   // status that stopped the scan, when not kEmpty
  std::int64_t failure_offset = -1;
  std::vector<std::string> problems;            // layout violations (wrong file size, non-zero tail, ...)
};

inline bool is_log_file_name(const std::string& name) {
  return name.size() == 20 && name.find_first_not_of("0123456789") == std::string::npos;
}

inline ScannedLog scan_commitlog(const fs::path& dir, std::uint64_t file_size) {
  ScannedLog log;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (is_log_file_name(name)) log.files.push_back(name);
  }
  std::sort(log.files.begin(), log.files.end());
  for (std::size_t f = 0; f < log.files.size(); ++f) {
    const std::int64_t start = std::stoll(log.files[f]);
    const common::Bytes bytes = read_bytes(dir / log.files[f]);
    if (bytes.size() != file_size) log.problems.push_back(log.files[f] + " has the wrong size");
    std::size_t pos = 0;
    while (true) {
      store::MessageRecord record;
      const store::DecodeResult r =
          store::decode_record(common::ByteSpan(bytes).subspan(pos), /*check_crc=*/true, &record);
      if (r.status == store::DecodeStatus::kOk) {
        if (record.physical_offset != start + static_cast<std::int64_t>(pos)) {
          log.problems.push_back("PHYSICALOFFSET mismatch at " + std::to_string(start + pos));
        }
        log.records.push_back(ScannedRecord{start + static_cast<std::int64_t>(pos), std::move(record), r.size});
        pos += static_cast<std::size_t>(r.size);
        log.end_offset = start + static_cast<std::int64_t>(pos);
        continue;
      }
      if (r.status == store::DecodeStatus::kBlank) {
        if (static_cast<std::size_t>(r.size) != bytes.size() - pos) log.problems.push_back("blank size mismatch");
        const auto tail = bytes.begin() + static_cast<std::ptrdiff_t>(pos + 8);
        if (std::any_of(tail, bytes.end(), [](auto b) { return b != 0; })) {
          log.problems.push_back("non-zero bytes after the blank in " + log.files[f]);
        }
        break;  // next file
      }
      if (r.status == store::DecodeStatus::kEmpty) {
        if (std::any_of(bytes.begin() + static_cast<std::ptrdiff_t>(pos), bytes.end(), [](auto b) { return b != 0; })) {
          log.problems.push_back("non-zero bytes after the end of data in " + log.files[f]);
        }
        if (f + 1 != log.files.size()) log.problems.push_back("end of data before the last file");
        return log;
      }
      log.failure = r.status;
      log.failure_offset = start + static_cast<std::int64_t>(pos);
      return log;
    }
  }
  return log;
}

// Consume queue entries by (topic, queue, queue offset), read from the 6000000-byte queue files of one
// store root; each file is read once.
class ConsumeQueueReader {
 public:
  explicit ConsumeQueueReader(fs::path store_root) : root_(std::move(store_root)) {}

  std::optional<store::ConsumeQueueEntry> entry(const std::string& topic, std::int32_t queue_id,
                                                std::int64_t queue_offset) {
    const std::uint64_t logical = static_cast<std::uint64_t>(queue_offset) * store::kConsumeQueueEntrySize;
    const std::uint64_t file_start = logical - logical % store::kDefaultConsumeQueueFileSize;
    char name[32];
    std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(file_start));
    const fs::path path = root_ / "consumequeue" / topic / std::to_string(queue_id) / name;
    auto it = files_.find(path.string());
    if (it == files_.end()) {
      if (!fs::exists(path)) return std::nullopt;
      it = files_.emplace(path.string(), read_bytes(path)).first;
    }
    if (it->second.size() != store::kDefaultConsumeQueueFileSize) return std::nullopt;
    return store::decode_consume_queue_entry(common::ByteSpan(it->second).subspan(logical - file_start));
  }

 private:
  fs::path root_;
  std::map<std::string, common::Bytes> files_;
};

}  // namespace rmq::gen_store_test
