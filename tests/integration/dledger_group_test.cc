// A DLedger group of real processes on loopback (issue 10, storage.md 7, remoting.md 3.4, dledger-group.md 2):
// one rmq-namesrv and three rmq-broker with enableDLegerCommitLog=true. Checks what clients see: one leader
// registered as brokerId 0 and the followers as selfId number + 1, a send to a follower answered 14 with the
// upstream remark, sends to the leader pullable from every node, and after a SIGKILL of the leader a new
// leader registered as brokerId 0 that takes sends. Every process is stopped by the fixture's destructor.
// FollowerDownDuring10000SendsCatchesUp (issue 10, Done-when 1, bullet 3): a follower SIGKILLed before 10,000
// sends restarts, reaches the leader's ledger end and committed index, serves the same messages, and at the
// end every node's store passes `rmqctl check-commitlog --store` (last bullet).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/store/config_file.h"
#include "tests/cli/run_process.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kBrokerName = "RaftNode00";
constexpr const char* kTopic = "DLedgerGroupTopic";

class DLedgerGroup {
 public:
  static constexpr int kNodes = 3;

  DLedgerGroup() {
    namesrv_port_ = test_support::free_tcp_port();
    namesrv_ = std::make_unique<test_support::BackgroundProcess>(
        std::vector<std::string>{RMQ_BINARY_DIR "/rmq-namesrv", "--listen-port", std::to_string(namesrv_port_),
                                 "--kv-config-path", ""},
        dir_.path() / "namesrv.log");
    if (!namesrv_->wait_for_port(namesrv_port_, std::chrono::seconds(20))) {
      ADD_FAILURE() << "rmq-namesrv did not start\n" << namesrv_->log();
    }
    std::string peers;
    for (int i = 0; i < kNodes; ++i) {
      broker_ports_[i] = test_support::free_tcp_port(true);
      peer_ports_[i] = test_support::free_tcp_port();
      peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-127.0.0.1:" + std::to_string(peer_ports_[i]);
    }
    for (int i = 0; i < kNodes; ++i) {
      const auto root = dir_.path() / ("node" + std::to_string(i));
      std::filesystem::create_directories(root);
      std::ofstream out(conf_path(i));
      out << "brokerClusterName=RaftCluster\nbrokerName=" << kBrokerName << "\nbrokerIP1=127.0.0.1\n"
          << "listenPort=" << broker_ports_[i] << "\nnamesrvAddr=127.0.0.1:" << namesrv_port_ << "\n"
          << "storePathRootDir=" << root.string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\nflushConsumerOffsetInterval=1000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kBrokerName << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n"
          // The upstream behaviour (a follower answers sends with 14); forwarding is dledger_forward_test.cc's.
          << "dLegerForwardSends=false\n";
    }
  }
  ~DLedgerGroup() { client_.close(); }

  std::filesystem::path conf_path(int i) const { return dir_.path() / ("broker-n" + std::to_string(i) + ".conf"); }
  std::string address(int i) const { return "127.0.0.1:" + std::to_string(broker_ports_[i]); }
  int node_of(const std::string& address) const {
    for (int i = 0; i < kNodes; ++i) {
      if (this->address(i) == address) return i;
    }
    return -1;
  }

  void start(int i) {
    if (!brokers_[i]) {
      brokers_[i] = std::make_unique<test_support::BackgroundProcess>(
          std::vector<std::string>{RMQ_BINARY_DIR "/rmq-broker", "-c", conf_path(i).string()},
          dir_.path() / ("broker-n" + std::to_string(i) + ".log"));
    } else {
      brokers_[i]->restart();
    }
    ASSERT_TRUE(brokers_[i]->wait_for_port(broker_ports_[i], std::chrono::seconds(30))) << brokers_[i]->log();
  }
  void kill(int i) {
    connections_.erase(i);
    brokers_[i]->kill_hard();
  }
  // SIGTERM; the exit status.
  int stop(int i) {
    connections_.erase(i);
    return brokers_[i]->stop();
  }
  std::filesystem::path store_root(int i) const { return dir_.path() / ("node" + std::to_string(i)); }
  std::shared_ptr<remoting::Connection> connection(int i) {
    auto& conn = connections_[i];
    if (!conn || !conn->is_open()) conn = client_.connect("127.0.0.1", broker_ports_[i], 3000);
    return conn;
  }

