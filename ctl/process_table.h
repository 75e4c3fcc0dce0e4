// What a process on this host is, read from /proc: enough to recognise an old broker by its command line and
// to tell it apart from a later process that reuses its pid.
//
// Why /proc and not `ps`: the stop phase must compare a broker's `-c` argument with the operator's config
// file, and only /proc gives the argv as the kernel holds it (NUL-separated, no quoting ambiguity) and the
// process's cwd (a relative `-c conf/broker.conf` is relative to it). A pid alone is not an identity: the
// start time (field 22 of /proc/PID/stat) is recorded with it, and a pid whose start time differs is a
// different process that must never be signalled.
//
// Every reader takes the /proc root as a parameter so that tests can point it at a fabricated tree. A
// process that exits while it is being read is simply absent from the result; nothing here throws for
// that race.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rmq::ctl {

struct ProcessInfo {
  int pid = 0;
  std::uint64_t start_time_ticks = 0;  // /proc/PID/stat field 22: clock ticks after boot
  char state = '?';                    // R, S, D, T, Z (zombie: has exited), X (dead), ...
  std::vector<std::string> argv;       // /proc/PID/cmdline split at NUL
  std::filesystem::path cwd;           // empty when unreadable (another user's process without privilege)

  // "1234 java ... -c /etc/broker.conf", shortened, for messages.
  std::string describe() const;
};

// The numeric entries of proc_root, ascending.
std::vector<int> list_pids(const std::filesystem::path& proc_root);

// Reads one process; nullopt when it does not exist (any more) or its stat line cannot be parsed.
std::optional<ProcessInfo> read_process(const std::filesystem::path& proc_root, int pid);

// Parses the content of /proc/PID/stat into pid, state and start time. The command name in parentheses may
// itself contain spaces and parentheses, so the fields after it are found from the last ')'.
std::optional<ProcessInfo> parse_proc_stat(const std::string& stat_line);

// True while the process that `process` describes is running: its pid exists with the same start time and
// it is not a zombie. A zombie has exited; only its parent has not collected the exit status yet.
bool still_running(const std::filesystem::path& proc_root, const ProcessInfo& process);

}  // namespace rmq::ctl
