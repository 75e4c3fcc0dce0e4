// A DLedger group under network partitions (issue 10, Done-when 1, fourth bullet): real processes, one
// rmq-namesrv in the test's namespace and three rmq-broker, each in its own network namespace
// (tests/support/netns_lab.h), so that the links between the brokers can be cut while the test (the client)
// and the name server still reach every broker.
//
// LeaderIsolatedStepsDownAndNewLeaderServes: a producer sends to the leader without pause; the leader is cut
// from both followers. Checked: no send issued after the cut is acknowledged by the old leader, which steps
// down by check-quorum and refuses sends (14), re-registering as selfId + 1 (once healed, it forwards sends to the new leader); the two others elect a leader
// that registers as brokerId 0 and acknowledges sends; after the links heal the old leader rejoins as a
// follower (pre-vote: the new leader keeps its term), catches up, and every message that got SEND_OK, before
// or after the cut, is readable from the new leader and from the old one. Then a follower is cut off for
// longer than the election timeout: the leader keeps acknowledging (a majority is left), and when the
// follower comes back the leader and its term are unchanged. Figures (time to stop acknowledging, to a new
// leader, to rejoin) are printed; the bounds asserted are generous multiples of the configured timeouts.
//
// Needs root and iproute2 (network namespaces); skipped otherwise.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/store/config_file.h"
#include "tests/integration/broker_test_harness.h"
#include "tests/support/netns_lab.h"

namespace rmq::integration {
namespace {

using Clock = std::chrono::steady_clock;
using test_support::NetnsLab;

constexpr const char* kBrokerName = "RaftPartition";
constexpr const char* kTopic = "PartitionTopic";
constexpr int kQueues = 4;
// The group's defaults (dledger_config.h): heartbeat 100 ms, election timeout 750 ms, check-quorum on.
constexpr std::int64_t kElectionTimeoutMs = 750;

std::int64_t ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

class PartitionedGroup {
 public:
  static constexpr int kNodes = 3;

  explicit PartitionedGroup(NetnsLab& lab) : lab_(lab) {
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
      peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-" + lab_.host_ip(i) + ":" +
               std::to_string(kPeerPort);
    }
    for (int i = 0; i < kNodes; ++i) {
      const auto root = dir_.path() / ("node" + std::to_string(i));
      std::filesystem::create_directories(root);
      std::ofstream out(conf_path(i));
      out << "brokerClusterName=RaftCluster\nbrokerName=" << kBrokerName << "\nbrokerIP1=" << lab_.host_ip(i)
          << "\nlistenPort=" << kBrokerPort << "\nnamesrvAddr=" << lab_.gateway_ip() << ":" << namesrv_port_ << "\n"
          << "storePathRootDir=" << root.string() << "\n"
          << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\nflushConsumerOffsetInterval=1000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kBrokerName << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n";
    }
  }
  // Brokers first (they live in the lab's namespaces), then the client.
  ~PartitionedGroup() {
    for (auto& broker : brokers_) broker.reset();
    client_.close();
  }

  std::filesystem::path conf_path(int i) const { return dir_.path() / ("broker-n" + std::to_string(i) + ".conf"); }
  std::string address(int i) const { return lab_.host_ip(i) + ":" + std::to_string(kBrokerPort); }
  int node_of(const std::string& address) const {
    for (int i = 0; i < kNodes; ++i) {
      if (this->address(i) == address) return i;
    }
    return -1;
  }

  void start(int i) {
    std::vector<std::string> argv = lab_.exec_prefix(i);
    for (const char* a : {RMQ_BINARY_DIR "/rmq-broker", "-c"}) argv.emplace_back(a);
    argv.push_back(conf_path(i).string());
    brokers_[i] = std::make_unique<test_support::BackgroundProcess>(argv, dir_.path() / ("broker-n" + std::to_string(i) + ".log"));
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && brokers_[i]->running() && !NetnsLab::accepts(lab_.host_ip(i), kBrokerPort)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(NetnsLab::accepts(lab_.host_ip(i), kBrokerPort)) << brokers_[i]->log();
  }
  std::string logs() const {
    std::string out = namesrv_->log();
    for (const auto& broker : brokers_) {
      if (broker) out += broker->log();
    }
    return out;
  }

