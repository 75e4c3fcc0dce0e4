// Runs a program for a test and captures what it did: exit code, stdout, stderr, with a timeout.
//
// Tests of the real binaries (rmqctl, rmq-broker, ...) need the exact argv (no shell quoting to get wrong),
// stdout and stderr apart (diagnostics go to stderr, and "one line on stderr" is part of the contract), and
// a bound on time so that a hung child fails the test instead of hanging CI. posix_spawn with pipes gives all
// three; popen gives none of them. The child's stdin is /dev/null, so a program that would prompt sees EOF.
//
//   ProcessOptions options;
//   options.working_dir = dir;
//   const ProcessResult r = run_process({RMQ_BINARY_DIR "/rmqctl", "gen-conf", "--peers", peers}, options);
//   EXPECT_EQ(r.exit_code, 2) << r.err;
//
// Header-only; no global state. Throws std::system_error when the program cannot be started.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace rmq::test_support {

struct ProcessOptions {
  std::filesystem::path working_dir;                    // empty: the test's own
  std::chrono::milliseconds timeout{60'000};             // then SIGKILL, and timed_out is set
  std::map<std::string, std::string> env_overrides;     // set in the child's environment, on top of ours
};

struct ProcessResult {
  int exit_code = -1;      // the exit status; 128 + signal number when a signal ended it
  int term_signal = 0;     // the signal that ended it, 0 when it exited
  bool timed_out = false;  // it was killed because the timeout passed
  std::string out;         // everything it wrote to stdout
  std::string err;         // everything it wrote to stderr

  // stderr split into lines (without the '\n'), for "exactly one line" checks.
  std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < err.size()) {
      const std::size_t end = err.find('\n', start);
      if (end == std::string::npos) {
        lines.push_back(err.substr(start));
        break;
      }
      lines.push_back(err.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }
};

namespace run_process_detail {

// Owns a file descriptor; closes it once.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

[[noreturn]] inline void throw_errno(int error_number, const std::string& what) {
  throw std::system_error(error_number, std::generic_category(), what);
}

inline void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// Our environment with the overrides applied, as "KEY=VALUE" strings.
inline std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const std::string key = text.substr(0, text.find('='));
    if (overrides.count(key) == 0) env.push_back(text);
  }
  for (const auto& [key, value] : overrides) env.push_back(key + "=" + value);
  return env;
}

inline std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawn's file actions, destroyed on every path.
class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace run_process_detail

// Runs argv[0] (searched in PATH when it has no '/') with argv, waits for it to end or for the timeout, and
// returns what it wrote. Reading both pipes as they fill means a chatty child never blocks on a full pipe.
inline ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {}) {
  using namespace run_process_detail;
  using Clock = std::chrono::steady_clock;
  if (argv.empty()) throw std::invalid_argument("run_process: empty argv");

  Fd out_read, out_write, err_read, err_write;
  make_pipe(out_read, out_write);
  make_pipe(err_read, err_write);

  FileActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), STDERR_FILENO);
  if (!options.working_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(actions.get(), options.working_dir.c_str());
  }

  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(options.env_overrides);
  std::vector<char*> c_args = c_strings(args);
  std::vector<char*> c_env = c_strings(env);
  pid_t pid = -1;
  const int spawn_error = ::posix_spawnp(&pid, c_args[0], actions.get(), nullptr, c_args.data(), c_env.data());
  if (spawn_error != 0) throw_errno(spawn_error, "cannot start " + argv[0]);
  out_write.reset();  // the child holds the write ends now; EOF arrives when it (and its children) exit
  err_write.reset();

  ProcessResult result;
  const Clock::time_point deadline = Clock::now() + options.timeout;
  Clock::time_point give_up_reading = Clock::time_point::max();
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline && !result.timed_out) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      give_up_reading = now + std::chrono::seconds(1);  // a grandchild may still hold the pipes
    }
    if (now >= give_up_reading) break;
    const Clock::time_point wake = result.timed_out ? give_up_reading : deadline;
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
    if (!out_open) fds[0].fd = -1;
    if (!err_open) fds[1].fd = -1;
    const int ready = ::poll(fds, 2, static_cast<int>(std::max<long long>(1, std::min<long long>(wait_ms, 1000))));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "poll");
    }
    const auto drain = [](int fd, std::string& into) {
      char buffer[8192];
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) into.append(buffer, static_cast<std::size_t>(n));
      return n > 0 || (n < 0 && errno == EINTR);  // false at EOF or on an error: stop reading this pipe
    };
    if (fds[0].revents != 0) out_open = drain(out_read.get(), result.out);
    if (fds[1].revents != 0) err_open = drain(err_read.get(), result.err);
  }

  // The pipes can close before the child ends (it closed them itself): the timeout still applies.
  int status = 0;
  while (true) {
    const pid_t waited = ::waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (waited == pid) break;
    if (waited < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "waitpid");
    }
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
    result.exit_code = 128 + result.term_signal;
  }
  return result;
}

}  // namespace rmq::test_support
