#include "migrate/dledger_store_check.h"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "broker/common/md5.h"
#include "broker/store/dledger_data_files.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const auto size = fs::file_size(path, ec);
  if (ec || size > 64 * 1024) return std::nullopt;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  std::string text(size, '\0');
  const std::size_t got = std::fread(text.data(), 1, size, f);
  std::fclose(f);
  text.resize(got);
  return text;
}

}  // namespace

std::vector<DLedgerRegionReport> check_dledger_regions(const StoreLocation& location, const CheckReport& legacy,
                                                       bool check_crc) {
  std::vector<DLedgerRegionReport> out;
  std::error_code ec;
  if (!fs::is_directory(location.store_root, ec)) return out;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(location.store_root, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("dledger-", 0) == 0 && name.size() > 8) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  const store::CommitlogScan& ls = legacy.master.scan;
  const bool has_legacy = !legacy.master.files.files.empty();
  for (const fs::path& dir : dirs) {
    DLedgerRegionReport r;
    r.dledger_dir = dir;
    r.self_id = dir.filename().string().substr(8);
    r.scan = store::scan_dledger_store(dir, std::nullopt, check_crc);
    for (const auto& p : r.scan.problems) {
      const std::string line = p.kind + (p.pos ? " at " + std::to_string(*p.pos) : std::string()) + ": " + p.detail;
      (p.corruption ? r.problems : r.warnings).push_back(line);
    }
    if (has_legacy) {
      r.legacy_end_offset = ls.comparable_end_offset;
      r.legacy_tail_blank = ls.comparable_end_offset > ls.max_offset;
      if (!r.legacy_tail_blank && legacy.master.first_corruption() == nullptr) {
        r.problems.push_back("the legacy commitlog ends at " + std::to_string(ls.max_offset) +
                             " without the end-of-file blank a DLedger node writes when it adopts it");
      }
      if (r.scan.first_file_offset >= 0 && r.scan.first_file_offset != ls.comparable_end_offset) {
        r.problems.push_back("dividedCommitlogOffset " + std::to_string(r.scan.first_file_offset) +
                             " (the first DLedger data file) is not the end of the legacy log " +
                             std::to_string(ls.comparable_end_offset));
      }
    }
    const fs::path record_path = location.store_root / ("dledger-" + r.self_id + ".legacy");
    if (const auto text = read_text(record_path)) {
      try {
        r.record = store::LegacyPrefixRecord::parse(*text, record_path.string());
      } catch (const std::exception& e) {
        r.problems.push_back(std::string("legacy-prefix record: ") + e.what());
      }
    } else {
      r.warnings.push_back(record_path.string() + " is missing (written at the broker's first DLedger start)");
    }
    if (r.record) {
      if (r.scan.first_file_offset >= 0 && r.record->divided_offset != r.scan.first_file_offset) {
        r.problems.push_back(record_path.string() + " records dividedCommitlogOffset " +
                             std::to_string(r.record->divided_offset) + ", the data files start at " +
                             std::to_string(r.scan.first_file_offset));
      }
      if (!r.record->last_file_name.empty()) {
        const fs::path last = location.commitlog_dir / r.record->last_file_name;
        if (!fs::exists(last, ec)) {
          if (has_legacy) r.problems.push_back(last.string() + ": the recorded last legacy file is missing");
        } else {
          const std::string md5 = common::md5_file_hex(last);
          if (md5 != r.record->last_file_md5) {
            r.problems.push_back(last.string() + ": md5 " + md5 + " differs from the recorded " +
                                 r.record->last_file_md5 + " (the legacy prefix changed after adoption)");
          }
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

void apply_dledger_regions(const std::vector<DLedgerRegionReport>& regions, CheckReport& report) {
  for (const auto& r : regions) {
    if (!r.problems.empty() && report.verdict != Verdict::kCorrupt) {
      report.verdict = Verdict::kCorrupt;
      report.next_step = "stop: DLedger store " + r.dledger_dir.string() + ": " + r.problems.front() +
                         "; restore this node's store from a healthy peer of its group";
    }
  }
  if (report.verdict == Verdict::kCorrupt) return;
  for (const auto& r : regions) {
    report.next_step += "; DLedger " + r.self_id + ": dividedCommitlogOffset " +
                        std::to_string(r.scan.first_file_offset) + ", " + std::to_string(r.scan.entries) +
                        " entries (index " + std::to_string(r.scan.begin_index) + ".." +
                        std::to_string(r.scan.end_index) + ") up to " + std::to_string(r.scan.end_pos);
  }
}

nlohmann::json to_json(const DLedgerRegionReport& r) {
  nlohmann::json j;
  j["self_id"] = r.self_id;
  j["dir"] = r.dledger_dir.string();
  j["divided_commitlog_offset"] = r.scan.first_file_offset;
  j["legacy_end_offset"] = r.legacy_end_offset;
  j["legacy_tail_blank"] = r.legacy_tail_blank;
  j["data_file_bytes"] = r.scan.data_file_bytes;
  j["begin_index"] = r.scan.begin_index;
  j["end_index"] = r.scan.end_index;
  j["end_term"] = r.scan.end_term;
  j["end_pos"] = r.scan.end_pos;
  j["entries"] = r.scan.entries;
  j["noop_entries"] = r.scan.noop_entries;
  j["index_units_checked"] = r.scan.index_units_checked;
  j["committed_index"] = r.scan.checkpoint ? nlohmann::json(r.scan.checkpoint->committed_index) : nlohmann::json();
  j["legacy_prefix_md5"] = r.record ? nlohmann::json(r.record->last_file_md5) : nlohmann::json();
  j["problems"] = r.problems;
  j["warnings"] = r.warnings;
  return j;
}

std::string to_text(const DLedgerRegionReport& r) {
  std::string out = "DLedger store " + r.dledger_dir.string() + " (node " + r.self_id + ")\n";
  out += "  dividedCommitlogOffset " + std::to_string(r.scan.first_file_offset) + ", legacy log ends at " +
         std::to_string(r.legacy_end_offset) + (r.legacy_tail_blank ? " with its tail blank\n" : "\n");
  out += "  entries " + std::to_string(r.scan.entries) + " (index " + std::to_string(r.scan.begin_index) + ".." +
         std::to_string(r.scan.end_index) + ", last term " + std::to_string(r.scan.end_term) + ", " +
         std::to_string(r.scan.noop_entries) + " no-op), end " + std::to_string(r.scan.end_pos) + ", committed " +
         (r.scan.checkpoint ? std::to_string(r.scan.checkpoint->committed_index) : std::string("unknown")) + "\n";
  for (const auto& p : r.problems) out += "  PROBLEM " + p + "\n";
  for (const auto& w : r.warnings) out += "  warning " + w + "\n";
  return out;
}

}  // namespace rmq::migrate
