#include "broker/store/dledger_store_scan.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "broker/common/file_system_posix.h"
#include "broker/common/mapped_file.h"
#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_index.h"
#include "broker/store/dledger_noop.h"
#include "broker/store/message_record.h"

namespace rmq::store {

namespace fs = std::filesystem;

namespace {

std::map<std::int64_t, fs::path> offset_files(const fs::path& dir) {
  std::map<std::int64_t, fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 20 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::int64_t start = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), start);
    if (err == std::errc() && end == name.data() + name.size()) files[start] = entry.path();
  }
  return files;
}

bool all_zero(common::ByteSpan bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// Index units read lazily from the index files (file size inferred from the first file).
class IndexReader {
 public:
  explicit IndexReader(const fs::path& dir) {
    for (const auto& [start, path] : offset_files(dir)) files_.emplace(start, common::MappedFile(path));
    if (!files_.empty()) file_bytes_ = static_cast<std::int64_t>(files_.begin()->second.size_bytes());
  }
  std::optional<DLedgerIndexUnit> unit(std::int64_t index) const {
    if (file_bytes_ <= 0) return std::nullopt;
    const std::int64_t at = index_unit_offset(index);
    const std::int64_t start = at - at % file_bytes_;
    auto it = files_.find(start);
    if (it == files_.end()) return std::nullopt;
    const auto bytes = it->second.bytes();
    const auto rel = static_cast<std::size_t>(at - start);
    if (rel + kDLedgerIndexUnitBytes > bytes.size()) return std::nullopt;
    return decode_index_unit(bytes.subspan(rel, kDLedgerIndexUnitBytes));
  }

 private:
  std::map<std::int64_t, common::MappedFile> files_;
  std::int64_t file_bytes_ = 0;
};

}  // namespace

bool DLedgerStoreScan::corrupt() const {
  return std::any_of(problems.begin(), problems.end(), [](const auto& p) { return p.corruption; });
}