  // dLegerLedgerEndIndex and dLegerCommittedIndex from node i's GET_BROKER_RUNTIME_INFO (-2 when unknown).
  std::pair<std::int64_t, std::int64_t> ledger_indexes(int i) {
    auto response = call(i, remoting::make_request(code::kGetBrokerRuntimeInfo), 3000);
    if (response.code != rc::kSuccess) return {-2, -2};
    const auto& body = response.body;
    const auto json = store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
    const auto table = json.find("table");
    if (table == json.end()) return {-2, -2};
    const auto get = [&](const char* key) -> std::int64_t {
      return table->contains(key) ? std::stoll((*table)[key].get<std::string>()) : -2;
    };
    return {get("dLegerLedgerEndIndex"), get("dLegerCommittedIndex")};
  }
  std::string logs() const {
    std::string out = namesrv_->log();
    for (const auto& broker : brokers_) {
      if (broker) out += broker->log();
    }
    return out;
  }

  // brokerId -> address for our brokerName, as the name server holds it now (GET_BROKER_CLUSTER_INFO).
  std::map<std::int64_t, std::string> registered() {
    if (!namesrv_conn_ || !namesrv_conn_->is_open()) namesrv_conn_ = client_.connect("127.0.0.1", namesrv_port_, 3000);
    auto result = namesrv_conn_->invoke_sync(remoting::make_request(code::kGetBrokerClusterInfo), 5000);
    std::map<std::int64_t, std::string> out;
    if (!result.ok() || result.response.code != rc::kSuccess) return out;
    const auto& body = result.response.body;
    const auto json = store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
    auto table = json.find("brokerAddrTable");
    if (table == json.end() || !table->contains(kBrokerName)) return out;
    for (const auto& [id, addr] : (*table)[kBrokerName]["brokerAddrs"].items()) {
      out[std::stoll(id)] = addr.get<std::string>();
    }
    return out;
  }
  // Waits until brokerId 0 is registered (by a node other than `not_node`) and every live node is registered;
  // returns the leader's node index, or -1.
  int wait_for_leader(std::size_t live_nodes, int not_node = -1,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto table = registered();
      auto leader = table.find(0);
      if (leader != table.end() && table.size() == live_nodes && node_of(leader->second) != not_node) {
        return node_of(leader->second);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  RemotingCommand call(int i, RemotingCommand request, std::int64_t timeout_ms = 10000) {
      return BrokerHarness::call_on(connection(i), std::move(request), timeout_ms);
  }

  RemotingCommand create_topic(int i, int queues) {
    RemotingCommand request = remoting::make_request(code::kUpdateAndCreateTopic);
    request.ext_fields.set("topic", kTopic);
    request.ext_fields.set("defaultTopic", "TBW102");
    request.ext_fields.set_int("readQueueNums", queues);
    request.ext_fields.set_int("writeQueueNums", queues);
    request.ext_fields.set_int("perm", 6);
    request.ext_fields.set("topicFilterType", "SINGLE_TAG");
    request.ext_fields.set_int("topicSysFlag", 0);
    request.ext_fields.set_bool("order", false);
    return call(i, std::move(request), 15000);
  }

  // Waits until node i answers QUERY_CONSUMER_OFFSET for (GID_dledger, kTopic, queue_id) with `offset`.
  bool wait_for_offset(int i, int queue_id, std::int64_t offset,
                       std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = Clock::now() + timeout;
    do {
      RemotingCommand query = remoting::make_request(code::kQueryConsumerOffset);
      query.ext_fields.set("consumerGroup", "GID_dledger");
      query.ext_fields.set("topic", kTopic);
      query.ext_fields.set_int("queueId", queue_id);
      auto response = call(i, std::move(query));
      if (response.code == rc::kSuccess && response.ext_fields.get_int64("offset") == offset) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (Clock::now() < deadline);
    return false;
  }

  // Pulls queue `queue_id` of node i from `offset` until `count` records came (or the time passed). A node
  // that does not know the topic yet (17: the follower sync has not run) is asked again.
  std::vector<store::MessageRecord> pull(int i, int queue_id, std::int64_t offset, std::size_t count,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::vector<store::MessageRecord> out;
    const auto deadline = Clock::now() + timeout;
    while (out.size() < count && Clock::now() < deadline) {
      auto response = call(i, BrokerHarness::pull_request("GID_dledger", kTopic, queue_id, offset, 500), 10000);
      if (response.code == rc::kSuccess) {
        EXPECT_EQ(response.ext_fields.get("suggestWhichBrokerId"), "0");
        for (auto& record : BrokerHarness::decode_records(response.body)) out.push_back(std::move(record));
        offset = *response.ext_fields.get_int64("nextBeginOffset");
      } else if (response.code != rc::kPullNotFound) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return out;
  }

 private:
  rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::uint16_t broker_ports_[kNodes] = {};
  std::uint16_t peer_ports_[kNodes] = {};
  std::unique_ptr<test_support::BackgroundProcess> namesrv_;
  std::unique_ptr<test_support::BackgroundProcess> brokers_[kNodes];
  remoting::RemotingClient client_;
  std::shared_ptr<remoting::Connection> namesrv_conn_;
  std::map<int, std::shared_ptr<remoting::Connection>> connections_;
};

std::string body_of(const store::MessageRecord& record) { return std::string(record.body.begin(), record.body.end()); }

TEST(DLedgerGroupTest, RolesRegistrationSendsPullsAndFailover) {
  DLedgerGroup group;
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) group.start(i);

  // One leader as brokerId 0, the followers as selfId number + 1.
  const int leader = group.wait_for_leader(3);
  ASSERT_GE(leader, 0) << group.logs();
  auto table = group.registered();
  ASSERT_EQ(table.size(), 3u) << group.logs();
  for (const auto& [id, address] : table) {
    const int node = group.node_of(address);
    ASSERT_GE(node, 0) << address;
    EXPECT_EQ(id, node == leader ? 0 : node + 1) << address;
  }

  ASSERT_EQ(group.create_topic(leader, 4).code, rc::kSuccess) << group.logs();

  // A follower refuses sends with 14 and upstream's remark, and stores nothing.
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) {
    if (i == leader) continue;
    auto response = group.call(i, BrokerHarness::send_request(kTopic, 0, "to-a-follower"));
    EXPECT_EQ(response.code, rc::kServiceNotAvailable);
    EXPECT_EQ(response.remark.value_or("").rfind("service not available now. It may be caused by one of the "
                                                 "following reasons: the broker's disk is full [CL:", 0),
              0u)
        << response.remark.value_or("");
  }

  // Sends to the leader succeed with consecutive queue offsets.
  constexpr int kPerQueue = 5;
  for (int n = 0; n < kPerQueue; ++n) {
    for (int q = 0; q < 4; ++q) {
      auto response = group.call(leader, BrokerHarness::send_request(kTopic, q, "m-" + std::to_string(q) + "-" +
                                                                                  std::to_string(n)));
      ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("") << group.logs();
      EXPECT_EQ(response.ext_fields.get_int64("queueOffset"), n);
    }
  }

  // Every node serves them (followers dispatch committed entries; their topic table comes from the sync).
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) {
    auto records = group.pull(i, 2, 0, kPerQueue);
    ASSERT_EQ(records.size(), static_cast<std::size_t>(kPerQueue)) << "node " << i << "\n" << group.logs();
    for (int n = 0; n < kPerQueue; ++n) {
      EXPECT_EQ(body_of(records[n]), "m-2-" + std::to_string(n)) << "node " << i;
      EXPECT_EQ(records[n].queue_offset, n);
    }
  }

  // A consumer offset committed on the leader reaches every follower by the follower sync (every 3 s).
  {
    RemotingCommand update = remoting::make_request(code::kUpdateConsumerOffset);
    update.ext_fields.set("consumerGroup", "GID_dledger");
    update.ext_fields.set("topic", kTopic);
    update.ext_fields.set_int("queueId", 2);
    update.ext_fields.set_int("commitOffset", 3);
    ASSERT_EQ(group.call(leader, std::move(update)).code, rc::kSuccess);
    const auto committed_at = Clock::now();
    for (int i = 0; i < DLedgerGroup::kNodes; ++i) {
      if (i == leader) continue;
      EXPECT_TRUE(group.wait_for_offset(i, 2, 3)) << "node " << i << "\n" << group.logs();
    }
    std::printf("consumer offset on both followers %lld ms after the commit on the leader\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - committed_at).count()));
  }

  // SIGKILL of the leader: a new leader registers as brokerId 0 and takes sends.
  const auto killed_at = Clock::now();
  group.kill(leader);
  const int new_leader = group.wait_for_leader(2, leader);
  const auto registered_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at).count();
  ASSERT_GE(new_leader, 0) << group.logs();
  ASSERT_NE(new_leader, leader);
  std::printf("new leader n%d registered as brokerId 0 %lld ms after SIGKILL of n%d\n", new_leader,
              static_cast<long long>(registered_ms), leader);
  auto after = group.registered();
  for (const auto& [id, address] : after) {
    const int node = group.node_of(address);
    EXPECT_NE(node, leader);
    EXPECT_EQ(id, node == new_leader ? 0 : node + 1) << address;
  }

  // Sends continue at the next queue offset on the new leader.
  auto response = group.call(new_leader, BrokerHarness::send_request(kTopic, 2, "after-failover"));
  ASSERT_EQ(response.code, rc::kSuccess) << response.remark.value_or("") << group.logs();
  EXPECT_EQ(response.ext_fields.get_int64("queueOffset"), kPerQueue);
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) {
    if (i == leader) continue;
    auto records = group.pull(i, 2, kPerQueue, 1);
    ASSERT_EQ(records.size(), 1u) << "node " << i << "\n" << group.logs();
    EXPECT_EQ(body_of(records[0]), "after-failover");
  }
  // Consumers resume where they were: the new leader serves the offset committed on the old one.
  EXPECT_TRUE(group.wait_for_offset(new_leader, 2, 3, std::chrono::seconds(1)));
  // The remaining follower still refuses sends.
  const int follower = 3 - leader - new_leader;
  EXPECT_EQ(group.call(follower, BrokerHarness::send_request(kTopic, 0, "x")).code, rc::kServiceNotAvailable);

