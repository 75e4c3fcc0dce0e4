// Starts a long-running program (rmq-broker, rmq-namesrv) detached from rmqctl, with Boost.Process (the
// design's choice for launching processes).
//
// Detached means the program outlives rmqctl and is untouched by what happens to the operator's terminal:
// it runs in a new session (setsid: no controlling terminal, so closing the terminal sends it no SIGHUP and
// Ctrl-C in the shell does not reach it), stdin is /dev/null, stdout and stderr are appended to `log_path`
// (never a pipe back to rmqctl, which would block the program once rmqctl exits). Its pid goes to `pid_path`
// (pid_file.h) right after the fork, before rmqctl waits for anything, so a crash of rmqctl after the launch
// still leaves the pid where `rmqctl stop` finds it.
//
// Until rmqctl exits the program is rmqctl's child: launch_exit_status() reaps it when it has already ended
// (a broker that refused its config exits at once) so the caller can report its exit code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rmq::ctl {

struct LaunchSpec {
  std::filesystem::path program;
  std::vector<std::string> args;        // after argv[0]
  std::filesystem::path working_dir;    // created if missing
  std::filesystem::path log_path;       // appended
  std::filesystem::path pid_path;
};

// Returns the pid. Throws std::runtime_error naming the program when it cannot be started.
int launch_detached(const LaunchSpec& spec);

// The exit status (code, or 128 + signal) of a launched child that has ended, reaping it; nullopt while it
// runs or when it is not our child.
std::optional<int> launch_exit_status(int pid);

// The last `max_lines` lines of a log file (for "the broker exited: ..." messages); empty when unreadable.
std::string log_tail(const std::filesystem::path& path, std::size_t max_lines);

}  // namespace rmq::ctl