DLedgerStoreScan scan_dledger_store(const fs::path& dledger_dir, const std::optional<fs::path>& data_dir,
                                    bool check_crc) {
  DLedgerStoreScan scan;
  scan.data_dir = data_dir ? *data_dir : dledger_dir / "data";
  if (fs::exists(dledger_dir / "checkpoint") || fs::exists(dledger_dir / "checkpoint.bak")) {
    common::PosixFileSystem posix;
    scan.checkpoint = DLedgerMemberStateFile(posix, dledger_dir).load_checkpoint();
  }
  const std::int64_t committed = scan.checkpoint ? scan.checkpoint->committed_index : -1;
  const auto files = offset_files(scan.data_dir);
  if (files.empty()) {
    scan.problems.push_back({std::nullopt, "missing_file", scan.data_dir.string() + " holds no data file", true});
    return scan;
  }
  const IndexReader index(dledger_dir / "index");
  scan.first_file_offset = files.begin()->first;
  scan.data_file_bytes = static_cast<std::int64_t>(fs::file_size(files.begin()->second));
  const std::int64_t file_bytes = scan.data_file_bytes;
  auto problem = [&](std::int64_t pos, const char* kind, const std::string& detail, bool corruption = true) {
    scan.problems.push_back({pos, kind, detail, corruption});
  };
  std::int64_t expected_start = scan.first_file_offset;
  std::int64_t last_index = -1;
  std::int64_t last_term = -1;
  bool ended = false;
  scan.end_pos = scan.first_file_offset;
  for (const auto& [start, path] : files) {
    if (start != expected_start) {
      problem(expected_start, "missing_file", path.string() + ": expected a data file starting at " +
                                                   std::to_string(expected_start));
      break;
    }
    expected_start = start + file_bytes;
    const common::MappedFile file(path);
    const auto bytes = file.bytes();
    if (static_cast<std::int64_t>(bytes.size()) != file_bytes) {
      problem(start, "wrong_file_size", path.string() + ": " + std::to_string(bytes.size()) + " bytes, the first "
                                            "data file has " + std::to_string(file_bytes));
      break;
    }
    std::size_t at = 0;
    if (ended) {
      if (!all_zero(bytes)) problem(start, "data_after_end", path.string() + ": data after the end of the log");
      continue;
    }
    while (at < bytes.size()) {
      const std::int64_t pos = start + static_cast<std::int64_t>(at);
      const auto rest = bytes.subspan(at);
      if (rest.size() < 8 || all_zero(rest.first(8))) {
        ended = true;
        if (!all_zero(rest)) {
          problem(pos, "data_after_end", path.string() + " offset " + std::to_string(at) +
                                             ": non-zero bytes after the end of the log", last_index < committed);
        }
        break;
      }
      if (common::load_i32_be(rest.data()) == kDLedgerBlankMagic) {
        if (common::load_i32_be(rest.data() + 4) != static_cast<std::int32_t>(rest.size())) {
          problem(pos, "bad_blank", path.string() + " offset " + std::to_string(at) + ": DLedger blank of " +
                                        std::to_string(common::load_i32_be(rest.data() + 4)) + " bytes, " +
                                        std::to_string(rest.size()) + " remain");
          ended = true;
        }
        at = bytes.size();
        break;
      }
      std::string why;
      DLedgerEntryHeader h;
      if (rest.size() < kDLedgerHeaderBytes) {
        why = "entry header cut by the file end";
      } else {
        h = decode_entry_header(rest);
        if (auto p = entry_header_problem(h, pos)) {
          why = *p;
        } else if (static_cast<std::size_t>(h.size) > rest.size()) {
          why = "entry of " + std::to_string(h.size) + " bytes runs past the file end";
        } else if (h.index != last_index + 1 && last_index >= 0) {
          why = "index " + std::to_string(h.index) + " after " + std::to_string(last_index);
        } else if (h.term < last_term) {
          why = "term " + std::to_string(h.term) + " below the previous " + std::to_string(last_term);
        }
      }
      if (why.empty()) {
        const auto body = rest.subspan(kDLedgerHeaderBytes, static_cast<std::size_t>(h.body_len));
        MessageRecord record;
        const DecodeResult r = decode_record(body, check_crc, &record);
        if (r.status != DecodeStatus::kOk || static_cast<std::size_t>(r.size) != body.size()) {
          why = std::string("body is not one commitlog record: ") + to_string(r.status) +
                (r.detail.empty() ? "" : " (" + r.detail + ")");
        } else if (record.physical_offset != pos + static_cast<std::int64_t>(kDLedgerHeaderBytes)) {
          why = "record PHYSICALOFFSET " + std::to_string(record.physical_offset) + " is not pos + 48 = " +
                std::to_string(pos + static_cast<std::int64_t>(kDLedgerHeaderBytes));
        } else if (is_noop_body(body)) {
          ++scan.noop_entries;
        }
      }
      if (!why.empty()) {
        const std::int64_t bad_index = last_index + 1;
        const bool is_committed = bad_index <= committed;
        problem(pos, "bad_entry", path.string() + " offset " + std::to_string(at) + " (entry " +
                                      std::to_string(bad_index) + "): " + why +
                                      (is_committed ? "; the checkpoint counts it as committed: the broker refuses "
                                                      "to start (exit 3), restore the store from a healthy peer"
                                                    : "; not committed: recovery discards it and what follows"),
                is_committed);
        ended = true;
        break;
      }
      if (scan.begin_index < 0) scan.begin_index = h.index;
      const auto unit = index.unit(h.index);
      const DLedgerIndexUnit want = index_unit_for(h);
      if (!unit) {
        problem(pos, "missing_index", "no index unit for entry " + std::to_string(h.index) +
                                          " (recovery rebuilds it)", false);
      } else if (!(*unit == want)) {
        problem(pos, "index_mismatch", "index unit of entry " + std::to_string(h.index) +
                                           " disagrees with the data (recovery rewrites it)", false);
      } else {
        ++scan.index_units_checked;
      }
      last_index = h.index;
      last_term = h.term;
      ++scan.entries;
      at += static_cast<std::size_t>(h.size);
      scan.end_pos = start + static_cast<std::int64_t>(at);
    }
  }
  scan.end_index = last_index;
  scan.end_term = last_term;
  if (committed > last_index) {
    scan.problems.push_back({scan.end_pos, "checkpoint_ahead",
                             "the checkpoint's committedIndex " + std::to_string(committed) +
                                 " is past the last entry " + std::to_string(last_index),
                             false});
  }
  return scan;
}

}  // namespace rmq::store
