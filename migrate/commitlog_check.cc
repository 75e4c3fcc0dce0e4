#include "migrate/commitlog_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <sstream>
#include <system_error>
#include <thread>

#include "broker/common/exit_code.h"
#include "broker/common/java_properties.h"
#include "broker/common/mapped_file.h"
#include "broker/common/md5.h"
#include "broker/common/progress.h"

namespace rmq::migrate {

namespace fs = std::filesystem;
using store::CommitlogFiles;
using store::StoreProblem;

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kConsistent: return "CONSISTENT";
    case Verdict::kSlaveBehind: return "SLAVE_BEHIND";
    case Verdict::kSlaveMissingFiles: return "SLAVE_MISSING_FILES";
    case Verdict::kSlaveAhead: return "SLAVE_AHEAD";
    case Verdict::kDiverged: return "DIVERGED";
    case Verdict::kCorrupt: return "CORRUPT";
  }
  return "?";
}

int exit_code_for(Verdict verdict) {
  switch (verdict) {
    case Verdict::kConsistent: return common::kExitOk;
    case Verdict::kCorrupt: return common::kExitCorrupt;
    default: return common::kExitProblems;
  }
}

std::vector<StoreProblem> SideReport::all_problems() const {
  std::vector<StoreProblem> all = files.problems;
  all.insert(all.end(), scan.problems.begin(), scan.problems.end());
  std::stable_sort(all.begin(), all.end(), [](const StoreProblem& a, const StoreProblem& b) {
    return a.offset.value_or(-1) < b.offset.value_or(-1);
  });
  return all;
}

const StoreProblem* SideReport::first_corruption() const {
  const StoreProblem* first = nullptr;
  auto consider = [&](const StoreProblem& p) {
    if (!p.is_corruption()) return;
    if (first == nullptr || p.offset.value_or(-1) < first->offset.value_or(-1)) first = &p;
  };
  for (const auto& p : files.problems) consider(p);
  for (const auto& p : scan.problems) consider(p);
  return first;
}

