// rmqctl migrate --start, status and stop on a real DLedger group: a legacy pair made by rmq-gen-store, migrated,
// started (name server included) by rmqctl, three rmq-broker processes in DLedger mode on free loopback ports
// (issue 11, "Done when" 1).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/cli/group_test_support.h"

namespace rmq::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void set_key(const fs::path& conf, const std::string& key, const std::string& value) {
  std::string text = read_text(conf);
  text = std::regex_replace(text, std::regex("(^|\n)" + key + "=[^\n]*"), "$1" + key + "=" + value);
  std::ofstream(conf, std::ios::trunc) << text;
}

test_support::ProcessResult run_rmqctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RMQ_BINARY_DIR "/rmqctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  test_support::ProcessOptions options;
  options.timeout = std::chrono::seconds(120);
  return test_support::run_process(argv, options);
}

json status_json(const fs::path& conf_dir, int* exit_code) {
  const auto r = run_rmqctl({"status", "--conf-dir", conf_dir.string(), "-o", "json"});
  *exit_code = r.exit_code;
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n" << r.out << r.err;
    return json::object();
  }
}

// Stops whatever the test left: rmqctl stop, then SIGKILL to anything whose command line names the directory.
struct Cleanup {
  fs::path dir;
  fs::path conf_dir;
  ~Cleanup() {
    run_rmqctl({"stop", "--conf-dir", conf_dir.string(), "--timeout", "20"});
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = read_text(entry.path() / "cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (cmdline.find(dir.string() + "/") != std::string::npos) ::kill(std::stoi(name), SIGKILL);
    }
  }
};

TEST(GroupDLedger, MigrateStartStatusFailoverStop) {
  ::rmq::testing::TempDir tmp;
  const fs::path pair = tmp.path() / "pair";
  const auto gen = test_support::run_process({RMQ_BINARY_DIR "/rmq-gen-store", "--out", pair.string(), "--scenario",
                                              "consistent", "--file-size", "1048576", "--seed", "5"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const std::uint16_t namesrv = test_support::free_tcp_port();
  const std::uint16_t listen = test_support::free_tcp_port(true);
  for (const char* role : {"master", "slave"}) {
    set_key(pair / role / "broker.conf", "namesrvAddr", "127.0.0.1:" + std::to_string(namesrv));
    set_key(pair / role / "broker.conf", "listenPort", std::to_string(listen));
  }
  std::string peers;
  for (int i = 0; i < 3; ++i) {
    peers += (i ? ";n" : "n") + std::to_string(i) + "-127.0.0.1:" + std::to_string(test_support::free_tcp_port());
  }
  const fs::path target = tmp.path() / "new";
  Cleanup cleanup{tmp.path(), target / "conf"};
  const std::vector<std::string> migrate = {"migrate",      "--from",  "master-slave", "--master-conf",
                                            (pair / "master" / "broker.conf").string(), "--slave-conf",
                                            (pair / "slave" / "broker.conf").string(),  "--peers",
                                            peers,          "--target-root", target.string(), "--yes",
                                            "--start",      "--start-wait",  "60"};
  const auto started = run_rmqctl(migrate);
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  EXPECT_NE(started.err.find("legacy queues continue at their old max offsets on the leader"), std::string::npos)
      << started.err;
  EXPECT_NE(started.out.find("healthy: leader n"), std::string::npos) << started.out;
  EXPECT_NE(started.err.find("point of no return"), std::string::npos);

  int rc = -1;
  json status = status_json(target / "conf", &rc);
  ASSERT_EQ(rc, 0) << status.dump(2);
  EXPECT_EQ(status["mode"], "dledger");
  ASSERT_EQ(status["nodes"].size(), 3u);
  const std::string leader = status["leader"].get<std::string>();
  int leader_pid = 0;
  for (const auto& n : status["nodes"]) {
    EXPECT_EQ(n["reachable"], true);
    EXPECT_EQ(n["leaderId"], leader);
    EXPECT_FALSE(n["term"].is_null());
    EXPECT_FALSE(n["ledgerEndIndex"].is_null());
    EXPECT_FALSE(n["committedIndex"].is_null());
    // The legacy log is 3 files of 1 MiB (2.5 files of records, the last one closed at the next boundary).
    EXPECT_EQ(n["dividedOffset"], 3145728) << n.dump();
    EXPECT_EQ(n["registered"], true);
    if (n["id"] == leader) {
      EXPECT_EQ(n["role"], "LEADER");
      EXPECT_EQ(n["brokerId"], 0);
      leader_pid = n["pid"].get<int>();
    } else {
      EXPECT_EQ(n["role"], "FOLLOWER");
      EXPECT_EQ(n["lagEntries"], 0);
    }
  }
  ASSERT_GT(leader_pid, 0);

  // --start again: the group has started; a no-op.
  const auto again = run_rmqctl(migrate);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("the group has already started"), std::string::npos) << again.err;

  // The leader crashes: at once one node is down (exit 1); within a few seconds another node leads.
  ASSERT_EQ(::kill(leader_pid, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  status = status_json(target / "conf", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(status["healthy"], false);
  std::string new_leader;
  for (int i = 0; i < 50 && new_leader.empty(); ++i) {
    status = status_json(target / "conf", &rc);
    if (!status["leader"].is_null() && status["leader"] != leader) new_leader = status["leader"];
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_FALSE(new_leader.empty()) << status.dump(2);
  EXPECT_EQ(rc, 1) << "still one node down";

  // Stop: every remaining node and the name server, by SIGTERM; the killed node is "not running".
  const auto stop = run_rmqctl({"stop", "--conf-dir", (target / "conf").string(), "-o", "json", "--timeout", "30"});
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  const json stopped = json::parse(stop.out);
  int stopped_count = 0;
  for (const auto& n : stopped["nodes"]) {
    if (n["id"] == leader) {
      EXPECT_EQ(n["state"], "not running");
    } else {
      EXPECT_EQ(n["state"], "stopped");
      ++stopped_count;
    }
  }
  EXPECT_EQ(stopped_count, 2);
  EXPECT_FALSE(test_support::port_accepts(namesrv));
}

}  // namespace
}  // namespace rmq::cli_test
