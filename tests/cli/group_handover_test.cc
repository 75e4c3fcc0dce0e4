// A DLedger group of three real rmq-broker processes (and the rmq-namesrv that `rmqctl start` launches) on free
// loopback ports, for the parts of issue 11 that move leadership on purpose:
// - `rmqctl stop --node <leader>` hands leadership over before the SIGTERM, and a producer that keeps sending
//   (following the name server's brokerId 0, as clients do) sees no failed send;
// - a follower forwards sends to the leader and relays its answer (send_forwarder.h); a request already
//   forwarded once is refused with 14, never forwarded again;
// - `rmqctl restart --rolling` restarts every node, the leader last after a hand-over, while a producer sends
//   without pause to the address its route names (refreshed every second): no send fails.
// Every process is stopped by GroupCleanup (rmqctl stop, then SIGKILL of whatever names the test directory).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/store/config_file.h"
#include "tests/cli/group_test_support.h"

namespace rmq::cli_test {
namespace {

namespace fs = std::filesystem;
namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kBrokerName = "RaftHandover";
constexpr const char* kTopic = "HandoverTopic";

test_support::ProcessResult run_rmqctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RMQ_BINARY_DIR "/rmqctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  test_support::ProcessOptions options;
  options.timeout = std::chrono::seconds(120);
  return test_support::run_process(argv, options);
}

json parse(const test_support::ProcessResult& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n" << r.out << r.err;
    return json::object();
  }
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// SEND_MESSAGE_V2 as ali-ons sends it (remoting.md 5.3).
remoting::RemotingCommand send_request(const std::string& body, int queue_id = 0) {
  remoting::RemotingCommand request = remoting::make_request(code::kSendMessageV2);
  request.version = 121;
  request.ext_fields.set("a", "PID_handover");
  request.ext_fields.set("b", kTopic);
  request.ext_fields.set("c", "TBW102");
  request.ext_fields.set_int("d", 4);
  request.ext_fields.set_int("e", queue_id);
  request.ext_fields.set_int("f", 0);
  request.ext_fields.set_int("g", wall_ms());
  request.ext_fields.set_int("h", 0);
  request.ext_fields.set("i", "");
  request.ext_fields.set_int("j", 0);
  request.ext_fields.set_bool("k", false);
  request.body.assign(body.begin(), body.end());
  return request;
}

class HandoverGroup {
 public:
  HandoverGroup() {
    namesrv_port_ = test_support::free_tcp_port();
    std::string peers;
    for (int i = 0; i < 3; ++i) {
      ports_.push_back(test_support::free_tcp_port(true));
      peers += (i ? ";n" : "n") + std::to_string(i) + "-127.0.0.1:" + std::to_string(test_support::free_tcp_port());
    }
    fs::create_directories(conf_dir());
    for (int i = 0; i < 3; ++i) {
      std::ofstream out(conf_dir() / ("broker-n" + std::to_string(i) + ".conf"));
      out << "brokerClusterName=RaftCluster\nbrokerName=" << kBrokerName << "\nbrokerIP1=127.0.0.1\n"
          << "listenPort=" << ports_[i] << "\nnamesrvAddr=127.0.0.1:" << namesrv_port_ << "\n"
          << "storePathRootDir=" << (dir_.path() / ("node" + std::to_string(i))).string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kBrokerName << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n";
    }
  }
  ~HandoverGroup() {
    client_.close();
    run_rmqctl({"stop", "--conf-dir", conf_dir().string(), "--timeout", "20"});
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = read_text(entry.path() / "cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (cmdline.find(dir_.path().string() + "/") != std::string::npos) ::kill(std::stoi(name), SIGKILL);
    }
  }

  fs::path conf_dir() const { return dir_.path() / "conf"; }
  std::string address(int i) const { return "127.0.0.1:" + std::to_string(ports_.at(static_cast<std::size_t>(i))); }
  int node_of(const std::string& address) const {
    for (int i = 0; i < 3; ++i) {
      if (this->address(i) == address) return i;
    }
    return -1;
  }

  json status(int* exit_code = nullptr) {
    const auto r = run_rmqctl({"status", "--conf-dir", conf_dir().string(), "-o", "json"});
    if (exit_code) *exit_code = r.exit_code;
    return parse(r);
  }

  // brokerId 0 of our brokerName as the name server holds it now; "" when none.
  std::string registered_leader() {
    try {
      auto connection = client_.connect("127.0.0.1", namesrv_port_, 2000);
      auto result = connection->invoke_sync(remoting::make_request(code::kGetBrokerClusterInfo), 2000);
      connection->close();
      if (!result.ok() || result.response.code != rc::kSuccess) return {};
      const auto& body = result.response.body;
      const auto parsed =
          store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
      const auto& addrs = parsed.at("brokerAddrTable").at(kBrokerName).at("brokerAddrs");
      for (const auto& [id, addr] : addrs.items()) {
        if (id == "0") return addr.get<std::string>();
      }
    } catch (const std::exception&) {
    }
    return {};
  }

