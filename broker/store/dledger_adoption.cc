#include "broker/store/dledger_adoption.h"

#include <algorithm>
#include <charconv>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "broker/common/crc32.h"
#include "broker/common/file_system_posix.h"
#include "broker/common/java_properties.h"
#include "broker/common/md5.h"
#include "broker/store/commit_log.h"
#include "broker/store/dledger_body_check.h"
#include "broker/store/dledger_error.h"
#include "broker/store/message_record.h"

namespace rmq::store {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kTailWindowBytes = 1 << 20;

struct LegacyFile {
  std::int64_t start = 0;
  fs::path path;
};

bool parse_offset_name(const std::string& name, std::int64_t* out) {
  if (name.size() != 20 || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), *out);
  return err == std::errc() && end == name.data() + name.size();
}

std::vector<LegacyFile> list_legacy_files(const fs::path& dir) {
  std::vector<LegacyFile> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::int64_t start = 0;
    if (entry.is_regular_file() && parse_offset_name(entry.path().filename().string(), &start)) {
      files.push_back({start, entry.path()});
    }
  }
  if (ec) throw common::IoError("list " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return files;
}

std::string offset_name(std::int64_t offset) { return DLedgerFileList::file_name(offset); }

common::Bytes read_range(const fs::path& path, std::int64_t from, std::int64_t to) {
  common::PosixFileSystem posix;
  auto file = posix.open(path, common::OpenMode::kRead);
  common::Bytes out(static_cast<std::size_t>(to - from));
  const std::size_t got = file->read_at(static_cast<std::uint64_t>(from), out);
  out.resize(got);
  return out;
}

std::uint32_t tail_crc(const fs::path& path, std::int64_t blank_end) {
  const common::Bytes window = read_range(path, std::max<std::int64_t>(0, blank_end - kTailWindowBytes), blank_end);
  return common::crc32(window);
}

bool has_data_files(common::FileSystem& fs, const fs::path& data_dir) {
  if (!fs.exists(data_dir)) return false;
  for (const std::string& name : fs.list_dir(data_dir)) {
    std::int64_t start = 0;
    if (parse_offset_name(name, &start)) return true;
  }
  return false;
}

std::int64_t first_data_file_start(common::FileSystem& fs, const fs::path& data_dir) {
  std::int64_t first = -1;
  for (const std::string& name : fs.list_dir(data_dir)) {
    std::int64_t start = 0;
    if (parse_offset_name(name, &start) && (first < 0 || start < first)) first = start;
  }
  return first;
}

void write_record_durably(common::FileSystem& fs, const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    auto file = fs.open(tmp, common::OpenMode::kCreateTruncate);
    file->append(common::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    file->sync();
  }
  fs.rename(tmp, path);
  fs.sync_dir(path.parent_path());
}

std::optional<LegacyPrefixRecord> read_record(common::FileSystem& fs, const fs::path& path) {
  const auto bytes = common::read_whole_file(fs, path, 64 * 1024);
  if (!bytes) return std::nullopt;
  try {
    return LegacyPrefixRecord::parse(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                                     path.string());
  } catch (const std::exception& e) {
    throw DLedgerStartRefused(std::string(e.what()) +
                              "; the legacy-prefix record is damaged: restore it from a peer with the same "
                              "dividedCommitlogOffset or re-seed this node");
  }
}

// Describes the legacy log as it lies now: the last file, its tail blank, digests. `blank_pos` is the
// file-relative position of the blank that ends the last file.
void describe_last_file(const LegacyFile& last, std::int64_t file_size, std::int64_t blank_pos, std::size_t count,
                        LegacyPrefixRecord& record) {
  const common::Bytes blank = read_range(last.path, blank_pos, blank_pos + 8);
  if (blank.size() != 8 || common::load_i32_be(blank.data()) != static_cast<std::int32_t>(file_size - blank_pos) ||
      common::load_i32_be(blank.data() + 4) != kBlankMagic) {
    throw DLedgerCorruption(last.path.string() + ": no end-of-file blank record at offset " +
                            std::to_string(blank_pos) + " where the legacy log ends");
  }
  record.legacy_file_count = static_cast<std::int64_t>(count);
  record.last_file_name = last.path.filename().string();
  record.last_file_size_bytes = file_size;
  record.last_file_blank_end = blank_pos + 8;
  record.last_file_md5 = common::md5_file_hex(last.path);
  record.last_file_tail_crc32 = tail_crc(last.path, record.last_file_blank_end);
}

