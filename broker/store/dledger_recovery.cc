#include "broker/store/dledger_recovery.h"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>

#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_error.h"
#include "broker/store/dledger_index.h"

namespace rmq::store {
namespace {

// Sequential reads of a file list through a window, so a scan costs one pread per window, not per entry.
class WindowReader {
 public:
  WindowReader(const DLedgerFileList& list, std::size_t window_bytes) : list_(list), window_bytes_(window_bytes) {}

  // The bytes [pos, pos + n), which must lie inside one file; valid until the next call.
  common::ByteSpan view(std::int64_t pos, std::size_t n) {
    const auto n64 = static_cast<std::int64_t>(n);
    if (pos < buf_pos_ || pos + n64 > buf_pos_ + static_cast<std::int64_t>(buf_.size())) {
      const std::int64_t first = list_.first_offset();
      const std::int64_t file_end =
          first + ((pos - first) / list_.file_size_bytes() + 1) * list_.file_size_bytes();
      const std::int64_t len = std::min<std::int64_t>(std::max<std::int64_t>(window_bytes_, n64), file_end - pos);
      if (len < n64) throw std::logic_error("WindowReader: read crosses a file end");
      buf_.resize(static_cast<std::size_t>(len));
      list_.read(pos, buf_);
      buf_pos_ = pos;
    }
    return common::ByteSpan(buf_).subspan(static_cast<std::size_t>(pos - buf_pos_), n);
  }

