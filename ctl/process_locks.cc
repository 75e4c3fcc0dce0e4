#include "ctl/process_locks.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <system_error>

#include "ctl/process_table.h"

namespace rmq::ctl {

namespace fs = std::filesystem;

namespace {

bool parse_hex(const std::string& text, unsigned& out) {
  if (text.empty() || text.size() > 8) return false;
  char* end = nullptr;
  const unsigned long v = std::strtoul(text.c_str(), &end, 16);
  if (end != text.c_str() + text.size()) return false;
  out = static_cast<unsigned>(v);
  return true;
}

// "fd:01:5678" -> major 0xfd, minor 1, inode 5678.
bool parse_device_inode(const std::string& text, FileLockEntry& entry) {
  const auto first = text.find(':');
  const auto second = text.find(':', first == std::string::npos ? first : first + 1);
  if (first == std::string::npos || second == std::string::npos) return false;
  const std::string inode_text = text.substr(second + 1);
  if (inode_text.empty() || inode_text.size() > 20 ||
      !std::all_of(inode_text.begin(), inode_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  entry.inode = std::strtoull(inode_text.c_str(), nullptr, 10);
  return parse_hex(text.substr(0, first), entry.device_major) &&
         parse_hex(text.substr(first + 1, second - first - 1), entry.device_minor);
}

bool same_file(const fs::path& candidate, const struct stat& target) {
  struct stat st {};
  if (::stat(candidate.c_str(), &st) != 0) return false;
  return st.st_dev == target.st_dev && st.st_ino == target.st_ino;
}

bool has_file_open(const fs::path& proc_root, int pid, const struct stat& target) {
  std::error_code ec;
  const fs::path fd_dir = proc_root / std::to_string(pid) / "fd";
  for (fs::directory_iterator it(fd_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (same_file(it->path(), target)) return true;
  }
  return false;
}

}  // namespace

std::vector<FileLockEntry> parse_proc_locks(std::string_view text) {
  std::vector<FileLockEntry> entries;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::vector<std::string> f{std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
    // id: TYPE ADVISORY|MANDATORY|... READ|WRITE|... PID DEV:INODE START END
    if (f.size() < 8 || f[1] == "->") continue;
    FileLockEntry entry;
    entry.type = f[1];
    const std::string& pid_text = f[4];
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid_text.empty() || end != pid_text.c_str() + pid_text.size()) continue;
    entry.pid = pid > 0 ? static_cast<int>(pid) : -1;
    if (!parse_device_inode(f[5], entry)) continue;
    entries.push_back(entry);
  }
  return entries;
}

std::vector<int> lock_holders(const fs::path& proc_root, const fs::path& path) {
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0 || !S_ISREG(target.st_mode)) return {};
  std::ifstream in(proc_root / "locks");
  if (!in) return {};
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  bool locked = false;
  std::set<int> holders;
  for (const auto& e : parse_proc_locks(text)) {
    // The inode decides; the device is compared too where it is the same numbering as st_dev (it is not on
    // some stacked file systems, where the fd check below still confirms the holder).
    if (e.inode != target.st_ino) continue;
    const bool device_matches = e.device_major == major(target.st_dev) && e.device_minor == minor(target.st_dev);
    if (e.pid > 0 && (device_matches || has_file_open(proc_root, e.pid, target))) {
      locked = true;
      if (read_process(proc_root, e.pid)) holders.insert(e.pid);
    } else if (device_matches) {
      locked = true;
    }
  }
  if (locked) {
    for (int pid : list_pids(proc_root)) {
      if (has_file_open(proc_root, pid, target)) holders.insert(pid);
    }
  }
  holders.erase(static_cast<int>(::getpid()));
  return {holders.begin(), holders.end()};
}

}  // namespace rmq::ctl