  // The killed node comes back as a follower: registered under selfId + 1 (never 0), caught up, refusing sends.
  group.start(leader);
  const auto rejoin_deadline = Clock::now() + std::chrono::seconds(30);
  std::map<std::int64_t, std::string> rejoined;
  while (Clock::now() < rejoin_deadline) {
    rejoined = group.registered();
    if (rejoined.size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(rejoined.size(), 3u) << group.logs();
  EXPECT_EQ(rejoined[0], group.address(new_leader));
  EXPECT_EQ(rejoined[leader + 1], group.address(leader));
  auto caught_up = group.pull(leader, 2, kPerQueue, 1);
  ASSERT_EQ(caught_up.size(), 1u) << group.logs();
  EXPECT_EQ(body_of(caught_up[0]), "after-failover");
  EXPECT_EQ(group.call(leader, BrokerHarness::send_request(kTopic, 0, "x")).code, rc::kServiceNotAvailable);
}

TEST(DLedgerGroupTest, FollowerDownDuring10000SendsCatchesUp) {
  DLedgerGroup group;
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) group.start(i);
  const int leader = group.wait_for_leader(3);
  ASSERT_GE(leader, 0) << group.logs();
  constexpr int kQueues = 4;
  ASSERT_EQ(group.create_topic(leader, kQueues).code, rc::kSuccess) << group.logs();
  const int follower = (leader + 1) % DLedgerGroup::kNodes;
  // The follower must know the topic before it goes down only for pulls afterwards; its sync brings it anyway.
  group.kill(follower);

  // 10,000 sends to the leader, 64 in flight; every one must be acknowledged (leader + the other follower).
  constexpr int kSends = 10000;
  constexpr int kInFlight = 64;
  // Shared with the callbacks, which may outlive this scope if an assertion returns early.
  struct SendState {
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    int done = 0;
    std::vector<std::string> failures;
    std::map<std::pair<int, std::int64_t>, std::string> sent;  // (queue, queue offset) -> body
  };
  auto state = std::make_shared<SendState>();
  auto conn = group.connection(leader);
  const auto send_started = Clock::now();
  for (int n = 0; n < kSends; ++n) {
    {
      std::unique_lock lock(state->mu);
      ASSERT_TRUE(state->cv.wait_for(lock, std::chrono::seconds(20), [&] { return state->in_flight < kInFlight; }));
      ++state->in_flight;
    }
    const int queue = n % kQueues;
    std::string body = "catchup-" + std::to_string(n);
    conn->invoke_async(BrokerHarness::send_request(kTopic, queue, body), 10000,
                       [state, queue, body](remoting::InvokeResult result) {
                         std::lock_guard lock(state->mu);
                         if (!result.ok() || result.response.code != rc::kSuccess) {
                           state->failures.push_back(
                               body + ": " +
                               (result.ok() ? std::to_string(result.response.code) + " " +
                                                  result.response.remark.value_or("")
                                            : result.error));
                         } else {
                           state->sent[{queue, *result.response.ext_fields.get_int64("queueOffset")}] = body;
                         }
                         --state->in_flight;
                         ++state->done;
                         state->cv.notify_all();
                       });
  }
  {
    std::unique_lock lock(state->mu);
    ASSERT_TRUE(state->cv.wait_for(lock, std::chrono::seconds(60), [&] { return state->done == kSends; }))
        << state->done;
  }
  auto& failures = state->failures;
  auto& sent = state->sent;
  const auto send_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - send_started).count();
  ASSERT_TRUE(failures.empty()) << failures.size() << " sends failed, e.g. " << failures.front();
  ASSERT_EQ(sent.size(), static_cast<std::size_t>(kSends)) << "queue offsets handed out twice";
  for (int q = 0; q < kQueues; ++q) {
    ASSERT_TRUE(sent.count({q, 0}) && sent.count({q, kSends / kQueues - 1})) << "queue " << q;
  }
  const auto [leader_end, leader_committed] = group.ledger_indexes(leader);
  std::printf("10000 sends acknowledged in %lld ms with follower n%d down; leader ledger end %lld committed %lld\n",
              static_cast<long long>(send_ms), follower, static_cast<long long>(leader_end),
              static_cast<long long>(leader_committed));
  ASSERT_GE(leader_committed, kSends);

