// The processes under attack: one rmq-namesrv and a three-node DLedger group of rmq-broker, started the way
// an operator starts them (broker.conf with enableDLegerCommitLog=true, default DLedger timings, default send
// forwarding), plus the levers the fault schedule pulls: SIGKILL, SIGSTOP/SIGCONT, clean stop, restart, and,
// when the machine allows network namespaces, partitions between the brokers (tests/support/netns_lab.h).
//
// Two placements, same interface:
//  * with a NetnsLab (root and iproute2): each broker runs in its own namespace with its own IP and the same
//    ports; the name server and the test's clients stay in the test's namespace, so cutting the peer links
//    never cuts the clients (the partition a Raft group must survive, as dledger_partition_test.cc does);
//  * without one: every process on 127.0.0.1 with free ports; partitions are then unavailable.
// With `store_tmpfs_bytes` > 0 (root only) every node's store root is a tmpfs of that size of its own, so that
// one node's disk can be filled (fill_disk) and freed (free_disk) without touching the others or the machine.
//
// Clients: FaultGroup::Client is one thread's set of connections (one RemotingClient, one connection per
// node, reconnected on demand). The processes are stopped by the destructor (a paused one is resumed first,
// so that its SIGTERM is seen); the store directories live in a TempDir, kept (copied) by keep_copy() when a
// test fails so the evidence survives.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/store/config_file.h"
#include "tests/support/background_process.h"
#include "tests/support/netns_lab.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::fault {

using Clock = std::chrono::steady_clock;
using remoting::RemotingCommand;
namespace code = remoting::request_code;
namespace rc = remoting::response_code;

inline constexpr const char* kBrokerName = "FaultGroup";
inline constexpr const char* kTopic = "FaultTopic";
inline constexpr int kQueues = 4;
inline constexpr int kNodes = 3;
// The group's defaults (broker/dledger/dledger_config.h): election timeout 750 ms, heartbeat 100 ms.
inline constexpr std::int64_t kElectionTimeoutMs = 750;
inline constexpr std::int64_t kDataFileSizeBytes = 1048576;  // mappedFileSizeCommitLog below

inline std::int64_t ms_since(Clock::time_point from, Clock::time_point to = Clock::now()) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

class FaultGroup {
 public:
  // `lab` may be null (loopback placement). The lab must outlive the group.
  explicit FaultGroup(test_support::NetnsLab* lab, std::uint64_t store_tmpfs_bytes = 0) : lab_(lab) {
    namesrv_port_ = test_support::free_tcp_port();
    namesrv_ = std::make_unique<test_support::BackgroundProcess>(
        std::vector<std::string>{RMQ_BINARY_DIR "/rmq-namesrv", "--listen-port", std::to_string(namesrv_port_),
                                 "--kv-config-path", ""},
        dir_.path() / "namesrv.log");
    if (!namesrv_->wait_for_port(namesrv_port_, std::chrono::seconds(20))) {
      throw std::runtime_error("rmq-namesrv did not start\n" + namesrv_->log());
    }
    std::string peers;
    for (int i = 0; i < kNodes; ++i) {
      if (lab_) {
        broker_ports_[i] = 30911;
        peer_ports_[i] = 40911;
      } else {
        broker_ports_[i] = test_support::free_tcp_port(true);
        peer_ports_[i] = test_support::free_tcp_port();
      }
      peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-" + host(i) + ":" +
               std::to_string(peer_ports_[i]);
    }
    const std::string namesrv_host = lab_ ? lab_->gateway_ip() : "127.0.0.1";
    for (int i = 0; i < kNodes; ++i) {
      std::filesystem::create_directories(store_root(i));
      if (store_tmpfs_bytes > 0) {
        const std::string options = "size=" + std::to_string(store_tmpfs_bytes);
        if (::mount("tmpfs", store_root(i).c_str(), "tmpfs", 0, options.c_str()) != 0) {
          throw std::runtime_error("mount tmpfs on " + store_root(i).string() + ": " + std::strerror(errno));
        }
        mounted_[i] = true;
      }
      std::ofstream out(conf_path(i));
      out << "brokerClusterName=FaultCluster\nbrokerName=" << kBrokerName << "\nbrokerIP1=" << host(i)
          << "\nlistenPort=" << broker_ports_[i] << "\nnamesrvAddr=" << namesrv_host << ":" << namesrv_port_ << "\n"
          << "storePathRootDir=" << store_root(i).string() << "\n"
          << "mappedFileSizeCommitLog=" << kDataFileSizeBytes
          << "\nmappedFileSizeConsumeQueue=60000\nflushConsumerOffsetInterval=1000\n"
          << "enableDLegerCommitLog=true\ndLegerGroup=" << kBrokerName << "\ndLegerPeers=" << peers << "\n"
          << "dLegerSelfId=n" << i << "\n";
    }
  }
  ~FaultGroup() {
    for (int i = 0; i < kNodes; ++i) {
      if (brokers_[i] && paused_[i]) ::kill(brokers_[i]->pid(), SIGCONT);
    }
    for (auto& broker : brokers_) broker.reset();  // before the lab goes (they live in its namespaces)
    namesrv_.reset();
    admin_.reset();
    for (int i = 0; i < kNodes; ++i) {
      if (mounted_[i]) ::umount2(store_root(i).c_str(), MNT_DETACH);
    }
  }
  FaultGroup(const FaultGroup&) = delete;
  FaultGroup& operator=(const FaultGroup&) = delete;