// The file-relative position of the blank that ends `last`: after its last valid record.
std::int64_t find_tail_blank(const CommitLog& log, const LegacyFile& last, std::int64_t file_size) {
  std::int64_t data_end = last.start;
  log.scan(last.start, /*check_crc=*/false, [&](const MessageRecord&, std::int64_t offset, std::int32_t size) {
    if (offset < last.start + file_size) data_end = offset + size;
  });
  return data_end - last.start;
}

DLedgerStoreOptions entry_store_options(const DLedgerCommitLogOptions& options, std::int64_t divided) {
  DLedgerStoreOptions o;
  o.store_root = options.store_root;
  o.self_id = options.self_id;
  o.data_dir = options.dledger_data_dir;
  o.data_file_bytes = options.file_size_bytes;
  o.index_file_bytes = options.index_file_bytes;
  o.first_entry_pos = divided;
  o.body_check = commitlog_record_body_check(options.check_crc_on_recover);
  return o;
}

void check_later_start(common::FileSystem& fs, const DLedgerCommitLogOptions& options,
                       const LegacyPrefixRecord& record, DLedgerAdoption& out) {
  const std::string record_path = options.record_path().string();
  if (record.self_id != options.self_id) {
    throw DLedgerStartRefused(record_path + " was written by node " + record.self_id + ", but this node is " +
                              options.self_id + ": fix dLegerSelfId or storePathRootDir");
  }
  const fs::path data_dir = options.dledger_data_path();
  if (!has_data_files(fs, data_dir)) {
    throw DLedgerStartRefused(
        "DLedger store " + data_dir.string() + " is missing, but " + record_path + " says node " + record.self_id +
        " joined its group at dividedCommitlogOffset " + std::to_string(record.divided_offset) +
        ": refusing to rejoin with an empty log; restore the directory, or re-seed this node from a healthy peer "
        "(copy its dledger-<id> store) and remove " + record_path + " only if you know the node's entries are lost");
  }
  const std::int64_t first = first_data_file_start(fs, data_dir);
  if (first != record.divided_offset) {
    throw DLedgerStartRefused(data_dir.string() + ": the first data file starts at " + std::to_string(first) +
                              ", but " + record_path + " records dividedCommitlogOffset " +
                              std::to_string(record.divided_offset) +
                              ": this DLedger store belongs to another legacy prefix; restore the matching store");
  }
  const auto files = list_legacy_files(options.legacy_path());
  out.legacy_min_offset = files.empty() ? record.divided_offset : files.front().start;
  out.legacy_data_end = record.divided_offset;
  if (files.empty() || record.last_file_name.empty()) {
    if (!files.empty()) {
      throw DLedgerStartRefused(options.legacy_path().string() + " holds legacy files, but " + record_path +
                                " says this node started without a legacy commitlog: remove the stray files");
    }
    return;  // no legacy log, or every legacy file expired and was deleted (storage.md 6.8)
  }
  const fs::path last = options.legacy_path() / record.last_file_name;
  const std::string repair = "; the legacy prefix must be identical on every node of the group: copy the legacy "
                             "commitlog from a healthy peer (compare md5sum of " + record.last_file_name +
                             " with the recorded " + record.last_file_md5 + ")";
  std::error_code ec;
  if (!fs::exists(last, ec)) {
    throw DLedgerStartRefused(last.string() + " is missing, but " + record_path + " records it as the last " +
                              "legacy file" + repair);
  }
  if (files.back().path.filename() != record.last_file_name) {
    throw DLedgerStartRefused(options.legacy_path().string() + ": the last legacy file is " +
                              files.back().path.filename().string() + ", but " + record_path + " records " +
                              record.last_file_name + repair);
  }
  const auto size = static_cast<std::int64_t>(fs::file_size(last, ec));
  if (ec || size != record.last_file_size_bytes) {
    throw DLedgerStartRefused(last.string() + ": size " + std::to_string(size) + " differs from the recorded " +
                              std::to_string(record.last_file_size_bytes) + repair);
  }
  const std::uint32_t crc = tail_crc(last, record.last_file_blank_end);
  if (crc != record.last_file_tail_crc32) {
    throw DLedgerStartRefused(last.string() + ": the bytes before its end-of-file blank (CRC32 " +
                              std::to_string(crc) + ") differ from what " + record_path + " recorded (" +
                              std::to_string(record.last_file_tail_crc32) + ")" + repair);
  }
  out.legacy_data_end = files.back().start + record.last_file_blank_end - 8;
}

}  // namespace