  // The follower restarts and catches up: its ledger end and committed index equal the leader's.
  const auto restart_at = Clock::now();
  group.start(follower);
  std::pair<std::int64_t, std::int64_t> f{-2, -2}, l{-2, -2};
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    l = group.ledger_indexes(leader);
    f = group.ledger_indexes(follower);
    if (f == l && l.first == l.second && l.first >= leader_committed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto catchup_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restart_at).count();
  ASSERT_EQ(f, l) << "follower (end, committed) vs leader's\n" << group.logs();
  std::printf("follower n%d caught up %lld ms after its restart (ledger end %lld, committed %lld)\n", follower,
              static_cast<long long>(catchup_ms), static_cast<long long>(f.first), static_cast<long long>(f.second));

  // Pulls from the caught-up follower and from the leader return the same messages, every one sent.
  for (const int node : {follower, leader}) {
    for (int q = 0; q < kQueues; ++q) {
      const auto records = group.pull(node, q, 0, kSends / kQueues);
      ASSERT_EQ(records.size(), static_cast<std::size_t>(kSends / kQueues)) << "node " << node << " queue " << q;
      for (const auto& r : records) {
        ASSERT_EQ(body_of(r), sent[std::make_pair(q, r.queue_offset)]) << "node " << node << " queue " << q << " offset "
                                                          << r.queue_offset;
      }
    }
  }

  // Every node's store passes check-commitlog after a clean stop.
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) EXPECT_EQ(group.stop(i), 0) << "n" << i;
  for (int i = 0; i < DLedgerGroup::kNodes; ++i) {
    const auto check = test_support::run_process(
        {RMQ_BINARY_DIR "/rmqctl", "check-commitlog", "--store", group.store_root(i).string()});
    EXPECT_EQ(check.exit_code, 0) << "n" << i << "\n" << check.out << check.err;
  }
}

}  // namespace
}  // namespace rmq::integration
