#include "ctl/process_table.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace rmq::ctl {

namespace fs = std::filesystem;

namespace {

// /proc files report a size of 0, so they are read to the end rather than by their size. The limit guards
// against a runaway argv (ARG_MAX is 2 MiB by default; the broker's is a few KiB).
constexpr std::size_t kMaxProcFileBytes = 4 * 1024 * 1024;

std::optional<std::string> read_small_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxProcFileBytes) return std::nullopt;
  }
  return text;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string ProcessInfo::describe() const {
  std::string text = "pid " + std::to_string(pid);
  if (!argv.empty()) {
    std::string cmd;
    for (const auto& a : argv) {
      if (!cmd.empty()) cmd += ' ';
      cmd += a;
    }
    constexpr std::size_t kMaxShown = 200;
    if (cmd.size() > kMaxShown) cmd = cmd.substr(0, kMaxShown) + "...";
    text += " (" + cmd + ")";
  }
  return text;
}

std::vector<int> list_pids(const fs::path& proc_root) {
  std::vector<int> pids;
  std::error_code ec;
  for (fs::directory_iterator it(proc_root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!all_digits(name) || name.size() > 9) continue;
    pids.push_back(std::atoi(name.c_str()));
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::optional<ProcessInfo> parse_proc_stat(const std::string& stat_line) {
  // "PID (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  //  priority nice num_threads itrealvalue starttime ..."
  const auto open = stat_line.find('(');
  const auto close = stat_line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcessInfo info;
  const std::string pid_text = stat_line.substr(0, open);
  info.pid = std::atoi(pid_text.c_str());
  if (info.pid <= 0) return std::nullopt;
  std::istringstream rest(stat_line.substr(close + 1));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
  // fields[0] is field 3 (state); starttime is field 22, so fields[19].
  constexpr std::size_t kStartTimeIndex = 22 - 3;
  if (fields.size() <= kStartTimeIndex || fields[0].size() != 1 || !all_digits(fields[kStartTimeIndex])) {
    return std::nullopt;
  }
  info.state = fields[0][0];
  info.start_time_ticks = std::strtoull(fields[kStartTimeIndex].c_str(), nullptr, 10);
  return info;
}

std::optional<ProcessInfo> read_process(const fs::path& proc_root, int pid) {
  const fs::path dir = proc_root / std::to_string(pid);
  const auto stat = read_small_file(dir / "stat");
  if (!stat) return std::nullopt;
  auto info = parse_proc_stat(*stat);
  if (!info || info->pid != pid) return std::nullopt;
  if (const auto cmdline = read_small_file(dir / "cmdline")) {
    std::string current;
    for (char c : *cmdline) {
      if (c == '\0') {
        info->argv.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    if (!current.empty()) info->argv.push_back(current);
  }
  std::error_code ec;
  const fs::path cwd = fs::read_symlink(dir / "cwd", ec);
  if (!ec) info->cwd = cwd;
  return info;
}

bool still_running(const fs::path& proc_root, const ProcessInfo& process) {
  const auto now = read_process(proc_root, process.pid);
  if (!now || now->start_time_ticks != process.start_time_ticks) return false;
  return now->state != 'Z' && now->state != 'X' && now->state != 'x';
}

}  // namespace rmq::ctl