fs::path DLedgerCommitLogOptions::legacy_path() const {
  return legacy_dir.empty() ? store_root / "commitlog" : legacy_dir;
}
fs::path DLedgerCommitLogOptions::dledger_dir() const { return store_root / ("dledger-" + self_id); }
fs::path DLedgerCommitLogOptions::dledger_data_path() const {
  return dledger_data_dir ? *dledger_data_dir : dledger_dir() / "data";
}
fs::path DLedgerCommitLogOptions::record_path() const { return store_root / ("dledger-" + self_id + ".legacy"); }

std::string LegacyPrefixRecord::to_properties() const {
  common::JavaProperties p;
  p.set("selfId", self_id);
  p.set("dividedCommitlogOffset", std::to_string(divided_offset));
  p.set("legacyFileCount", std::to_string(legacy_file_count));
  p.set("lastLegacyFile", last_file_name);
  p.set("lastLegacyFileSize", std::to_string(last_file_size_bytes));
  p.set("lastLegacyFileMd5", last_file_md5);
  p.set("lastLegacyFileBlankEnd", std::to_string(last_file_blank_end));
  p.set("lastLegacyFileTailCrc32", std::to_string(last_file_tail_crc32));
  return "# rmq-broker: the legacy commitlog this DLedger node adopted (do not edit)\n" + p.to_string();
}

LegacyPrefixRecord LegacyPrefixRecord::parse(std::string_view text, const std::string& source) {
  const common::JavaProperties p = common::JavaProperties::parse(text, source);
  auto need = [&](const char* key) {
    const auto v = p.get(key);
    if (!v) throw std::runtime_error(source + ": key " + key + " is missing");
    return *v;
  };
  auto need_int = [&](const char* key) {
    const std::string v = need(key);
    std::int64_t n = 0;
    const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (err != std::errc() || end != v.data() + v.size() || n < 0) {
      throw std::runtime_error(source + ": " + key + "=" + v + " is not a non-negative integer");
    }
    return n;
  };
  LegacyPrefixRecord r;
  r.self_id = need("selfId");
  r.divided_offset = need_int("dividedCommitlogOffset");
  r.legacy_file_count = need_int("legacyFileCount");
  r.last_file_name = need("lastLegacyFile");
  r.last_file_size_bytes = need_int("lastLegacyFileSize");
  r.last_file_md5 = need("lastLegacyFileMd5");
  r.last_file_blank_end = need_int("lastLegacyFileBlankEnd");
  const std::int64_t crc = need_int("lastLegacyFileTailCrc32");
  if (crc > 0xFFFFFFFFLL) throw std::runtime_error(source + ": lastLegacyFileTailCrc32 is out of range");
  r.last_file_tail_crc32 = static_cast<std::uint32_t>(crc);
  std::int64_t ignored = 0;
  if (!r.last_file_name.empty() && !parse_offset_name(r.last_file_name, &ignored)) {
    throw std::runtime_error(source + ": lastLegacyFile=" + r.last_file_name + " is not a 20-digit file name");
  }
  if (!r.last_file_name.empty() &&
      (r.last_file_blank_end < 8 || r.last_file_blank_end > r.last_file_size_bytes)) {
    throw std::runtime_error(source + ": lastLegacyFileBlankEnd=" + std::to_string(r.last_file_blank_end) +
                             " is outside the file");
  }
  return r;
}