  // brokerId -> node index for our brokerName, as the name server holds it now.
  std::map<std::int64_t, int> registered() {
    std::lock_guard lock(mu_);
    if (!namesrv_conn_ || !namesrv_conn_->is_open()) namesrv_conn_ = client_.connect("127.0.0.1", namesrv_port_, 3000);
    auto result = namesrv_conn_->invoke_sync(remoting::make_request(code::kGetBrokerClusterInfo), 5000);
    std::map<std::int64_t, int> out;
    if (!result.ok() || result.response.code != rc::kSuccess) return out;
    const auto& body = result.response.body;
    const auto json = store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
    auto table = json.find("brokerAddrTable");
    if (table == json.end() || !table->contains(kBrokerName)) return out;
    for (const auto& [id, addr] : (*table)[kBrokerName]["brokerAddrs"].items()) {
      out[std::stoll(id)] = node_of(addr.get<std::string>());
    }
    return out;
  }
  // Waits until the name server holds exactly `expected` (brokerId -> node); false when the time passes.
  bool wait_for_registration(const std::map<std::int64_t, int>& expected, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    do {
      if (registered() == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (Clock::now() < deadline);
    return false;
  }
  // Waits until brokerId 0 is held by a node other than `not_node`; its index, or -1.
  int wait_for_leader(int not_node, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    do {
      auto table = registered();
      auto leader = table.find(0);
      if (leader != table.end() && leader->second >= 0 && leader->second != not_node) return leader->second;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (Clock::now() < deadline);
    return -1;
  }

  // A request to node i on the test's own connection to it (one caller thread at a time per node).
  std::optional<RemotingCommand> call(int i, RemotingCommand request, std::int64_t timeout_ms = 10000) {
    std::shared_ptr<remoting::Connection> conn;
    {
      std::lock_guard lock(mu_);
      auto& slot = connections_[i];
      if (!slot || !slot->is_open()) {
        try {
          slot = client_.connect(lab_.host_ip(i), kBrokerPort, 3000);
        } catch (const std::exception&) {
          return std::nullopt;
        }
      }
      conn = slot;
    }
    auto result = conn->invoke_sync(std::move(request), timeout_ms);
    if (!result.ok()) return std::nullopt;
    return result.response;
  }

  std::int32_t create_topic(int i) {
    RemotingCommand request = remoting::make_request(code::kUpdateAndCreateTopic);
    request.ext_fields.set("topic", kTopic);
    request.ext_fields.set("defaultTopic", "TBW102");
    request.ext_fields.set_int("readQueueNums", kQueues);
    request.ext_fields.set_int("writeQueueNums", kQueues);
    request.ext_fields.set_int("perm", 6);
    request.ext_fields.set("topicFilterType", "SINGLE_TAG");
    request.ext_fields.set_int("topicSysFlag", 0);
    request.ext_fields.set_bool("order", false);
    auto response = call(i, std::move(request), 15000);
    return response ? response->code : -1;
  }

  // Every body of every queue node i serves, waiting until `must_have` are all there (or the time passed).
  std::set<std::string> bodies(int i, const std::set<std::string>& must_have,
                               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = Clock::now() + timeout;
    std::set<std::string> out;
    std::int64_t next[kQueues] = {};
    while (true) {
      for (int q = 0; q < kQueues; ++q) {
        while (true) {
          auto response = call(i, BrokerHarness::pull_request("GID_partition", kTopic, q, next[q], 0, 32), 10000);
          if (!response || response->code != rc::kSuccess) break;
          for (auto& record : BrokerHarness::decode_records(response->body)) {
            out.insert(BrokerHarness::body_text(record));
          }
          next[q] = *response->ext_fields.get_int64("nextBeginOffset");
        }
      }
      bool all = true;
      for (const auto& b : must_have) all = all && out.count(b) > 0;
      if (all || Clock::now() >= deadline) return out;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // dLegerTerm and dLegerRole from node i's GET_BROKER_RUNTIME_INFO.
  std::pair<std::int64_t, std::string> term_and_role(int i) {
    auto response = call(i, remoting::make_request(code::kGetBrokerRuntimeInfo), 5000);
    if (!response || response->code != rc::kSuccess) return {-1, ""};
    const auto json = store::parse_fastjson(
        std::string_view(reinterpret_cast<const char*>(response->body.data()), response->body.size()));
    auto table = json.find("table");
    if (table == json.end()) return {-1, ""};
    const std::string term = table->value("dLegerTerm", std::string("-1"));
    return {std::stoll(term), table->value("dLegerRole", std::string())};
  }

 private:
  // Every broker has its own IP, so all may use the same ports.
  static constexpr std::uint16_t kBrokerPort = 30911;
  static constexpr std::uint16_t kPeerPort = 40911;

  NetnsLab& lab_;
  rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::unique_ptr<test_support::BackgroundProcess> namesrv_;
  std::unique_ptr<test_support::BackgroundProcess> brokers_[kNodes];
  std::mutex mu_;
  remoting::RemotingClient client_;
  std::shared_ptr<remoting::Connection> namesrv_conn_;
  std::map<int, std::shared_ptr<remoting::Connection>> connections_;
};

// One send and what came of it.
struct SendOutcome {
  std::string body;
  int node = -1;
  Clock::time_point issued;
  Clock::time_point answered;
  std::int32_t code = -1;  // -1: no answer (call failed or timed out)
};

// Sends to one node without pause, one at a time, until stopped; records every outcome.
class Producer {
 public:
  Producer(PartitionedGroup& group, int node, std::string prefix)
      : group_(group), node_(node), prefix_(std::move(prefix)), thread_([this] { loop(); }) {}
  ~Producer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<SendOutcome> outcomes() {
    std::lock_guard lock(mu_);
    return outcomes_;
  }
  std::size_t acknowledged() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& o : outcomes_) n += o.code == rc::kSuccess;
    return n;
  }

 private:
  void loop() {
    for (int seq = 0; !stop_; ++seq) {
      SendOutcome o;
      o.body = prefix_ + std::to_string(seq);
      o.node = node_;
      o.issued = Clock::now();
      auto response = group_.call(node_, BrokerHarness::send_request(kTopic, seq % kQueues, o.body), 4000);
      o.answered = Clock::now();
      if (response) o.code = response->code;
      {
        std::lock_guard lock(mu_);
        outcomes_.push_back(o);
      }
      if (o.code != rc::kSuccess) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  PartitionedGroup& group_;
  int node_;
  std::string prefix_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<SendOutcome> outcomes_;
  std::thread thread_;
};

TEST(DLedgerPartitionTest, LeaderIsolatedStepsDownAndNewLeaderServes) {
  if (auto why = NetnsLab::unavailable_reason()) GTEST_SKIP() << *why;
  NetnsLab lab(PartitionedGroup::kNodes);
  PartitionedGroup group(lab);
  for (int i = 0; i < PartitionedGroup::kNodes; ++i) group.start(i);

  const int leader = group.wait_for_leader(-1, std::chrono::seconds(30));
  ASSERT_GE(leader, 0) << group.logs();
  std::map<std::int64_t, int> expected{{0, leader}};
  for (int i = 0; i < PartitionedGroup::kNodes; ++i) {
    if (i != leader) expected[i + 1] = i;
  }
  ASSERT_TRUE(group.wait_for_registration(expected, std::chrono::seconds(30))) << group.logs();
  ASSERT_EQ(group.create_topic(leader), rc::kSuccess) << group.logs();

  std::set<std::string> acknowledged;  // every body that got SEND_OK, from any node

  // --- the leader is cut from both followers while a producer sends to it -----------------------------------
  Producer old_producer(group, leader, "old-");
  const auto warm_deadline = Clock::now() + std::chrono::seconds(10);
  while (old_producer.acknowledged() < 200 && Clock::now() < warm_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(old_producer.acknowledged(), 200u) << group.logs();

  const auto cut_begin = Clock::now();
  lab.isolate(leader);
  const auto cut_at = Clock::now();  // from here on the leader cannot reach a majority

  const int new_leader = group.wait_for_leader(leader, std::chrono::seconds(15));
  const auto new_leader_at = Clock::now();
  ASSERT_GE(new_leader, 0) << group.logs();
  ASSERT_NE(new_leader, leader);
  // The time to the first SEND_OK from the group: the new leader is asked at once.
  std::optional<Clock::time_point> first_new_ok;
  for (int attempt = 0; !first_new_ok && attempt < 500; ++attempt) {
    auto response = group.call(new_leader, BrokerHarness::send_request(kTopic, 0, "new-first"), 4000);
    if (response && response->code == rc::kSuccess) {
      first_new_ok = Clock::now();
      acknowledged.insert("new-first");
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_TRUE(first_new_ok.has_value()) << group.logs();

  // The old leader steps down by check-quorum: wait until it refuses sends (14) and re-registers.
  const auto refusal_deadline = Clock::now() + std::chrono::seconds(10);
  std::optional<Clock::time_point> refused_from;  // when the old leader answered a send with 14 first
  std::optional<Clock::time_point> last_ok_answer;
  while (!refused_from && Clock::now() < refusal_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& o : old_producer.outcomes()) {
      if (o.code == rc::kServiceNotAvailable && o.answered >= cut_at) {
        refused_from = o.answered;
        break;
      }
    }
  }
  // Keep the producer on the old leader a little longer: everything must be refused now.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  old_producer.stop();

  std::size_t after_cut_sends = 0;
  std::size_t after_cut_refused = 0;
  for (const auto& o : old_producer.outcomes()) {
    if (o.code == rc::kSuccess) {
      acknowledged.insert(o.body);
      if (!last_ok_answer || o.answered > *last_ok_answer) last_ok_answer = o.answered;
    }
    if (o.issued < cut_at) continue;
    ++after_cut_sends;
    // A send issued after the cut can never reach a majority: acknowledging it would be a lie.
    EXPECT_NE(o.code, rc::kSuccess) << o.body << " acknowledged by the isolated leader "
                                    << ms_between(cut_at, o.issued) << " ms after the cut";
    after_cut_refused += o.code == rc::kServiceNotAvailable;
  }
  ASSERT_TRUE(refused_from.has_value()) << "the isolated leader never refused a send\n" << group.logs();
  EXPECT_GT(after_cut_refused, 0u);
  const std::int64_t stop_ms = ms_between(cut_at, *refused_from);
  // check-quorum looks every election timeout, so the leader steps down within 2 timeouts of the cut; give
  // a slow, shared machine room on top (this bounds a regression to "never", not the figure).
  EXPECT_LE(stop_ms, 4 * kElectionTimeoutMs + 2000) << group.logs();

  // The majority's leader acknowledges sends; the old leader is registered as a follower (selfId + 1).
  const int third = 3 - leader - new_leader;
  std::map<std::int64_t, int> during{{0, new_leader}, {leader + 1, leader}, {third + 1, third}};
  EXPECT_TRUE(group.wait_for_registration(during, std::chrono::seconds(10)))
      << "the old leader did not re-register as a follower\n" << group.logs();
  {
    Producer new_producer(group, new_leader, "new-");
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (new_producer.acknowledged() < 100 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    new_producer.stop();
    for (const auto& o : new_producer.outcomes()) {
      if (o.code == rc::kSuccess) acknowledged.insert(o.body);
    }
    EXPECT_GE(new_producer.acknowledged(), 100u) << group.logs();
  }
  const auto [term_before_heal, role_before_heal] = group.term_and_role(new_leader);
  EXPECT_EQ(role_before_heal, "LEADER");
  // The old leader, alone, has no leader and cannot win a pre-vote.
  EXPECT_NE(group.term_and_role(leader).second, "LEADER");

  std::printf("partition: cut took %lld ms; isolated leader n%d: last SEND_OK answered %lld ms after the cut "
              "(%zu sends issued after the cut, none acknowledged, %zu refused with 14), first refusal 14 at "
              "%lld ms; new leader n%d registered as brokerId 0 at %lld ms, first SEND_OK from it at %lld ms\n",
              static_cast<long long>(ms_between(cut_begin, cut_at)), leader,
              static_cast<long long>(last_ok_answer ? ms_between(cut_at, *last_ok_answer) : -1), after_cut_sends,
              after_cut_refused, static_cast<long long>(stop_ms), new_leader,
              static_cast<long long>(ms_between(cut_at, new_leader_at)),
              static_cast<long long>(ms_between(cut_at, *first_new_ok)));

  // --- heal: the old leader rejoins as a follower and nothing acknowledged is lost --------------------------
  const auto heal_at = Clock::now();
  lab.heal_all();
  const std::set<std::string> on_new_leader = group.bodies(new_leader, acknowledged);
  std::size_t missing = 0;
  for (const auto& b : acknowledged) {
    if (!on_new_leader.count(b)) {
      if (++missing <= 10) ADD_FAILURE() << "acknowledged " << b << " is not on the new leader";
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged";
  const std::set<std::string> on_old_leader = group.bodies(leader, acknowledged, std::chrono::seconds(30));
  const auto caught_up_at = Clock::now();
  std::size_t missing_old = 0;
  for (const auto& b : acknowledged) missing_old += on_old_leader.count(b) == 0;
  EXPECT_EQ(missing_old, 0u) << "the old leader did not catch up\n" << group.logs();
  // What the old leader serves is exactly what the new one does: its unacknowledged tail was replaced.
  EXPECT_EQ(on_old_leader, group.bodies(new_leader, {}, std::chrono::seconds(0)));
  EXPECT_TRUE(group.wait_for_registration(during, std::chrono::seconds(5))) << group.logs();
  const auto [term_after_heal, role_after_heal] = group.term_and_role(new_leader);
  EXPECT_EQ(role_after_heal, "LEADER");
  EXPECT_EQ(term_after_heal, term_before_heal) << "the returning node disrupted the leader";
  EXPECT_EQ(group.term_and_role(leader).second, "FOLLOWER");
  {
    // The old leader is a follower now: it forwards the send to the new leader (broker/server/send_forwarder.h)
    // and relays its answer, so the message is acknowledged once, by the new leader's log.
    auto response = group.call(leader, BrokerHarness::send_request(kTopic, 0, "to-the-old-leader"));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->code, rc::kSuccess) << response->remark.value_or("");
    const auto forwarded_to = group.bodies(new_leader, {"to-the-old-leader"}, std::chrono::seconds(5));
    EXPECT_EQ(forwarded_to.count("to-the-old-leader"), 1u) << group.logs();
  }
  std::printf("partition: healed; the old leader served all %zu acknowledged messages %lld ms after the heal, "
              "as a follower; the new leader kept term %lld\n",
              acknowledged.size(), static_cast<long long>(ms_between(heal_at, caught_up_at)),
              static_cast<long long>(term_after_heal));

  // --- a follower cut off for longer than the election timeout does not disturb the leader -----------------
  lab.isolate(third);
  {
    Producer producer(group, new_leader, "minority-cut-");
    std::this_thread::sleep_for(std::chrono::milliseconds(4 * kElectionTimeoutMs));
    lab.heal_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * kElectionTimeoutMs));
    producer.stop();
    std::size_t failed = 0;
    for (const auto& o : producer.outcomes()) {
      if (o.code == rc::kSuccess) {
        acknowledged.insert(o.body);
      } else {
        ++failed;
      }
    }
    EXPECT_EQ(failed, 0u) << "the leader failed sends while only a follower was cut off";
    EXPECT_GT(producer.acknowledged(), 0u);
  }
  const auto [term_after_minority, role_after_minority] = group.term_and_role(new_leader);
  EXPECT_EQ(role_after_minority, "LEADER");
  EXPECT_EQ(term_after_minority, term_before_heal) << "the returning follower disrupted the leader";
  EXPECT_TRUE(group.wait_for_registration(during, std::chrono::seconds(5))) << group.logs();
  const std::set<std::string> on_third = group.bodies(third, acknowledged, std::chrono::seconds(30));
  std::size_t missing_third = 0;
  for (const auto& b : acknowledged) missing_third += on_third.count(b) == 0;
  EXPECT_EQ(missing_third, 0u) << "the follower cut off did not catch up\n" << group.logs();
}

}  // namespace
}  // namespace rmq::integration
