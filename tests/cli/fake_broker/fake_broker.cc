// rmq-fake-broker: a stand-in for an old Java broker in the `rmqctl migrate` tests (tests/cli/migrate_*).
//
// The test starts it with a command line that looks like the Java broker's (argv[0] "java", then
// `... org.apache.rocketmq.broker.BrokerStartup -c <broker.conf>`), which is what the stop phase looks for.
// It then behaves like DefaultMessageStore.start(): creates `abort` in the store root and takes the fcntl
// write lock on `lock` (storage.md 2.6), and writes a ready file so the test knows it is running. What it does
// on SIGTERM depends on RMQ_FAKE_BROKER_MODE:
//   exit-on-term   shut down cleanly: delete `abort`, release the lock, exit 0 (a broker that obeys mqshutdown)
//   ignore-term    ignore SIGTERM and keep running (a hung broker; the test ends it with SIGKILL)
//   leave-abort    exit 0 but leave `abort` behind (a shutdown whose dispatch was behind)
// Environment: RMQ_FAKE_BROKER_STORE (the store root, required), RMQ_FAKE_BROKER_MODE (default exit-on-term),
// RMQ_FAKE_BROKER_READY (a file to create once the lock is held), RMQ_FAKE_BROKER_LIFETIME_S (default 60: the
// process ends itself then, so a test that crashes never leaves one behind).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile sig_atomic_t g_term_received = 0;  // written by the signal handler only

void on_term(int) { g_term_received = 1; }

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rmq-fake-broker: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

void touch(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) die("create " + path);
  ::close(fd);
}

}  // namespace

int main() {
  const std::string store = env_or("RMQ_FAKE_BROKER_STORE", "");
  const std::string mode = env_or("RMQ_FAKE_BROKER_MODE", "exit-on-term");
  const std::string ready = env_or("RMQ_FAKE_BROKER_READY", "");
  const int lifetime_s = std::atoi(env_or("RMQ_FAKE_BROKER_LIFETIME_S", "60").c_str());
  if (store.empty()) {
    std::fprintf(stderr, "rmq-fake-broker: RMQ_FAKE_BROKER_STORE is not set\n");
    return 2;
  }
  if (mode != "exit-on-term" && mode != "ignore-term" && mode != "leave-abort") {
    std::fprintf(stderr, "rmq-fake-broker: unknown RMQ_FAKE_BROKER_MODE %s\n", mode.c_str());
    return 2;
  }

  // SIGTERM stays blocked except inside sigsuspend, so one arriving between the check and the wait is not lost.
  sigset_t term_only;
  sigset_t before;
  sigemptyset(&term_only);
  sigaddset(&term_only, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &term_only, &before) != 0) die("sigprocmask");
  struct sigaction sa {};
  sa.sa_handler = mode == "ignore-term" ? SIG_IGN : on_term;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGTERM, &sa, nullptr) != 0) die("sigaction");
  ::alarm(static_cast<unsigned>(lifetime_s > 0 ? lifetime_s : 60));  // SIGALRM ends the process

  const std::string abort_file = store + "/abort";
  touch(abort_file);
  const int lock_fd = ::open((store + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) die("open lock");
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  if (::fcntl(lock_fd, F_SETLK, &fl) != 0) die("lock (MQ already started)");
  if (::pwrite(lock_fd, "lock", 4, 0) != 4) die("write lock");
  if (!ready.empty()) touch(ready);

  sigset_t wait_mask = before;
  sigdelset(&wait_mask, SIGTERM);
  while (g_term_received == 0) ::sigsuspend(&wait_mask);
  // What BrokerController.shutdown() does, in the order that matters here.
  ::usleep(100 * 1000);  // flushing
  if (mode == "exit-on-term") ::unlink(abort_file.c_str());
  ::close(lock_fd);
  return 0;
}
