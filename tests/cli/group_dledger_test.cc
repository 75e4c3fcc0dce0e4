// rmqctl migrate --start, status and stop on a real DLedger group: a legacy pair made by rmq-gen-store, migrated,
// started (name server included) by rmqctl, three rmq-broker processes in DLedger mode on free loopback ports
// (issue 11, "Done when" 1). The same group also proves issue 10 "Done when" 1, first bullet: a new consumer
// group pulls every legacy message at its original queue offset from the leader and from each follower, new
// sends continue every legacy queue's offsets (and reach every node), and at the end every node's store passes
// `rmqctl check-commitlog --store` (last bullet), the SIGKILLed ex-leader's included.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "broker/store/commitlog_files.h"
#include "broker/store/commitlog_scan.h"
#include "broker/store/message_record.h"
#include "tests/cli/group_test_support.h"
#include "tests/integration/broker_test_harness.h"

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

// Every message of the legacy master's commitlog (the migration's source), in log order.
struct LegacyMessage {
  std::string topic;
  int queue_id = 0;
  std::int64_t queue_offset = 0;
  std::string body;
};
std::vector<LegacyMessage> read_legacy(const fs::path& commitlog_dir) {
  std::vector<LegacyMessage> out;
  store::ScanOptions options;
  options.on_record = [&](std::int64_t offset, common::ByteSpan bytes) {
    store::MessageRecord record;
    const auto decoded = store::decode_record(bytes, true, &record);
    if (decoded.status != store::DecodeStatus::kOk) {
      ADD_FAILURE() << "legacy record at " << offset << ": " << store::to_string(decoded.status);
      return;
    }
    out.push_back({record.topic, record.queue_id, record.queue_offset,
                   std::string(record.body.begin(), record.body.end())});
  };
  const auto scan = store::scan_commitlog(store::list_commitlog_files(commitlog_dir, 1048576), options);
  EXPECT_FALSE(scan.has_corruption());
  return out;
}

// One node of the started group, reached by our remoting client at its listen address.
class NodeClient {
 public:
  explicit NodeClient(const std::string& address) {
    const auto colon = address.rfind(':');
    conn_ = client_.connect(address.substr(0, colon), static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))),
                            3000);
  }
  ~NodeClient() { client_.close(); }
  remoting::RemotingCommand call(remoting::RemotingCommand request) {
    return integration::BrokerHarness::call_on(conn_, std::move(request), 10000);
  }
  // Pulls topic/queue from `offset` as `group` until `count` records came (or 20 s passed). A follower that
  // answers something else than found / not found (e.g. 17 before the topic sync) is asked again.
  std::vector<store::MessageRecord> pull(const std::string& group, const std::string& topic, int queue_id,
                                         std::int64_t offset, std::size_t count) {
    std::vector<store::MessageRecord> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto response = call(integration::BrokerHarness::pull_request(group, topic, queue_id, offset, 0, 32));
      if (response.code == remoting::response_code::kSuccess) {
        for (auto& r : integration::BrokerHarness::decode_records(response.body)) out.push_back(std::move(r));
        offset = *response.ext_fields.get_int64("nextBeginOffset");
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return out;
  }

 private:
  remoting::RemotingClient client_;
  std::shared_ptr<remoting::Connection> conn_;
};

// storePathRootDir of every node config rmqctl migrate wrote into `conf_dir`.
std::vector<fs::path> node_stores(const fs::path& conf_dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(conf_dir)) {
    if (entry.path().extension() != ".conf") continue;
    std::smatch m;
    const std::string text = read_text(entry.path());
    if (std::regex_search(text, m, std::regex("(^|\n)storePathRootDir=([^\n]*)"))) out.push_back(m[2].str());
  }
  std::sort(out.begin(), out.end());
  return out;
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

  // Issue 10, Done-when 1, bullet 1: a new consumer group reads every legacy message at its original queue
  // offset from the leader and from each follower (each node pulled directly; followers serve pulls).
  const auto legacy = read_legacy(pair / "master" / "commitlog");
  ASSERT_GT(legacy.size(), 1000u);
  std::map<std::pair<std::string, int>, std::vector<const LegacyMessage*>> queues;  // by queue offset
  for (const auto& m : legacy) {
    auto& q = queues[{m.topic, m.queue_id}];
    ASSERT_EQ(m.queue_offset, static_cast<std::int64_t>(q.size())) << m.topic << "/" << m.queue_id;
    q.push_back(&m);
  }
  std::map<std::string, std::unique_ptr<NodeClient>> nodes;  // node id -> client
  for (const auto& n : status["nodes"]) {
    nodes[n["id"].get<std::string>()] = std::make_unique<NodeClient>(n["address"].get<std::string>());
  }
  ASSERT_EQ(nodes.size(), 3u);
  for (auto& [id, node] : nodes) {
    std::size_t matched = 0;
    for (const auto& [key, messages] : queues) {
      const auto records = node->pull("GID_legacy_reader_" + id, key.first, key.second, 0, messages.size());
      ASSERT_EQ(records.size(), messages.size()) << "node " << id << " " << key.first << "/" << key.second;
      for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].queue_offset, static_cast<std::int64_t>(i)) << id << " " << key.first;
        EXPECT_EQ(records[i].topic, key.first);
        EXPECT_EQ(records[i].queue_id, key.second);
        if (std::string(records[i].body.begin(), records[i].body.end()) == messages[i]->body) ++matched;
      }
    }
    EXPECT_EQ(matched, legacy.size()) << "node " << id << " (" << (id == leader ? "leader" : "follower") << ")";
  }
  std::printf("%zu legacy messages in %zu queues read at their original offsets from each of the 3 nodes\n",
              legacy.size(), queues.size());

  // New sends continue every queue's offsets, and every node serves them.
  for (const auto& [key, messages] : queues) {
    const std::string body = "after-migration-" + key.first + "-" + std::to_string(key.second);
    auto response =
        nodes[leader]->call(integration::BrokerHarness::send_request(key.first, key.second, body));
    ASSERT_EQ(response.code, remoting::response_code::kSuccess) << response.remark.value_or("");
    EXPECT_EQ(response.ext_fields.get_int64("queueOffset"), static_cast<std::int64_t>(messages.size()))
        << key.first << "/" << key.second;
  }
  for (auto& [id, node] : nodes) {
    for (const auto& [key, messages] : queues) {
      const auto records = node->pull("GID_new_reader_" + id, key.first, key.second,
                                      static_cast<std::int64_t>(messages.size()), 1);
      ASSERT_EQ(records.size(), 1u) << "node " << id << " " << key.first << "/" << key.second;
      EXPECT_EQ(std::string(records[0].body.begin(), records[0].body.end()),
                "after-migration-" + key.first + "-" + std::to_string(key.second));
    }
  }
  nodes.clear();

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

  // Issue 10, Done-when 1, last bullet: every node's store passes check-commitlog, the SIGKILLed one too.
  const auto stores = node_stores(target / "conf");
  ASSERT_EQ(stores.size(), 3u);
  for (const auto& store : stores) {
    const auto check = run_rmqctl({"check-commitlog", "--store", store.string()});
    EXPECT_EQ(check.exit_code, 0) << store << "\n" << check.out << check.err;
  }
}

}  // namespace
}  // namespace rmq::cli_test