  // One request to `address` on a connection kept per address; a failed transport is code -1.
  remoting::RemotingCommand call(const std::string& address, remoting::RemotingCommand request,
                                 std::int64_t timeout_ms = 5000) {
    remoting::RemotingCommand failed;
    failed.code = -1;
    std::shared_ptr<remoting::Connection> connection;
    {
      std::lock_guard lock(mutex_);
      auto& c = connections_[address];
      if (!c || !c->is_open()) {
        try {
          const auto colon = address.rfind(':');
          c = client_.connect(address.substr(0, colon), static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))),
                              2000);
        } catch (const std::exception& e) {
          failed.remark = e.what();
          c.reset();
          return failed;
        }
      }
      connection = c;
    }
    auto result = connection->invoke_sync(std::move(request), timeout_ms);
    if (!result.ok()) {
      failed.remark = result.error;
      return failed;
    }
    return result.response;
  }

 private:
  ::rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::vector<std::uint16_t> ports_;
  remoting::RemotingClient client_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<remoting::Connection>> connections_;
};

// A producer that sends without pause to the address its route names; the route is refreshed from the name
// server every route_refresh_ms (ali-ons: 30 s) and not on a failure, like a client between two refreshes.
class Producer {
 public:
  Producer(HandoverGroup& group, std::int64_t route_refresh_ms) : group_(group), refresh_ms_(route_refresh_ms) {
    thread_ = std::thread([this] { run(); });
  }
  ~Producer() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t sent() const { return sent_.load(); }
  std::int64_t ok() const { return ok_.load(); }
  std::vector<std::string> failures() {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  void run() {
    std::string route;
    auto refreshed = Clock::time_point{};
    while (!stop_.load()) {
      if (route.empty() || Clock::now() - refreshed > std::chrono::milliseconds(refresh_ms_)) {
        const std::string now = group_.registered_leader();
        if (!now.empty()) route = now;
        refreshed = Clock::now();
      }
      if (route.empty()) continue;
      const std::int64_t n = sent_.fetch_add(1);
      auto response = group_.call(route, send_request("m" + std::to_string(n)));
      if (response.code == rc::kSuccess) {
        ok_.fetch_add(1);
      } else {
        std::lock_guard lock(mutex_);
        failures_.push_back("send " + std::to_string(n) + " to " + route + ": code " + std::to_string(response.code) +
                            " " + response.remark.value_or(""));
      }
    }
  }

  HandoverGroup& group_;
  const std::int64_t refresh_ms_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> sent_{0};
  std::atomic<std::int64_t> ok_{0};
  std::mutex mutex_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

// The failures grouped by their text after "code": how many of each (the test's diagnosis when one fails).
std::string failure_summary(const std::vector<std::string>& failures) {
  std::map<std::string, int> by_remark;
  for (const auto& f : failures) {
    const auto at = f.find(": code ");
    by_remark[at == std::string::npos ? f : f.substr(at + 2)]++;
  }
  std::string out;
  for (const auto& [remark, count] : by_remark) out += "  " + std::to_string(count) + " x " + remark + "\n";
  return out;
}

std::string start_group(HandoverGroup& group) {
  const auto started = run_rmqctl({"start", "--conf-dir", group.conf_dir().string(), "--wait", "60"});
  EXPECT_EQ(started.exit_code, 0) << started.out << started.err;
  const json status = group.status();
  return status.value("leader", json(nullptr)).is_string() ? status["leader"].get<std::string>() : "";
}

TEST(GroupHandover, StopOfTheLeaderHandsOverFirstAndNoSendFails) {
  HandoverGroup group;
  const std::string leader = start_group(group);
  ASSERT_FALSE(leader.empty());
  const int leader_index = std::stoi(leader.substr(1));
  Producer producer(group, 200);
  while (producer.ok() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  // --route-wait 1: the producer refreshes its route every 200 ms; meanwhile the old leader forwards.
  const auto stop = run_rmqctl({"stop", "--conf-dir", group.conf_dir().string(), "--node", leader, "-o", "json",
                                "--timeout", "30", "--route-wait", "1"});
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  const json stopped = parse(stop);
  // transferredTo is set only once another node led and was writable, which stop_group waits for before the
  // SIGTERM; the message says how long the hand-over took.
  ASSERT_TRUE(stopped["transferredTo"].is_string()) << stop.out << stop.err;
  const std::string new_leader = stopped["transferredTo"];
  EXPECT_NE(new_leader, leader);
  EXPECT_NE(stop.err.find("leadership handed over from " + leader + " to " + new_leader), std::string::npos)
      << stop.err;
  EXPECT_EQ(stopped["nodes"][0]["state"], "stopped");

  const std::int64_t ok_at_stop = producer.ok();
  while (producer.ok() < ok_at_stop + 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  producer.stop();
  const auto failures = producer.failures();
  std::printf("stop --node %s: %lld sends, %zu failed; leadership went to %s\n", leader.c_str(),
              static_cast<long long>(producer.sent()), failures.size(), new_leader.c_str());
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front() << "\n"
                                 << failure_summary(failures);

  int rc = 0;
  const json after = group.status(&rc);
  EXPECT_EQ(after["leader"], new_leader);
  EXPECT_EQ(rc, 1) << "one node is down";
  EXPECT_EQ(group.registered_leader(), group.address(std::stoi(new_leader.substr(1))));
  (void)leader_index;
}

TEST(GroupHandover, FollowerForwardsSendsToTheLeaderOnce) {
  HandoverGroup group;
  const std::string leader = start_group(group);
  ASSERT_FALSE(leader.empty());
  const int leader_index = std::stoi(leader.substr(1));
  const int follower = (leader_index + 1) % 3;
  // The leader creates the topic (auto-create from TBW102) with the first send.
  auto first = group.call(group.address(leader_index), send_request("to the leader"));
  ASSERT_EQ(first.code, rc::kSuccess) << first.remark.value_or("");

  auto forwarded = group.call(group.address(follower), send_request("through a follower"));
  ASSERT_EQ(forwarded.code, rc::kSuccess) << forwarded.remark.value_or("");
  EXPECT_TRUE(forwarded.ext_fields.contains("msgId"));
  EXPECT_EQ(forwarded.ext_fields.get_int64("queueOffset"), first.ext_fields.get_int64("queueOffset").value_or(-9) + 1);

  // GET_MAX_OFFSET on the leader counts both.
  remoting::RemotingCommand max = remoting::make_request(code::kGetMaxOffset);
  max.ext_fields.set("topic", kTopic);
  max.ext_fields.set_int("queueId", 0);
  auto answer = group.call(group.address(leader_index), std::move(max));
  ASSERT_EQ(answer.code, rc::kSuccess);
  EXPECT_EQ(answer.ext_fields.get_int64("offset"), 2);

  // A request some broker already forwarded is not forwarded again: 14, and nothing is stored.
  auto twice = send_request("forwarded before");
  twice.ext_fields.set("rmqForwardedBy", "127.0.0.1:1");
  auto refused = group.call(group.address(follower), std::move(twice));
  EXPECT_EQ(refused.code, rc::kServiceNotAvailable) << refused.remark.value_or("");
  remoting::RemotingCommand max_again = remoting::make_request(code::kGetMaxOffset);
  max_again.ext_fields.set("topic", kTopic);
  max_again.ext_fields.set_int("queueId", 0);
  EXPECT_EQ(group.call(group.address(leader_index), std::move(max_again)).ext_fields.get_int64("offset"), 2);
}

TEST(GroupHandover, RollingRestartUnderSendsLosesNone) {
  HandoverGroup group;
  const std::string leader = start_group(group);
  ASSERT_FALSE(leader.empty());
  const json before = group.status();
  std::map<std::string, int> pid_before;
  for (const auto& n : before["nodes"]) pid_before[n["id"]] = n["pid"].get<int>();

  Producer producer(group, 1000);
  while (producer.ok() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto began = Clock::now();
  const auto restart = run_rmqctl({"restart", "--rolling", "--conf-dir", group.conf_dir().string(), "--route-wait",
                                   "2", "--wait", "40", "-o", "json"});
  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  const json result = parse(restart);
  const std::int64_t ok_at_end = producer.ok();
  while (producer.ok() < ok_at_end + 100) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  producer.stop();

  ASSERT_EQ(result["restarted"].size(), 3u) << restart.err;
  EXPECT_EQ(result["restarted"][2], leader) << "the leader goes last";
  EXPECT_EQ(result["oldLeader"], leader);
  ASSERT_TRUE(result["newLeader"].is_string());
  EXPECT_NE(result["newLeader"], leader);
  EXPECT_EQ(result["status"]["healthy"], true);
  const json after = group.status();
  for (const auto& n : after["nodes"]) EXPECT_NE(n["pid"].get<int>(), pid_before[n["id"]]) << n.dump();

  const auto failures = producer.failures();
  std::printf("restart --rolling: %.1f s, %lld sends, %lld SEND_OK, %zu failed\n", seconds,
              static_cast<long long>(producer.sent()), static_cast<long long>(producer.ok()), failures.size());
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front() << "\n"
                                 << failure_summary(failures);
}

}  // namespace
}  // namespace rmq::cli_test
