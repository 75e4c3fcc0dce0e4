// Finding and stopping old brokers: /proc/PID/stat and /proc/locks parsing from hand-written lines, the
// broker command-line match against a fabricated /proc tree, and the real thing for what only a real kernel
// shows (a held fcntl lock, a process that exits on SIGTERM, one that ignores it, a zombie).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "migrate/process_brokers.h"
#include "migrate/process_locks.h"
#include "migrate/process_stop.h"
#include "migrate/process_table.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::migrate {
namespace {

namespace fs = std::filesystem;

TEST(ProcStatTest, ParsesStateAndStartTimeAfterACommandNameWithSpacesAndParentheses) {
  const std::string line =
      "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 30 0 987654 123456 789 18446744073709551615";
  const auto p = parse_proc_stat(line);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, 4242);
  EXPECT_EQ(p->state, 'S');
  EXPECT_EQ(p->start_time_ticks, 987654u);
  EXPECT_FALSE(parse_proc_stat("garbage").has_value());
  EXPECT_FALSE(parse_proc_stat("12 (x) S 1 2").has_value());
}

TEST(ProcLocksTest, ParsesHoldersAndSkipsWaitersAndMalformedLines) {
  const std::string text =
      "1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 0 0\n"
      "1: -> POSIX  ADVISORY  WRITE 1240 fd:01:5678 0 0\n"
      "2: FLOCK  ADVISORY  WRITE 99 00:2d:123 0 EOF\n"
      "3: OFDLCK ADVISORY  READ  -1 08:01:77 0 EOF\n"
      "4: POSIX ADVISORY WRITE notapid 08:01:77 0 EOF\n"
      "5: POSIX ADVISORY WRITE 7 08-01-77 0 EOF\n"
      "short line\n";
  const auto locks = parse_proc_locks(text);
  ASSERT_EQ(locks.size(), 3u);
  EXPECT_EQ(locks[0].type, "POSIX");
  EXPECT_EQ(locks[0].pid, 1234);
  EXPECT_EQ(locks[0].device_major, 0xfdu);
  EXPECT_EQ(locks[0].device_minor, 1u);
  EXPECT_EQ(locks[0].inode, 5678u);
  EXPECT_EQ(locks[1].type, "FLOCK");
  EXPECT_EQ(locks[1].device_minor, 0x2du);
  EXPECT_EQ(locks[2].pid, -1);
}

TEST(BrokerCommandLineTest, FindsTheConfigInTheSpellingsBrokerStartupAccepts) {
  const std::string cls = kBrokerStartupClass;
  EXPECT_EQ(broker_config_argument({"/usr/lib/jvm/bin/java", "-cp", "lib/*", cls, "-c", "/etc/b.conf"}, "/x"),
            "/etc/b.conf");
  EXPECT_EQ(broker_config_argument({"java", cls, "-c", "conf/b.conf"}, "/opt/rmq"), "/opt/rmq/conf/b.conf");
  EXPECT_EQ(broker_config_argument({"java", cls, "--configFile=/b.conf"}, "/"), "/b.conf");
  EXPECT_EQ(broker_config_argument({"java", cls, "--configFile", "/b.conf"}, "/"), "/b.conf");
  EXPECT_EQ(broker_config_argument({"java", cls, "-c/b.conf"}, "/"), "/b.conf");
  EXPECT_EQ(broker_config_argument({"java", cls, "-n", "127.0.0.1:9876", "-c", "/b.conf"}, "/"), "/b.conf");
  EXPECT_EQ(broker_config_argument({"/opt/bin/rmq-broker", "-c", "/b.conf"}, "/"), "/b.conf");
  // Not a broker: the class alone in a shell wrapper's argv, another Java program, no -c.
  EXPECT_EQ(broker_config_argument({"sh", "runbroker.sh", cls, "-c", "/b.conf"}, "/"), "");
  EXPECT_EQ(broker_config_argument({"java", "org.apache.rocketmq.namesrv.NamesrvStartup", "-c", "/b.conf"}, "/"), "");
  EXPECT_EQ(broker_config_argument({"java", cls}, "/"), "");
  // -cp before the class is the classpath, not a config.
  EXPECT_EQ(broker_config_argument({"java", "-cp", "/b.conf", cls}, "/"), "");
}

// A fabricated /proc with one process, for find_brokers without running a Java broker.
void write_fake_process(const fs::path& proc, int pid, const std::vector<std::string>& argv, const fs::path& cwd,
                        char state = 'S') {
  const fs::path dir = proc / std::to_string(pid);
  fs::create_directories(dir);
  std::ofstream(dir / "stat") << pid << " (java) " << state
                              << " 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5555 0 0\n";
  std::ofstream cmdline(dir / "cmdline", std::ios::binary);
  for (const auto& a : argv) cmdline << a << '\0';
  fs::create_directory_symlink(cwd, dir / "cwd");
}

