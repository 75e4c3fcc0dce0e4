// A group of real rmq-broker processes driven through the real `rmqctl start/status/stop`, for the CLI tests
// of issue 11 (tests/cli/group_*_test.cc).
//
// Every port comes from free_tcp_port, every store lives in a TempDir, and the destructor cleans up whatever
// a failed assertion left: first `rmqctl stop` (the path under test), then, for any process still named by a
// pid file of this test's stores whose command line mentions this test's directory, SIGKILL (a test may do
// what rmqctl never does). So no test leaves a broker or name server running.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/run_process.h"
#include "tests/support/background_process.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::cli_test {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PlainGroup {
 public:
  // A master ("broker-a:0") and `slaves` slaves (brokerId 1..), one cluster, one local name server port on
  // which nothing runs yet (rmqctl start launches rmq-namesrv there).
  explicit PlainGroup(int slaves = 1) {
    namesrv_port_ = test_support::free_tcp_port();
    for (int id = 0; id <= slaves; ++id) {
      const std::uint16_t port = test_support::free_tcp_port(true);
      const auto conf = dir_.path() / ("broker-" + std::to_string(id) + ".conf");
      std::ofstream out(conf);
      out << "brokerClusterName=TestCluster\nbrokerName=broker-a\nbrokerId=" << id << "\n"
          << (id == 0 ? "" : "brokerRole=SLAVE\n") << "brokerIP1=127.0.0.1\nlistenPort=" << port << "\n"
          << "namesrvAddr=127.0.0.1:" << namesrv_port_ << "\n"
          << "storePathRootDir=" << (dir_.path() / ("store-" + std::to_string(id))).string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n";
      confs_.push_back(conf);
      ports_.push_back(port);
    }
  }
  ~PlainGroup() { cleanup(); }

  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::vector<std::filesystem::path>& confs() const { return confs_; }
  std::uint16_t namesrv_port() const { return namesrv_port_; }
  std::uint16_t port(int id) const { return ports_.at(static_cast<std::size_t>(id)); }
  std::filesystem::path store(int id) const { return dir_.path() / ("store-" + std::to_string(id)); }
  std::filesystem::path pid_file(int id) const { return store(id) / "rmq-broker.pid"; }
  std::filesystem::path namesrv_pid_file() const { return store(0) / "namesrv" / "rmq-namesrv.pid"; }

  // rmqctl <command> -c each conf <extra...>
  test_support::ProcessResult rmqctl(const std::string& command, const std::vector<std::string>& extra = {},
                                     const std::vector<std::filesystem::path>& confs = {}) const {
    std::vector<std::string> argv = {RMQ_BINARY_DIR "/rmqctl", command};
    for (const auto& c : confs.empty() ? confs_ : confs) {
      argv.push_back("-c");
      argv.push_back(c.string());
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    test_support::ProcessOptions options;
    options.timeout = std::chrono::seconds(120);
    return test_support::run_process(argv, options);
  }

  static int read_pid(const std::filesystem::path& p) {
    std::ifstream in(p);
    int pid = 0;
    in >> pid;
    return pid;
  }
  static bool alive(int pid) {
    if (pid <= 0) return false;
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
  }

  void cleanup() {
    rmqctl("stop", {"--timeout", "20"});
    // Whatever rmqctl could not prove (a test removed or rewrote a pid file): every process whose command line
    // names this test's directory.
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const int pid = std::stoi(name);
      if (pid == static_cast<int>(::getpid()) || !alive(pid)) continue;
      std::string cmdline = read_text(entry.path() / "cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (cmdline.find(dir_.path().string() + "/") != std::string::npos) ::kill(pid, SIGKILL);
    }
  }

 private:
  ::rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::vector<std::filesystem::path> confs_;
  std::vector<std::uint16_t> ports_;
};

}  // namespace rmq::cli_test