DLedgerAdoption prepare_dledger_commit_log(common::FileSystem& fs, const DLedgerCommitLogOptions& options) {
  if (options.self_id.empty()) throw std::invalid_argument("dLegerSelfId is empty");
  if (options.file_size_bytes < 4096) throw std::invalid_argument("mappedFileSizeCommitLog is below 4096");
  const std::int64_t file_size = options.file_size_bytes;
  DLedgerAdoption out;
  const fs::path record_path = options.record_path();
  if (auto record = read_record(fs, record_path)) {
    check_later_start(fs, options, *record, out);
    out.record = *record;
    out.entry_store_options = entry_store_options(options, record->divided_offset);
    return out;
  }

  const fs::path data_dir = options.dledger_data_path();
  const fs::path legacy_dir = options.legacy_path();
  LegacyPrefixRecord record;
  record.self_id = options.self_id;
  auto files = list_legacy_files(legacy_dir);

  if (has_data_files(fs, data_dir)) {
    // A DLedger store without our record (Java-written, or adopted by an older build): upstream's rule.
    record.divided_offset = first_data_file_start(fs, data_dir);
    if (!files.empty()) {
      const LegacyFile& last = files.back();
      if (last.start + file_size != record.divided_offset) {
        throw DLedgerStartRefused(legacy_dir.string() + ": the last legacy file " + last.path.filename().string() +
                                  " does not end at the first DLedger data file " + offset_name(record.divided_offset) +
                                  " in " + data_dir.string() + ": the legacy commitlog and the DLedger store do "
                                  "not belong together");
      }
      CommitLog log(legacy_dir, file_size, HostAddress{{0, 0, 0, 0}, 0});
      log.load();
      describe_last_file(last, file_size, find_tail_blank(log, last, file_size), files.size(), record);
      out.legacy_min_offset = files.front().start;
      out.legacy_data_end = last.start + record.last_file_blank_end - 8;
    } else {
      out.legacy_min_offset = out.legacy_data_end = record.divided_offset;
    }
  } else {
    out.first_start = true;
    if (files.empty()) {
      record.divided_offset = 0;
      out.legacy_min_offset = out.legacy_data_end = 0;
    } else {
      // Step 1: recover the legacy log (4.9.8 always recovers normally here, storage.md 6.3).
      CommitLog log(legacy_dir, file_size, HostAddress{{0, 0, 0, 0}, 0});
      log.load();
      const std::int64_t from = log.recovery_start(/*abnormal=*/false, 0);
      std::string stop_detail;
      const std::int64_t end = log.scan(from, options.check_crc_on_recover, nullptr, &stop_detail);
      if (!stop_detail.empty()) spdlog::warn("legacy commitlog recovery stopped at {}: {}", end, stop_detail);
      log.truncate_dirty(end);
      files = list_legacy_files(legacy_dir);
      if (files.empty()) throw DLedgerCorruption(legacy_dir.string() + ": no legacy file left after recovery");
      // Step 2: the last file and its write position.
      const LegacyFile& last = files.back();
      const std::int64_t wp = end - last.start;
      if (wp < 0 || wp > file_size) {
        throw DLedgerCorruption(legacy_dir.string() + ": recovered end " + std::to_string(end) +
                                " lies outside the last legacy file " + last.path.string());
      }
      std::int64_t blank_pos = 0;
      if (wp < file_size) {
        const common::Bytes at = read_range(last.path, wp, std::min(wp + 8, file_size));
        if (at.size() < 8 || common::load_i32_be(at.data() + 4) != kBlankMagic) {
          common::Bytes blank;
          encode_blank(static_cast<std::int32_t>(file_size - wp), blank);
          common::PosixFileSystem posix;
          auto f = posix.open(last.path, common::OpenMode::kReadWrite);
          f->write_at(static_cast<std::uint64_t>(wp), blank);
          f->sync();
          out.blank_written = true;
        }
        blank_pos = wp;
      } else {
        blank_pos = find_tail_blank(log, last, file_size);
      }
      // Step 3.
      record.divided_offset = last.start + file_size;
      describe_last_file(last, file_size, blank_pos, files.size(), record);
      out.legacy_min_offset = files.front().start;
      out.legacy_data_end = last.start + blank_pos;
    }
    // Step 4: the DLedger store with its first data file at the divided offset, durably.
    DLedgerEntryStore::open(fs, entry_store_options(options, record.divided_offset)).reset();
    spdlog::info("DLedger node {} adopted the legacy commitlog in {}: dividedCommitlogOffset {}{}", options.self_id,
                 legacy_dir.string(), record.divided_offset, out.blank_written ? " (tail blank written)" : "");
  }
  // Step 5.
  write_record_durably(fs, record_path, record.to_properties());
  out.record = record;
  out.entry_store_options = entry_store_options(options, record.divided_offset);
  return out;
}

}  // namespace rmq::store