  bool partitions_available() const { return lab_ != nullptr; }
  test_support::NetnsLab* lab() { return lab_; }
  std::string host(int i) const { return lab_ ? lab_->host_ip(i) : std::string("127.0.0.1"); }
  std::uint16_t port(int i) const { return broker_ports_[i]; }
  std::string address(int i) const { return host(i) + ":" + std::to_string(broker_ports_[i]); }
  int node_of(const std::string& address) const {
    for (int i = 0; i < kNodes; ++i) {
      if (this->address(i) == address) return i;
    }
    return -1;
  }
  std::filesystem::path dir() const { return dir_.path(); }
  std::filesystem::path store_root(int i) const { return dir_.path() / ("node" + std::to_string(i)); }
  std::filesystem::path conf_path(int i) const { return dir_.path() / ("broker-n" + std::to_string(i) + ".conf"); }
  std::uint16_t namesrv_port() const { return namesrv_port_; }

  // --- process levers -----------------------------------------------------------------------------------
  // Starts node i (or starts it again) and waits until it listens; false with the log when it does not.
  bool start(int i, std::string* why = nullptr) {
    if (!brokers_[i]) {
      std::vector<std::string> argv;
      if (lab_) argv = lab_->exec_prefix(i);
      argv.emplace_back(RMQ_BINARY_DIR "/rmq-broker");
      argv.emplace_back("-c");
      argv.push_back(conf_path(i).string());
      brokers_[i] = std::make_unique<test_support::BackgroundProcess>(
          argv, dir_.path() / ("broker-n" + std::to_string(i) + ".log"));
    } else {
      brokers_[i]->restart();
    }
    paused_[i] = false;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && brokers_[i]->running()) {
      if (test_support::NetnsLab::accepts(host(i), broker_ports_[i], 200)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (why) *why = "n" + std::to_string(i) + " did not start listening\n" + brokers_[i]->log();
    return false;
  }
  bool running(int i) { return brokers_[i] && brokers_[i]->running(); }
  // SIGKILL and reap (a paused process dies too).
  void kill(int i) {
    if (!brokers_[i]) return;
    brokers_[i]->kill_hard();
    paused_[i] = false;
  }
  // SIGKILL to several nodes at once (every signal sent before any is reaped), then reap them.
  void kill_together(const std::vector<int>& nodes) {
    for (int i : nodes) {
      if (brokers_[i] && brokers_[i]->running()) ::kill(brokers_[i]->pid(), SIGKILL);
    }
    for (int i : nodes) kill(i);
  }
  // SIGTERM (clean stop); the exit status.
  int stop(int i) {
    if (!brokers_[i]) return -1;
    if (paused_[i]) resume(i);
    return brokers_[i]->stop();
  }
  void pause(int i) {
    ::kill(brokers_[i]->pid(), SIGSTOP);
    paused_[i] = true;
  }
  void resume(int i) {
    ::kill(brokers_[i]->pid(), SIGCONT);
    paused_[i] = false;
  }

  // Fills node i's store file system (its own tmpfs) to the last block with a file "filler"; the bytes taken.
  std::uint64_t fill_disk(int i) {
    const auto path = store_root(i) / "filler";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("open " + path.string() + ": " + std::strerror(errno));
    std::uint64_t taken = 0;
    for (std::uint64_t step = 8 << 20; step >= 4096; step /= 2) {
      while (::fallocate(fd, 0, static_cast<off_t>(taken), static_cast<off_t>(step)) == 0) taken += step;
    }
    ::close(fd);
    return taken;
  }
  void free_disk(int i) {
    std::error_code ec;
    std::filesystem::remove(store_root(i) / "filler", ec);
  }
  // The exit status of node i if it has ended, else -1.
  int exit_code(int i) { return brokers_[i] ? brokers_[i]->exit_code() : -1; }
  bool store_on_tmpfs() const { return mounted_[0]; }

  std::string logs() const {
    std::string out = namesrv_ ? namesrv_->log() : "";
    for (const auto& broker : brokers_) {
      if (broker) out += broker->log();
    }
    return out;
  }
  // The last `bytes` of every log (failure messages stay readable).
  std::string log_tails(std::size_t bytes = 4000) const {
    std::string out;
    for (const auto& broker : brokers_) {
      if (!broker) continue;
      std::string text = broker->log();
      if (text.size() > bytes) text = "...\n" + text.substr(text.size() - bytes);
      out += text;
    }
    return out;
  }
  // Copies the whole directory (configs, logs, stores) to `to`, for a failure's post-mortem.
  void keep_copy(const std::filesystem::path& to) const {
    std::error_code ec;
    std::filesystem::create_directories(to, ec);
    std::filesystem::copy(dir_.path(), to, std::filesystem::copy_options::recursive, ec);
  }

  // --- one thread's connections -------------------------------------------------------------------------
  class Client {
   public:
    explicit Client(const FaultGroup& group) : group_(group) {}
    ~Client() { client_.close(); }
    // The answer of node i, or nullopt when there was none (refused, closed, timed out).
    std::optional<RemotingCommand> call(int i, RemotingCommand request, std::int64_t timeout_ms) {
      auto& conn = connections_[i];
      if (!conn || !conn->is_open()) {
        try {
          conn = client_.connect(group_.host(i), group_.port(i), 1000);
        } catch (const std::exception&) {
          conn.reset();
          return std::nullopt;
        }
      }
      auto result = conn->invoke_sync(std::move(request), timeout_ms);
      if (!result.ok()) return std::nullopt;
      return result.response;
    }
    // brokerId -> node index for our brokerName, as the name server holds it now (empty when unknown).
    std::map<std::int64_t, int> registered() {
      std::map<std::int64_t, int> out;
      if (!namesrv_ || !namesrv_->is_open()) {
        try {
          namesrv_ = client_.connect("127.0.0.1", group_.namesrv_port(), 1000);
        } catch (const std::exception&) {
          return out;
        }
      }
      auto result = namesrv_->invoke_sync(remoting::make_request(code::kGetBrokerClusterInfo), 3000);
      if (!result.ok() || result.response.code != rc::kSuccess) return out;
      const auto& body = result.response.body;
      try {
        const auto json =
            store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
        auto table = json.find("brokerAddrTable");
        if (table == json.end() || !table->contains(kBrokerName)) return out;
        for (const auto& [id, addr] : (*table)[kBrokerName]["brokerAddrs"].items()) {
          out[std::stoll(id)] = group_.node_of(addr.get<std::string>());
        }
      } catch (const std::exception&) {
        out.clear();
      }
      return out;
    }
    // (term, role, ledger end index, committed index) from node i's GET_BROKER_RUNTIME_INFO.
    struct Raft {
      std::int64_t term = -1;
      std::string role;
      std::int64_t end_index = -2;
      std::int64_t committed_index = -2;
    };
    std::optional<Raft> raft(int i, std::int64_t timeout_ms = 2000) {
      auto response = call(i, remoting::make_request(code::kGetBrokerRuntimeInfo), timeout_ms);
      if (!response || response->code != rc::kSuccess) return std::nullopt;
      try {
        const auto json = store::parse_fastjson(
            std::string_view(reinterpret_cast<const char*>(response->body.data()), response->body.size()));
        auto table = json.find("table");
        if (table == json.end()) return std::nullopt;
        const auto get = [&](const char* key) -> std::int64_t {
          return table->contains(key) ? std::stoll((*table)[key].get<std::string>()) : -2;
        };
        Raft out;
        out.term = get("dLegerTerm");
        out.role = table->value("dLegerRole", std::string());
        out.end_index = get("dLegerLedgerEndIndex");
        out.committed_index = get("dLegerCommittedIndex");
        return out;
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    std::optional<std::int64_t> max_offset(int i, int queue_id) {
      RemotingCommand request = remoting::make_request(code::kGetMaxOffset);
      request.ext_fields.set("topic", kTopic);
      request.ext_fields.set_int("queueId", queue_id);
      auto response = call(i, std::move(request), 3000);
      if (!response || response->code != rc::kSuccess) return std::nullopt;
      return response->ext_fields.get_int64("offset");
    }

   private:
    const FaultGroup& group_;
    remoting::RemotingClient client_;
    std::map<int, std::shared_ptr<remoting::Connection>> connections_;
    std::shared_ptr<remoting::Connection> namesrv_;
  };

  Client& admin() {
    if (!admin_) admin_ = std::make_unique<Client>(*this);
    return *admin_;
  }

  // The node registered as brokerId 0 that also calls itself LEADER, or -1.
  int leader() {
    auto table = admin().registered();
    auto it = table.find(0);
    if (it == table.end() || it->second < 0) return -1;
    auto raft = admin().raft(it->second, 1000);
    return raft && raft->role == "LEADER" ? it->second : -1;
  }

  // Healthy: every node runs and answers, one leader registered as brokerId 0 with all three entries in the
  // name server, and every node's ledger end has reached what the leader had committed when the wait began
  // (so the next fault starts from a group in which every node holds every acknowledged message).
  bool wait_healthy(std::chrono::milliseconds timeout, std::string* why) {
    const auto deadline = Clock::now() + timeout;
    std::int64_t target = -1;
    std::string last;
    while (Clock::now() < deadline) {
      const int l = leader();
      auto table = admin().registered();
      if (l < 0 || table.size() != kNodes) {
        last = "no leader registered as brokerId 0 with 3 brokers (registered: " + std::to_string(table.size()) + ")";
      } else {
        auto lr = admin().raft(l);
        if (lr && target < 0) target = lr->committed_index;
        bool all = lr.has_value();
        for (int i = 0; all && i < kNodes; ++i) {
          auto r = admin().raft(i);
          if (!r || r->end_index < target || r->committed_index < target) {
            all = false;
            last = "n" + std::to_string(i) + " has not reached the leader's committed index " + std::to_string(target);
          }
        }
        if (all) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (why) *why = last;
    return false;
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
    auto response = admin().call(i, std::move(request), 15000);
    return response ? response->code : -1;
  }

 private:
  test_support::NetnsLab* lab_;
  rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::uint16_t broker_ports_[kNodes] = {};
  std::uint16_t peer_ports_[kNodes] = {};
  std::unique_ptr<test_support::BackgroundProcess> namesrv_;
  std::unique_ptr<test_support::BackgroundProcess> brokers_[kNodes];
  bool paused_[kNodes] = {};
  bool mounted_[kNodes] = {};
  std::unique_ptr<Client> admin_;
};

}  // namespace rmq::fault