namespace {

std::string dec(std::int64_t v) { return std::to_string(v); }

// A pre-allocated file (upstream creates the next-next file ahead of time) starts with unwritten zeros.
bool starts_with_data(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw common::IoError(common::errno_message(path, errno));
  std::uint8_t head[8] = {};
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  const int err = errno;
  ::close(fd);
  if (n < 0) throw common::IoError(common::errno_message(path, err));
  return std::any_of(head, head + n, [](std::uint8_t b) { return b != 0; });
}

// The N newest files that hold data, oldest first: the files the runbook tells the operator to md5sum.
std::vector<std::size_t> recent_data_files(const CommitlogFiles& files, int n) {
  std::vector<std::size_t> picked;
  std::size_t end = files.files.size();
  while (end > 0 && !starts_with_data(files.files[end - 1].path)) --end;
  for (std::size_t i = end; i > 0 && static_cast<int>(picked.size()) < n; --i) picked.push_back(i - 1);
  std::reverse(picked.begin(), picked.end());
  return picked;
}

SideReport open_side(const std::string& role, const StoreLocation& location, bool require_files) {
  std::error_code ec;
  if (role == "store" && !fs::exists(location.commitlog_dir, ec) && has_dledger_directory(location.store_root)) {
    // A DLedger-mode store that never had a legacy commitlog: its legacy region is empty (the DLedger data
    // files start at dividedCommitlogOffset 0), and check_dledger_regions checks the rest.
    SideReport side;
    side.role = role;
    side.location = location;
    side.files.dir = location.commitlog_dir;
    return side;
  }
  if (!fs::is_directory(location.commitlog_dir, ec)) {
    throw common::ConfigError(location.given + ": commitlog directory " + location.commitlog_dir.string() +
                              " does not exist");
  }
  SideReport side;
  side.role = role;
  side.location = location;
  side.files = store::list_commitlog_files(location.commitlog_dir, location.file_size_bytes);
  for (const auto& p : side.files.problems) {
    if (p.kind == store::problem_kind::kSymlinkedFile) throw CheckRefused(location.given + ": " + p.detail);
  }
  // A check that compares nothing must not say "consistent": an empty master is almost always a wrong path.
  // A directory whose commitlog files are all unusable (wrong size, not regular files) is not empty: it is
  // reported as CORRUPT with those problems.
  const bool has_layout_corruption =
      std::any_of(side.files.problems.begin(), side.files.problems.end(),
                  [](const StoreProblem& p) { return p.is_corruption(); });
  if (require_files && side.files.files.empty() && !has_layout_corruption) {
    throw common::ConfigError(location.given + ": no commitlog file in " + location.commitlog_dir.string() +
                              " (files are named by their 20-digit start offset)");
  }
  return side;
}

// Runs one job per side on its own thread (the sides live on different disks in production, and hashing is
// CPU-bound on one core per stream); the first exception is rethrown after all finish.
void for_each_side_concurrently(const std::vector<SideReport*>& sides,
                                const std::function<void(std::size_t index, SideReport&)>& job) {
  std::vector<std::exception_ptr> errors(sides.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < sides.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        job(i, *sides[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void hash_and_scan(const std::vector<SideReport*>& sides, const CheckOptions& options, PhaseTimings& timings) {
  std::uint64_t hash_total = 0;
  std::vector<std::vector<std::size_t>> picks;
  for (SideReport* side : sides) {
    picks.push_back(recent_data_files(side->files, options.newest_files));
    for (std::size_t i : picks.back()) hash_total += side->files.files[i].size_bytes;
  }
  auto start = std::chrono::steady_clock::now();
  {
    common::ProgressLine progress("md5 of the newest files", hash_total, options.show_progress);
    for_each_side_concurrently(sides, [&](std::size_t k, SideReport& side) {
      for (std::size_t i : picks[k]) {
        const auto& f = side.files.files[i];
        side.recent_digests.push_back({f.name, f.size_bytes, common::md5_file_hex(f.path, &progress.counter())});
      }
    });
  }
  timings.md5_seconds = seconds_since(start);
  timings.md5_bytes = hash_total;
  start = std::chrono::steady_clock::now();
  std::uint64_t scan_total = 0;
  for (SideReport* side : sides) scan_total += side->files.files.size() * side->files.file_size_bytes;
  common::ProgressLine progress("scanning records", scan_total, options.show_progress);
  for_each_side_concurrently(sides, [&](std::size_t, SideReport& side) {
    store::ScanOptions scan_options;
    scan_options.check_crc = options.check_crc;
    scan_options.progress_bytes = &progress.counter();
    side.scan = store::scan_commitlog(side.files, scan_options);
  });
  progress.stop();
  timings.scan_seconds = seconds_since(start);
  timings.scan_bytes = scan_total;
}

// Where the file's log bytes end on this side; files outside the side's range have none.
std::int64_t data_end_of_file(const SideReport& side, std::int64_t file_start) {
  const auto fsz = static_cast<std::int64_t>(side.files.file_size_bytes);
  const std::int64_t index = (file_start - side.files.begin_offset()) / fsz;
  if (index < 0 || index >= static_cast<std::int64_t>(side.scan.file_data_end.size())) return file_start;
  return side.scan.file_data_end[static_cast<std::size_t>(index)];
}

// Both sides hashed this file and got the same MD5: its bytes are identical, no need to read them again.
bool same_digest(const SideReport& master, const SideReport& slave, const std::string& name) {
  const auto find = [&](const SideReport& side) -> const FileDigest* {
    for (const auto& d : side.recent_digests) {
      if (d.name == name) return &d;
    }
    return nullptr;
  };
  const FileDigest* a = find(master);
  const FileDigest* b = find(slave);
  return a != nullptr && b != nullptr && a->md5 == b->md5;
}

std::optional<std::int64_t> first_difference(const SideReport& master, const SideReport& slave) {
  const std::int64_t begin = std::max(master.scan.min_offset, slave.scan.min_offset);
  const std::int64_t end = std::min(master.scan.max_offset, slave.scan.max_offset);
  if (begin >= end) return std::nullopt;
  const auto fsz = static_cast<std::int64_t>(master.files.file_size_bytes);
  for (std::int64_t file_start = begin - begin % fsz; file_start < end; file_start += fsz) {
    const std::int64_t lo = std::max(file_start, begin);
    const std::int64_t hi = std::min(data_end_of_file(master, file_start), data_end_of_file(slave, file_start));
    if (hi <= lo) continue;
    if (same_digest(master, slave, store::commitlog_file_name(file_start))) continue;  // identical bytes
    const auto index_m = static_cast<std::size_t>((file_start - master.files.begin_offset()) / fsz);
    const auto index_s = static_cast<std::size_t>((file_start - slave.files.begin_offset()) / fsz);
    common::MappedFile fm(master.files.files[index_m].path, /*populate=*/true);
    common::MappedFile fs_(slave.files.files[index_s].path, /*populate=*/true);
    const auto from = static_cast<std::size_t>(lo - file_start);
    const auto to = static_cast<std::size_t>(hi - file_start);
    const std::uint8_t* a = fm.bytes().data();
    const std::uint8_t* b = fs_.bytes().data();
    constexpr std::size_t kChunk = 1 << 20;
    for (std::size_t pos = from; pos < to; pos += kChunk) {
      const std::size_t n = std::min(kChunk, to - pos);
      if (std::memcmp(a + pos, b + pos, n) == 0) continue;
      std::size_t i = pos;
      while (a[i] == b[i]) ++i;
      return store::record_start_containing(master.files, file_start + static_cast<std::int64_t>(i));
    }
  }
  return std::nullopt;
}

bool digests_equal(const SideReport& master, const SideReport& slave) {
  if (master.recent_digests.empty() || master.recent_digests.size() != slave.recent_digests.size()) return false;
  for (std::size_t i = 0; i < master.recent_digests.size(); ++i) {
    if (master.recent_digests[i].name != slave.recent_digests[i].name ||
        master.recent_digests[i].md5 != slave.recent_digests[i].md5) {
      return false;
    }
  }
  return true;
}

SlaveComparison compare(const SideReport& master, const SideReport& slave) {
  SlaveComparison c;
  c.recent_files_md5_equal = digests_equal(master, slave);
  if (!master.files.files.empty() && !slave.files.files.empty() &&
      master.files.file_size_bytes != slave.files.file_size_bytes) {
    throw common::ConfigError("master " + master.location.given + " has " +
                              std::to_string(master.files.file_size_bytes) + "-byte commitlog files, slave " +
                              slave.location.given + " has " + std::to_string(slave.files.file_size_bytes) +
                              ": mappedFileSizeCommitLog differs, the logs cannot be compared");
  }
  c.first_difference_offset = first_difference(master, slave);
  const auto& ms = master.scan;
  const auto& ss = slave.scan;
  if (master.first_corruption() != nullptr || slave.first_corruption() != nullptr) {
    c.verdict = Verdict::kCorrupt;
  } else if (c.first_difference_offset) {
    c.verdict = Verdict::kDiverged;
    c.slave_only_records = store::count_records(slave.files, *c.first_difference_offset, ss.max_offset);
  } else if (ss.comparable_end_offset > ms.comparable_end_offset) {
    c.verdict = Verdict::kSlaveAhead;
    c.slave_only_records =
        store::count_records(slave.files, std::max(ms.max_offset, ss.min_offset), ss.max_offset);
    c.logs_disjoint = ss.min_offset > ms.comparable_end_offset;
  } else if (ss.min_offset > ms.min_offset) {
    c.verdict = Verdict::kSlaveMissingFiles;
  } else if (ss.comparable_end_offset < ms.comparable_end_offset) {
    c.verdict = Verdict::kSlaveBehind;
  }
  return c;
}

std::string describe_corruption(const SideReport& side) {
  const StoreProblem* p = side.first_corruption();
  return side.role + " " + side.location.commitlog_dir.string() + " is corrupt at offset " +
         (p->offset ? dec(*p->offset) : std::string("?")) + " (" + p->kind + ")";
}

std::string next_step_for(const SideReport& master, const SideReport& slave, const SlaveComparison& c) {
  const std::string sdir = slave.location.commitlog_dir.string();
  switch (c.verdict) {
    case Verdict::kConsistent:
      return "the commitlogs agree: safe to migrate (rmqctl migrate --from master-slave ...)";
    case Verdict::kSlaveBehind:
      return "the slave " + sdir + " ends at " + dec(slave.scan.max_offset) + ", the master at " +
             dec(master.scan.max_offset) + ": copy the master's commitlog files to the slave, or migrate with " +
             "the master as the source";
    case Verdict::kSlaveMissingFiles:
      return "the slave " + sdir + " lacks the master's files before offset " + dec(slave.scan.min_offset) +
             " but agrees where both have data: migrate with the master as the source, or copy the master's " +
             "files to the slave";
    case Verdict::kSlaveAhead:
      if (c.logs_disjoint) {
        return "stop: the slave " + sdir + " starts at offset " + dec(slave.scan.min_offset) +
               ", after the master's end at " + dec(master.scan.max_offset) +
               ": the logs do not overlap and neither holds the records in between; neither side is a " +
               "safe source as it is";
      }
      return "stop: records at offsets [" + dec(master.scan.max_offset) + ", " + dec(slave.scan.max_offset) +
             ") (" + std::to_string(c.slave_only_records.count) + " records) exist only on the slave " + sdir +
             "; copying the master would drop them: choose the source deliberately (migrate --source slave)";
    case Verdict::kDiverged:
      return "stop: master and slave " + sdir + " hold different records from offset " +
             dec(*c.first_difference_offset) + "; " + std::to_string(c.slave_only_records.count) +
             " slave records up to " + dec(slave.scan.max_offset) +
             " would be replaced by the master's: find out why before choosing a source";
    case Verdict::kCorrupt: {
      const SideReport& bad = master.first_corruption() != nullptr ? master : slave;
      return "stop: " + describe_corruption(bad) + "; recovery would truncate the log there: restore that " +
             "file, or choose the other side as the source";
    }
  }
  return "";
}

nlohmann::json problem_json(const StoreProblem& p) {
  nlohmann::json j;
  j["offset"] = p.offset ? nlohmann::json(*p.offset) : nlohmann::json(nullptr);
  j["kind"] = p.kind;
  j["detail"] = p.detail;
  return j;
}

nlohmann::json side_json(const SideReport& side) {
  nlohmann::json j;
  j["role"] = side.role;
  j["dir"] = side.location.commitlog_dir.string();
  j["file_size"] = side.files.file_size_bytes;
  j["min_offset"] = side.scan.min_offset;
  j["max_offset"] = side.scan.max_offset;
  j["record_count"] = side.scan.record_count;
  j["files"] = nlohmann::json::array();
  for (const auto& f : side.files.files) {
    nlohmann::json jf{{"name", f.name}, {"size", f.size_bytes}, {"md5", nullptr}};
    for (const auto& d : side.recent_digests) {
      if (d.name == f.name) jf["md5"] = d.md5;
    }
    j["files"].push_back(jf);
  }
  j["problems"] = nlohmann::json::array();
  for (const auto& p : side.all_problems()) j["problems"].push_back(problem_json(p));
  return j;
}

nlohmann::json optional_offset(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

void finish(CheckReport& report) {
  report.verdict = Verdict::kConsistent;
  report.recent_files_md5_equal = true;
  std::size_t worst = 0;
  for (std::size_t i = 0; i < report.comparisons.size(); ++i) {
    const SlaveComparison& c = report.comparisons[i];
    report.recent_files_md5_equal = report.recent_files_md5_equal && c.recent_files_md5_equal;
    if (c.first_difference_offset &&
        (!report.first_difference_offset || *c.first_difference_offset < *report.first_difference_offset)) {
      report.first_difference_offset = c.first_difference_offset;
    }
    if (c.verdict > report.verdict) {
      report.verdict = c.verdict;
      worst = i;
    }
  }
  if (!report.comparisons.empty()) {
    report.next_step = next_step_for(report.master, report.slaves[worst], report.comparisons[worst]);
  }
}

// A directory compared with itself is always "consistent": the most dangerous all-clear a check can give.
// Compared by device and inode, so two spellings of one directory (a symlink, a bind mount, "a/../a") are
// caught too.
void refuse_same_directory(const StoreLocation& master, const std::vector<StoreLocation>& slaves) {
  std::vector<const StoreLocation*> all{&master};
  for (const auto& s : slaves) all.push_back(&s);
  std::vector<std::pair<dev_t, ino_t>> ids;
  for (const StoreLocation* location : all) {
    struct stat status {};
    if (::stat(location->commitlog_dir.c_str(), &status) != 0) {
      throw common::ConfigError(location->given + ": commitlog directory " + location->commitlog_dir.string() +
                                " does not exist");
    }
    ids.emplace_back(status.st_dev, status.st_ino);
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (ids[i] != ids[j]) continue;
      std::error_code ec;
      const fs::path canonical = fs::weakly_canonical(all[i]->commitlog_dir, ec);
      throw common::ConfigError((j == 0 ? "--master " : "--slave ") + all[j]->given + " and --slave " +
                                all[i]->given + " are the same commitlog directory (" +
                                (ec ? all[i]->commitlog_dir : canonical).string() +
                                "): comparing a directory with itself proves nothing");
    }
  }
}

}  // namespace

CheckReport check_commitlogs(const StoreLocation& master, const std::vector<StoreLocation>& slaves,
                             const CheckOptions& options) {
  refuse_same_directory(master, slaves);
  CheckReport report;
  report.master = open_side("master", master, true);
  for (const auto& s : slaves) report.slaves.push_back(open_side("slave", s, false));
  std::vector<SideReport*> sides{&report.master};
  for (auto& s : report.slaves) sides.push_back(&s);
  hash_and_scan(sides, options, report.timings);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : report.slaves) report.comparisons.push_back(compare(report.master, s));
  report.timings.compare_seconds = seconds_since(start);
  finish(report);
  return report;
}

CheckReport check_single_store(const StoreLocation& location, const CheckOptions& options) {
  CheckReport report;
  report.master = open_side("store", location, true);
  std::vector<SideReport*> sides{&report.master};
  hash_and_scan(sides, options, report.timings);
  report.recent_files_md5_equal = false;
  if (report.master.first_corruption() != nullptr) {
    report.verdict = Verdict::kCorrupt;
    report.next_step = "stop: " + describe_corruption(report.master) +
                       "; recovery would truncate the log there: restore that file from a replica";
  } else {
    report.verdict = Verdict::kConsistent;
    report.next_step = "the store is intact: " + std::to_string(report.master.scan.record_count) +
                       " records up to offset " + dec(report.master.scan.max_offset);
  }
  return report;
}

nlohmann::json to_json(const CheckReport& report) {
  nlohmann::json j;
  j["verdict"] = to_string(report.verdict);
  j["exit_code"] = exit_code_for(report.verdict);
  j["first_difference_offset"] = optional_offset(report.first_difference_offset);
  j["recent_files_md5_equal"] = report.recent_files_md5_equal;
  const SideReport* corrupt_side = nullptr;
  if (report.master.first_corruption() != nullptr) corrupt_side = &report.master;
  for (const auto& s : report.slaves) {
    if (corrupt_side == nullptr && s.first_corruption() != nullptr) corrupt_side = &s;
  }
  if (corrupt_side != nullptr) {
    nlohmann::json c = problem_json(*corrupt_side->first_corruption());
    c["side"] = corrupt_side->role;
    c["dir"] = corrupt_side->location.commitlog_dir.string();
    j["first_corruption"] = c;
  } else {
    j["first_corruption"] = nullptr;
  }
  j["next_step"] = report.next_step;
  j["timings"] = {{"md5_seconds", report.timings.md5_seconds},
                  {"md5_bytes", report.timings.md5_bytes},
                  {"scan_seconds", report.timings.scan_seconds},
                  {"scan_bytes", report.timings.scan_bytes},
                  {"compare_seconds", report.timings.compare_seconds}};
  if (report.master.role == "store") {
    j["store"] = side_json(report.master);
    return j;
  }
  j["master"] = side_json(report.master);
  j["slaves"] = nlohmann::json::array();
  for (std::size_t i = 0; i < report.slaves.size(); ++i) {
    const SlaveComparison& c = report.comparisons[i];
    nlohmann::json s = side_json(report.slaves[i]);
    s["verdict"] = to_string(c.verdict);
    s["first_difference_offset"] = optional_offset(c.first_difference_offset);
    s["recent_files_md5_equal"] = c.recent_files_md5_equal;
    if (c.slave_only_records.count > 0) {
      s["slave_only_records"] = {{"count", c.slave_only_records.count},
                                 {"first_offset", c.slave_only_records.first_offset},
                                 {"end_offset", c.slave_only_records.end_offset}};
    } else {
      s["slave_only_records"] = nullptr;
    }
    j["slaves"].push_back(s);
  }
  return j;
}

std::string to_text(const CheckReport& report) {
  std::ostringstream out;
  auto side_text = [&](const SideReport& side) {
    out << side.role << "  " << side.location.commitlog_dir.string() << "\n";
    out << "  files " << side.files.files.size();
    if (!side.files.files.empty()) {
      out << " (" << side.files.files.front().name << " .. " << side.files.files.back().name << ", "
          << side.files.file_size_bytes << " bytes each)";
    }
    out << "  valid offsets [" << side.scan.min_offset << ", " << side.scan.max_offset << ")  records "
        << side.scan.record_count << "\n";
    for (const auto& d : side.recent_digests) out << "  md5 " << d.md5 << "  " << d.name << "\n";
    for (const auto& p : side.all_problems()) {
      out << "  " << (p.is_corruption() ? "CORRUPT " : "warning ") << p.kind << ": " << p.detail << "\n";
    }
  };
  side_text(report.master);
  for (std::size_t i = 0; i < report.slaves.size(); ++i) {
    side_text(report.slaves[i]);
    const SlaveComparison& c = report.comparisons[i];
    out << "  verdict " << to_string(c.verdict) << "; newest files' md5 "
        << (c.recent_files_md5_equal ? "equal" : "differ") << "; first differing record "
        << (c.first_difference_offset ? dec(*c.first_difference_offset) : std::string("none")) << "\n";
  }
  const PhaseTimings& t = report.timings;
  char timing[200];
  std::snprintf(timing, sizeof timing, "checked in %.2f s: md5 %s in %.2f s, record scan %s in %.2f s, compare %.2f s\n",
                t.md5_seconds + t.scan_seconds + t.compare_seconds,
                common::human_bytes(static_cast<double>(t.md5_bytes)).c_str(), t.md5_seconds,
                common::human_bytes(static_cast<double>(t.scan_bytes)).c_str(), t.scan_seconds, t.compare_seconds);
  out << timing;
  out << "verdict: " << to_string(report.verdict) << "\n";
  out << "next step: " << report.next_step << "\n";
  return out.str();
}

}  // namespace rmq::migrate