 private:
  const DLedgerFileList& list_;
  std::size_t window_bytes_;
  common::Bytes buf_;
  std::int64_t buf_pos_ = 0;
};

constexpr std::size_t kDataWindowBytes = 8 * 1024 * 1024;  // more than the largest entry
constexpr std::size_t kIndexWindowBytes = 256 * 1024;

bool index_covers(const DLedgerFileList& index, std::int64_t unit_offset) {
  return !index.empty() && unit_offset >= index.first_offset() &&
         unit_offset + static_cast<std::int64_t>(kDLedgerIndexUnitBytes) <= index.write_pos();
}

std::optional<DLedgerIndexUnit> read_unit(WindowReader& reader, const DLedgerFileList& index, std::int64_t entry_index) {
  const std::int64_t offset = index_unit_offset(entry_index);
  if (!index_covers(index, offset)) return std::nullopt;
  return decode_index_unit(reader.view(offset, kDLedgerIndexUnitBytes));
}

// Upstream's pre-check of a candidate start file: its first entry is valid, agrees with its index unit, and
// (ours) passes the body check.
bool first_entry_checks_out(const DLedgerFileList& data, const DLedgerFileList& index, std::size_t file,
                            const DLedgerBodyCheck& body_check) {
  const std::int64_t start = data.file_start(file);
  std::array<std::uint8_t, kDLedgerHeaderBytes> raw{};
  data.read(start, raw);
  const DLedgerEntryHeader h = decode_entry_header(raw);
  if (entry_header_problem(h, start) || h.index < 0 || h.index > kDLedgerMaxEntryIndex || h.term < 0) return false;
  if (h.size > data.file_size_bytes()) return false;
  WindowReader index_reader(index, kDLedgerIndexUnitBytes);
  const auto unit = read_unit(index_reader, index, h.index);
  if (!unit || *unit != index_unit_for(h)) return false;
  if (body_check) {
    common::Bytes body(static_cast<std::size_t>(h.body_len));
    data.read(start + static_cast<std::int64_t>(kDLedgerHeaderBytes), body);
    if (body_check(start, body)) return false;
  }
  return true;
}

}  // namespace

DLedgerRecoveryResult recover_dledger_files(DLedgerFileList& data, DLedgerFileList& index,
                                            const DLedgerBodyCheck& body_check, std::int64_t committed_index) {
  if (data.empty()) throw std::logic_error("recover_dledger_files needs at least one data file");
  const std::int64_t file_size = data.file_size_bytes();
  DLedgerRecoveryResult result;

  std::size_t file = data.file_count() >= 3 ? data.file_count() - 3 : 0;
  while (file > 0 && !first_entry_checks_out(data, index, file, body_check)) --file;
  const std::size_t scan_start_file = file;
  result.scan_start_pos = data.file_start(file);

  WindowReader data_reader(data, kDataWindowBytes);
  WindowReader index_reader(index, kIndexWindowBytes);
  std::int64_t pos = data.file_start(file);
  std::int64_t process_offset = pos;
  std::int64_t first_index = -1;
  std::int64_t last_index = -1;
  std::int64_t last_term = -1;
  bool rewriting_index = false;
  std::array<std::uint8_t, kDLedgerIndexUnitBytes> unit_bytes{};

  while (true) {
    const std::int64_t file_end = data.file_start(file) + file_size;
    const std::int64_t remaining = file_end - pos;
    if (remaining < 4) {
      result.stop_reason = "file ends at " + std::to_string(pos) + " without a blank";
      result.stopped_on_invalid_entry = true;
      break;
    }
    const std::int32_t magic = common::load_i32_be(data_reader.view(pos, 4).data());
    if (magic == kDLedgerBlankMagic) {
      process_offset = file_end;
      if (++file >= data.file_count()) {
        result.stop_reason = "blank at the end of the last file";
        break;
      }
      pos = process_offset = data.file_start(file);
      continue;
    }
    if (remaining < 8 || common::load_i32_be(data_reader.view(pos, 8).data() + 4) == 0) {
      result.stop_reason = "end of data at " + std::to_string(pos);
      break;
    }
    if (remaining < static_cast<std::int64_t>(kDLedgerHeaderBytes)) {
      result.stop_reason = "header cut by the file end at " + std::to_string(pos);
      result.stopped_on_invalid_entry = true;
      break;
    }
    const DLedgerEntryHeader h = decode_entry_header(data_reader.view(pos, kDLedgerHeaderBytes));
    std::optional<std::string> problem = entry_header_problem(h, pos);
    if (!problem && h.size > remaining) problem = "size " + std::to_string(h.size) + " crosses the file end";
    if (!problem && (h.index < 0 || h.index > kDLedgerMaxEntryIndex || h.term < 0)) {
      problem = "index " + std::to_string(h.index) + " or term " + std::to_string(h.term) + " out of range";
    }
    if (!problem && last_index != -1 && h.index != last_index + 1) {
      problem = "index " + std::to_string(h.index) + " after " + std::to_string(last_index);
    }
    if (!problem && h.term < last_term) {
      problem = "term " + std::to_string(h.term) + " below " + std::to_string(last_term);
    }
    if (!problem && body_check) {
      problem = body_check(pos, data_reader.view(pos + static_cast<std::int64_t>(kDLedgerHeaderBytes),
                                                 static_cast<std::size_t>(h.body_len)));
    }
    if (problem) {
      result.stop_reason = "entry at " + std::to_string(pos) + ": " + *problem;
      result.stopped_on_invalid_entry = true;
      break;
    }

    const DLedgerIndexUnit unit = index_unit_for(h);
    if (!rewriting_index) {
      const auto on_disk = read_unit(index_reader, index, h.index);
      if (!on_disk || *on_disk != unit) {
        index.position_at(index_unit_offset(h.index));
        rewriting_index = true;
      }
    }
    if (rewriting_index) {
      encode_index_unit(unit, unit_bytes);
      const std::int64_t at = index.append(unit_bytes);
      if (at != index_unit_offset(h.index)) {
        throw std::logic_error("index unit for entry " + std::to_string(h.index) + " landed at " + std::to_string(at));
      }
      ++result.index_units_rewritten;
    }
    if (first_index == -1) first_index = h.index;
    last_index = h.index;
    last_term = h.term;
    ++result.entries_scanned;
    pos += h.size;
    process_offset = pos;
  }

  // Never truncate a committed entry. The checkpoint is written after the data it covers is synced, so data
  // that stops on an invalid entry below the committed index is damage (a flipped body byte, a bad header),
  // not a torn tail: refuse before anything is truncated. (A clean end below it is a checkpoint that ran
  // ahead of flushed data; the caller caps the committed index.)
  if (result.stopped_on_invalid_entry && last_index < committed_index) {
    const std::string file_path = (data.dir() / DLedgerFileList::file_name(data.file_start(file))).string();
    const std::string entry = last_index == -1 ? "the first entry scanned"
                                               : "entry " + std::to_string(last_index + 1);
    const std::string lost = last_index == -1 ? "entries up to " + std::to_string(committed_index)
                                              : "entries " + std::to_string(last_index + 1) + ".." +
                                                    std::to_string(committed_index);
    throw DLedgerCorruption(file_path + ": recovery stopped at position " + std::to_string(process_offset) +
                            " (offset " + std::to_string(process_offset - data.file_start(file)) +
                            " in the file), at " + entry + " (" + result.stop_reason +
                            "), but the checkpoint's committedIndex is " + std::to_string(committed_index) +
                            "; discarding from there would lose committed " + lost + ", check it manually");
  }

  const std::int64_t last_file_start = data.file_start(data.file_count() - 1);
  if (last_file_start - process_offset > file_size) {
    throw DLedgerCorruption(data.dir().string() + ": valid entries end at " + std::to_string(process_offset) +
                            " (" + result.stop_reason + ") but data files run on to " +
                            DLedgerFileList::file_name(last_file_start) +
                            "; more than a whole file would be discarded, check it manually");
  }
  if (last_index == -1 && scan_start_file > 0) {
    throw DLedgerCorruption(data.dir().string() + ": the entry that starts file " +
                            DLedgerFileList::file_name(result.scan_start_pos) +
                            " checked out, then failed the scan: " + result.stop_reason);
  }

  if (last_index != -1) {
    result.begin_index = first_index;
    if (scan_start_file > 0) {  // the first file was not scanned: read its first entry, as upstream does
      std::array<std::uint8_t, kDLedgerHeaderBytes> raw{};
      data.read(data.first_offset(), raw);
      const DLedgerEntryHeader first = decode_entry_header(raw);
      if (auto problem = entry_header_problem(first, data.first_offset()); problem || first.index < 0 || first.index > kDLedgerMaxEntryIndex) {
        throw DLedgerCorruption(data.dir().string() + ": the first entry of the first data file is not valid: " +
                                problem.value_or("index out of range"));
      }
      result.begin_index = first.index;
    }
  }
  result.end_index = last_index;
  result.end_term = last_term;
  result.end_pos = process_offset;

  data.truncate(process_offset);
  index.position_at(index_unit_offset(last_index + 1));
  data.sync();
  index.sync();
  return result;
}

}  // namespace rmq::store