TEST(FindBrokersTest, MatchesTheConfigByFileIdentityAndIgnoresOtherBrokersAndZombies) {
  rmq::testing::TempDir tmp;
  const fs::path conf = tmp.path() / "conf" / "broker-a.conf";
  fs::create_directories(conf.parent_path());
  std::ofstream(conf) << "brokerName=broker-a\n";
  std::ofstream(tmp.path() / "conf" / "broker-b.conf") << "brokerName=broker-b\n";
  fs::create_directory_symlink(tmp.path() / "conf", tmp.path() / "link");
  const fs::path proc = tmp.path() / "proc";
  const std::string cls = kBrokerStartupClass;
  write_fake_process(proc, 100, {"java", "-server", cls, "-c", "conf/broker-a.conf"}, tmp.path());
  write_fake_process(proc, 101, {"java", cls, "-c", (tmp.path() / "link" / "broker-a.conf").string()}, "/");
  write_fake_process(proc, 102, {"java", cls, "-c", "conf/broker-b.conf"}, tmp.path());
  write_fake_process(proc, 103, {"java", cls, "-c", conf.string()}, "/", 'Z');

  const auto found = find_brokers(proc, {{"master", conf, tmp.path() / "store"}});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].process.pid, 100);
  EXPECT_EQ(found[0].role, "master");
  EXPECT_NE(found[0].reason.find("BrokerStartup"), std::string::npos);
  EXPECT_EQ(found[1].process.pid, 101);
  EXPECT_EQ(found[0].process.start_time_ticks, 5555u);
}

// A child process that holds an fcntl write lock on `path` until killed.
pid_t spawn_lock_holder(const fs::path& path, const fs::path& ready) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_len = 1;
    if (fd < 0 || ::fcntl(fd, F_SETLK, &fl) != 0) ::_exit(1);
    ::close(::open(ready.c_str(), O_WRONLY | O_CREAT, 0644));
    for (;;) ::pause();
  }
  for (int i = 0; i < 1000 && !fs::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return pid;
}

TEST(LockHoldersTest, FindsTheProcessHoldingAnFcntlLockOnTheStoreLockFile) {
  rmq::testing::TempDir tmp;
  const fs::path lock = tmp.path() / "lock";
  std::ofstream(lock) << "lock";
  EXPECT_TRUE(lock_holders("/proc", lock).empty());
  const pid_t child = spawn_lock_holder(lock, tmp.path() / "ready");
  const auto holders = lock_holders("/proc", lock);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(holders[0], child);
  EXPECT_TRUE(lock_holders("/proc", lock).empty());
  EXPECT_TRUE(lock_holders("/proc", tmp.path() / "absent").empty());
}

// A child that exits on SIGTERM or ignores it.
pid_t spawn_sleeper(bool ignore_term) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (ignore_term) ::signal(SIGTERM, SIG_IGN);
    ::alarm(30);
    for (;;) ::pause();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return pid;
}

TEST(TerminateAndWaitTest, AProcessThatExitsOnSigtermCountsAsExitedEvenAsAnUnreapedZombie) {
  const pid_t child = spawn_sleeper(false);
  const auto info = read_process("/proc", child);
  ASSERT_TRUE(info.has_value());
  const StopOutcome out = terminate_and_wait("/proc", {*info}, 5000, 10);
  EXPECT_EQ(out.exited.size(), 1u);
  EXPECT_TRUE(out.still_running.empty());
  EXPECT_LT(out.waited_seconds, 4.0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

TEST(TerminateAndWaitTest, AProcessThatIgnoresSigtermIsReportedAfterTheTimeoutAndNotKilled) {
  const pid_t child = spawn_sleeper(true);
  const auto info = read_process("/proc", child);
  ASSERT_TRUE(info.has_value());
  const StopOutcome out = terminate_and_wait("/proc", {*info}, 300, 10);
  EXPECT_TRUE(out.exited.empty());
  ASSERT_EQ(out.still_running.size(), 1u);
  EXPECT_GE(out.waited_seconds, 0.3);
  EXPECT_TRUE(still_running("/proc", *info)) << "never SIGKILL";
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(still_running("/proc", *info));
}

TEST(TerminateAndWaitTest, APidReusedByAnotherProcessIsNotSignalled) {
  const pid_t child = spawn_sleeper(false);
  auto info = read_process("/proc", child);
  ASSERT_TRUE(info.has_value());
  info->start_time_ticks += 1;  // as if the broker had exited and its pid been reused
  const StopOutcome out = terminate_and_wait("/proc", {*info}, 200, 10);
  EXPECT_EQ(out.exited.size(), 1u);
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, WNOHANG), 0) << "the unrelated process was signalled";
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace rmq::migrate
