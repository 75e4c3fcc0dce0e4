// A long-running child process for multi-process tests (rmq-namesrv, rmq-broker), cleaned up whatever happens.
//
// Integration tests start the real binaries on loopback ports and talk to them over TCP, so they need:
// a free port (free_tcp_port), the child's output kept in a file for the failure message (log()), a wait
// until it listens (wait_for_port), and certain clean-up: the destructor sends SIGTERM, waits up to
// `stop_timeout`, then SIGKILLs and reaps, so no test leaves a process behind, even when an assertion
// fails half-way. kill_hard() is the crash under test (SIGKILL: the page cache survives, the process does not).
//
//   BackgroundProcess broker({RMQ_BINARY_DIR "/rmq-broker", "-c", conf}, dir / "broker.log");
//   ASSERT_TRUE(broker.wait_for_port(port, std::chrono::seconds(20))) << broker.log();
//
// Header-only; the only global state is free_tcp_port's set of ports already handed out. Throws
// std::system_error when the program cannot be started.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace rmq::test_support {

// True when 127.0.0.1:port can be bound right now (nothing listens on it or holds it).
inline bool port_bindable(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A TCP port on 127.0.0.1 that was free a moment ago. A broker uses listenPort - 2 (its VIP channel) and
// listenPort + 1 (haListenPort) as well; a test that starts a broker asks for those with `with_vip_channel`.
//
// Two rules keep parallel tests from colliding (a broker once failed "Address already in use" because two
// calls in one test returned the same port, which bind-to-port-0 does not prevent):
// - ports come from 20000..32767, below Linux's default ephemeral range (32768..60999), so the kernel never
//   hands one of them out as the source port of an outgoing connection between the moment we probe it and the
//   moment the child binds it;
// - a port (and its neighbours) is handed out at most once per test process.
// Other test processes running at the same time pick at random from the same 12,768 ports, so a clash between
// processes needs the same pick within the same few milliseconds.
inline std::uint16_t free_tcp_port(bool with_vip_channel = false) {
  static std::mutex mu;
  static std::set<std::uint16_t> handed_out;
  static std::mt19937 rng{std::random_device{}() ^ static_cast<unsigned>(::getpid())};
  std::lock_guard<std::mutex> lock(mu);
  std::uniform_int_distribution<int> pick(20002, 32766);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(rng));
    std::vector<std::uint16_t> needed{port};
    if (with_vip_channel) {
      needed.push_back(static_cast<std::uint16_t>(port - 2));
      needed.push_back(static_cast<std::uint16_t>(port + 1));
    }
    bool ok = true;
    for (const auto p : needed) ok = ok && handed_out.count(p) == 0 && port_bindable(p);
    if (!ok) continue;
    handed_out.insert(needed.begin(), needed.end());
    return port;
  }
  throw std::runtime_error("free_tcp_port: no free port found in 20000..32767");
}

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class BackgroundProcess {
 public:
  // Starts argv[0] with its stdout and stderr appended to `log_path`, stdin from /dev/null.
  BackgroundProcess(std::vector<std::string> argv, std::filesystem::path log_path,
                    std::chrono::milliseconds stop_timeout = std::chrono::milliseconds(10'000))
      : argv_(std::move(argv)), log_path_(std::move(log_path)), stop_timeout_(stop_timeout) {
    start();
  }
  ~BackgroundProcess() { stop(); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    reap_if_exited();
    return pid_ > 0;
  }
  // Exit status once it has ended: the exit code, or 128 + signal. -1 while running.
  int exit_code() {
    reap_if_exited();
    return exit_code_;
  }

  // Waits until the child accepts connections on `port`; false if it exits or the time passes first.
  bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) return false;
      if (port_accepts(port)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM, wait up to stop_timeout, then SIGKILL. Returns the exit status (-1 if it was not running).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    if (!wait_exit(stop_timeout_)) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::milliseconds(60'000));
    }
    return exit_code_;
  }
  // SIGKILL now and reap: the crash a test inflicts on purpose.
  int kill_hard() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::milliseconds(60'000));
    return exit_code_;
  }
  // Starts the same command again (after stop() or kill_hard()); output keeps going to the same log.
  void restart() {
    stop();
    start();
  }

  // Everything the child wrote so far, for failure messages.
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return "---- " + log_path_.string() + " ----\n" + text.str();
  }

 private:
  void start() {
    const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open " + log_path_.string());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(log_fd);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv_[0]);
    pid_ = pid;
    exit_code_ = -1;
  }
  void record_status(int status) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  void reap_if_exited() {
    if (pid_ <= 0) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) record_status(status);
  }
  bool wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      reap_if_exited();
      if (pid_ <= 0) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::vector<std::string> argv_;
  std::filesystem::path log_path_;
  std::chrono::milliseconds stop_timeout_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace rmq::test_support
