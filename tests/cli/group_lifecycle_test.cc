// rmqctl start / status / stop with real rmq-namesrv and rmq-broker processes on free loopback ports
// (issue 11, "Done when" 1). The group here is a plain-mode master and slave; the health rules that differ
// in DLedger mode are covered by tests/unit/ctl.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/cli/group_test_support.h"

namespace rmq::cli_test {
namespace {

using nlohmann::json;

json parse_json(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << text;
    return json::object();
  }
}

TEST(GroupLifecycle, StartStatusStopInTextAndJson) {
  PlainGroup group;
  const auto start = group.rmqctl("start", {"--wait", "60"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  EXPECT_NE(start.out.find("healthy: leader broker-a:0"), std::string::npos) << start.out;
  EXPECT_NE(start.err.find("started rmq-namesrv on 127.0.0.1:" + std::to_string(group.namesrv_port())),
            std::string::npos)
      << start.err;
  const int master_pid = PlainGroup::read_pid(group.pid_file(0));
  const int slave_pid = PlainGroup::read_pid(group.pid_file(1));
  ASSERT_TRUE(PlainGroup::alive(master_pid));
  ASSERT_TRUE(PlainGroup::alive(slave_pid));
  // Detached: a new session, not rmqctl's.
  EXPECT_EQ(::getsid(master_pid), master_pid);
  EXPECT_TRUE(std::filesystem::exists(group.store(0) / "rmq-broker.log"));

  const auto text = group.rmqctl("status");
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("broker-a:0"), std::string::npos);
  EXPECT_NE(text.out.find("MASTER"), std::string::npos);
  EXPECT_NE(text.out.find("SLAVE"), std::string::npos);

  const auto js = group.rmqctl("status", {"-o", "json"});
  ASSERT_EQ(js.exit_code, 0) << js.out << js.err;
  const json status = parse_json(js.out);
  EXPECT_EQ(status["healthy"], true);
  EXPECT_EQ(status["mode"], "plain");
  EXPECT_EQ(status["leader"], "broker-a:0");
  ASSERT_EQ(status["nodes"].size(), 2u);
  const json& master = status["nodes"][0];
  EXPECT_EQ(master["id"], "broker-a:0");
  EXPECT_EQ(master["address"], "127.0.0.1:" + std::to_string(group.port(0)));
  EXPECT_EQ(master["pid"], master_pid);
  EXPECT_EQ(master["role"], "MASTER");
  EXPECT_EQ(master["registered"], true);
  EXPECT_EQ(status["nodes"][1]["role"], "SLAVE");
  EXPECT_EQ(status["nodes"][1]["lagBytes"], 0);
  // Every documented key is present, null when unknown.
  for (const char* key : {"id", "address", "pid", "reachable", "error", "role", "brokerRole", "brokerId", "registered",
                          "term", "leaderId", "ledgerEndIndex", "committedIndex", "dispatchedOffset", "dividedOffset",
                          "maxPhysicalOffset", "lagEntries", "lagBytes", "lastContactMs", "uptimeMs"}) {
    EXPECT_TRUE(master.contains(key)) << key;
  }

  const auto stop = group.rmqctl("stop", {"-o", "json", "--timeout", "30"});
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  const json stopped = parse_json(stop.out);
  ASSERT_EQ(stopped["nodes"].size(), 2u);
  EXPECT_EQ(stopped["nodes"][0]["state"], "stopped");
  EXPECT_EQ(stopped["nodes"][0]["pid"], master_pid);
  EXPECT_EQ(stopped["nodes"][1]["state"], "stopped");
  EXPECT_FALSE(PlainGroup::alive(master_pid));
  EXPECT_FALSE(PlainGroup::alive(slave_pid));
  EXPECT_FALSE(test_support::port_accepts(group.namesrv_port())) << "the name server rmqctl started is stopped too";
  EXPECT_FALSE(std::filesystem::exists(group.pid_file(0)));
  // Clean shutdown: SIGTERM, not SIGKILL, so no `abort` file.
  EXPECT_FALSE(std::filesystem::exists(group.store(0) / "abort"));

  const auto again = group.rmqctl("stop");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("broker-a:0: not running"), std::string::npos) << again.out;
}

TEST(GroupLifecycle, StartRefusesARunningNode) {
  PlainGroup group;
  ASSERT_EQ(group.rmqctl("start", {"--wait", "60"}).exit_code, 0);
  const int master_pid = PlainGroup::read_pid(group.pid_file(0));
  const auto again = group.rmqctl("start", {"--wait", "5"});
  EXPECT_EQ(again.exit_code, 4) << again.out << again.err;
  EXPECT_NE(again.err.find("node broker-a:0 is already running: pid " + std::to_string(master_pid)), std::string::npos)
      << again.err;
  EXPECT_EQ(PlainGroup::read_pid(group.pid_file(0)), master_pid) << "the refused start launched nothing";

  // A broker started by hand, with no pid file: found by its command line and store lock, still refused.
  const int slave_pid = PlainGroup::read_pid(group.pid_file(1));
  std::filesystem::remove(group.pid_file(1));
  const auto by_lock = group.rmqctl("start", {"--wait", "5"}, {group.confs()[1]});
  EXPECT_EQ(by_lock.exit_code, 4) << by_lock.err;
  EXPECT_NE(by_lock.err.find("node broker-a:1 is already running: pid " + std::to_string(slave_pid)),
            std::string::npos)
      << by_lock.err;
  // And stop will not signal it without the pid file (exit 4), but does once the pid file is back.
  EXPECT_EQ(group.rmqctl("stop", {"--node", "broker-a:1"}).exit_code, 4);
  EXPECT_TRUE(PlainGroup::alive(slave_pid));
  {
    std::ofstream out(group.pid_file(1));
    out << slave_pid << "\n";
  }
  EXPECT_EQ(group.rmqctl("stop", {"--node", "broker-a:1", "--timeout", "30"}).exit_code, 0);
  EXPECT_FALSE(PlainGroup::alive(slave_pid));
}

TEST(GroupLifecycle, StartRefusesABadConfigAndLaunchesNothing) {
  PlainGroup group;
  {
    std::ofstream out(group.confs()[1], std::ios::app);
    out << "listenPort=not-a-port\n";
  }
  const auto r = group.rmqctl("start", {"--wait", "5"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("listenPort"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(group.confs()[1].string()), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(group.pid_file(0)));
  EXPECT_FALSE(test_support::port_accepts(group.namesrv_port()));
}

TEST(GroupLifecycle, StatusExitsOneWithANodeDownAndWithNoLeader) {
  PlainGroup group;
  ASSERT_EQ(group.rmqctl("start", {"--wait", "60"}).exit_code, 0);
  const auto stop_slave = group.rmqctl("stop", {"--node", "broker-a:1"});
  ASSERT_EQ(stop_slave.exit_code, 0) << stop_slave.out << stop_slave.err;
  EXPECT_TRUE(test_support::port_accepts(group.namesrv_port())) << "stopping one node keeps the name server";

  const auto down = group.rmqctl("status", {"-o", "json"});
  EXPECT_EQ(down.exit_code, 1) << down.out;
  json status = parse_json(down.out);
  EXPECT_EQ(status["healthy"], false);
  EXPECT_EQ(status["nodes"][1]["reachable"], false);
  EXPECT_FALSE(status["nodes"][1]["error"].is_null());
  ASSERT_EQ(status["problems"].size(), 1u) << down.out;
  EXPECT_NE(status["problems"][0].get<std::string>().find("broker-a:1"), std::string::npos);

  // Only the master down: no leader.
  ASSERT_EQ(group.rmqctl("stop", {"--node", "broker-a:0"}).exit_code, 0);
  ASSERT_EQ(group.rmqctl("start", {"--wait", "3"}, {group.confs()[1]}).exit_code, 1)
      << "a slave alone never becomes healthy";
  const auto leaderless = group.rmqctl("status", {"-o", "json"}, {group.confs()[1]});
  EXPECT_EQ(leaderless.exit_code, 1) << leaderless.out;
  status = parse_json(leaderless.out);
  EXPECT_TRUE(status["leader"].is_null());
  bool no_leader = false;
  for (const auto& p : status["problems"]) no_leader = no_leader || p.get<std::string>().rfind("no leader", 0) == 0;
  EXPECT_TRUE(no_leader) << leaderless.out;
}

TEST(GroupLifecycle, StopSignalsOnlyAProvenBroker) {
  PlainGroup group(0);
  ASSERT_EQ(group.rmqctl("start", {"--wait", "60"}).exit_code, 0);
  const int broker_pid = PlainGroup::read_pid(group.pid_file(0));
  // The pid file now names an unrelated process of ours: rmqctl must not signal it, nor the broker it cannot prove.
  test_support::BackgroundProcess sleeper({"/bin/sleep", "60"}, group.dir() / "sleep.log");
  {
    std::ofstream out(group.pid_file(0), std::ios::trunc);
    out << sleeper.pid() << "\n";
  }
  const auto r = group.rmqctl("stop", {"--timeout", "5"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("not proven"), std::string::npos) << r.out;
  EXPECT_TRUE(sleeper.running());
  EXPECT_TRUE(PlainGroup::alive(broker_pid));
  {
    std::ofstream out(group.pid_file(0), std::ios::trunc);
    out << broker_pid << "\n";
  }
  const auto ok = group.rmqctl("stop", {"--timeout", "30"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_FALSE(PlainGroup::alive(broker_pid));
}

TEST(GroupLifecycle, StatusThroughTheNameServer) {
  PlainGroup group;
  ASSERT_EQ(group.rmqctl("start", {"--wait", "60"}).exit_code, 0);
  const auto r = test_support::run_process({RMQ_BINARY_DIR "/rmqctl", "status", "--namesrv",
                                            "127.0.0.1:" + std::to_string(group.namesrv_port()), "--cluster",
                                            "TestCluster", "-o", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json status = parse_json(r.out);
  ASSERT_EQ(status["nodes"].size(), 2u);
  EXPECT_EQ(status["leader"], "broker-a:0");
  EXPECT_TRUE(status["nodes"][0]["pid"].is_null()) << "pids are known only from configs";
  const auto usage = test_support::run_process({RMQ_BINARY_DIR "/rmqctl", "status", "--cluster", "TestCluster"});
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
}

}  // namespace
}  // namespace rmq::cli_test
