// A real rmq-namesrv and rmq-broker on loopback ports with a temporary store, driven through our
// RemotingClient, for the broker integration tests (tests/integration/broker_*.cc).
//
// Everything is torn down by the destructor (BackgroundProcess sends SIGTERM, then SIGKILL), the store lives
// in a TempDir, and every port comes from free_tcp_port, so tests can run in parallel with others.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/store/message_record.h"
#include "tests/support/background_process.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::integration {

using remoting::RemotingCommand;
namespace code = remoting::request_code;
namespace rc = remoting::response_code;

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class BrokerHarness {
 public:
  // `extra_conf`: more broker.conf lines ("flushDiskType=SYNC_FLUSH\n").
  explicit BrokerHarness(std::string extra_conf = "", bool with_namesrv = true) : extra_conf_(std::move(extra_conf)) {
    broker_port_ = test_support::free_tcp_port(true);
    if (with_namesrv) {
      namesrv_port_ = test_support::free_tcp_port();
      namesrv_ = std::make_unique<test_support::BackgroundProcess>(
          std::vector<std::string>{RMQ_BINARY_DIR "/rmq-namesrv", "--listen-port", std::to_string(namesrv_port_),
                                   "--kv-config-path", ""},
          dir_.path() / "namesrv.log");
      if (!namesrv_->wait_for_port(namesrv_port_, std::chrono::seconds(20))) {
        ADD_FAILURE() << "rmq-namesrv did not start\n" << namesrv_->log();
      }
    }
    write_conf();
  }
  ~BrokerHarness() { client_.close(); }

  const std::filesystem::path& dir() const { return dir_.path(); }
  // Stops the name server and starts it again on the same port (its tables are then empty).
  void restart_namesrv() {
    namesrv_->restart();
    if (!namesrv_->wait_for_port(namesrv_port_, std::chrono::seconds(20))) {
      ADD_FAILURE() << "rmq-namesrv did not restart\n" << namesrv_->log();
    }
  }
  std::filesystem::path store_dir() const { return dir_.path() / "store"; }
  std::filesystem::path conf_path() const { return dir_.path() / "broker.conf"; }
  std::uint16_t broker_port() const { return broker_port_; }
  std::uint16_t namesrv_port() const { return namesrv_port_; }
  std::string broker_address() const { return "127.0.0.1:" + std::to_string(broker_port_); }

  void write_conf() {
    std::ofstream out(conf_path(), std::ios::trunc);
    out << "brokerClusterName=TestCluster\nbrokerName=broker-t\nbrokerId=0\nbrokerIP1=127.0.0.1\n"
        << "listenPort=" << broker_port_ << "\n"
        << "storePathRootDir=" << store_dir().string() << "\n"
        << "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n"
        << "flushConsumerOffsetInterval=1000\n";
    if (namesrv_port_ != 0) out << "namesrvAddr=127.0.0.1:" << namesrv_port_ << "\n";
    out << extra_conf_;
  }

  // Starts (or restarts) the broker and connects to it.
  void start_broker() {
    if (!broker_) {
      broker_ = std::make_unique<test_support::BackgroundProcess>(
          std::vector<std::string>{RMQ_BINARY_DIR "/rmq-broker", "-c", conf_path().string()}, dir_.path() / "broker.log");
    } else {
      broker_->restart();
    }
    ASSERT_TRUE(broker_->wait_for_port(broker_port_, std::chrono::seconds(30))) << broker_->log();
    broker_conn_ = client_.connect("127.0.0.1", broker_port_, 3000);
  }
  test_support::BackgroundProcess& broker() { return *broker_; }
  std::string broker_log() const { return broker_ ? broker_->log() : ""; }

  // Stops with SIGTERM (clean) and returns the exit code.
  int stop_broker() {
    broker_conn_.reset();
    return broker_->stop();
  }
  int kill_broker() {
    broker_conn_.reset();
    return broker_->kill_hard();
  }

  std::shared_ptr<remoting::Connection> connect_broker() { return client_.connect("127.0.0.1", broker_port_, 3000); }
  std::shared_ptr<remoting::Connection> connect_namesrv() { return client_.connect("127.0.0.1", namesrv_port_, 3000); }

  RemotingCommand call(RemotingCommand request, std::int64_t timeout_ms = 5000) {
    return call_on(broker_conn_, std::move(request), timeout_ms);
  }
  static RemotingCommand call_on(const std::shared_ptr<remoting::Connection>& conn, RemotingCommand request,
                                 std::int64_t timeout_ms = 5000) {
    auto result = conn->invoke_sync(std::move(request), timeout_ms);
    if (!result.ok()) {
      ADD_FAILURE() << "call failed: " << result.error;
      RemotingCommand none;
      none.code = -1;
      return none;
    }
    return result.response;
  }

  RemotingCommand create_topic(const std::string& topic, int queues = 4, int perm = 6) {
    RemotingCommand request = remoting::make_request(code::kUpdateAndCreateTopic);
    request.ext_fields.set("topic", topic);
    request.ext_fields.set("defaultTopic", "TBW102");
    request.ext_fields.set_int("readQueueNums", queues);
    request.ext_fields.set_int("writeQueueNums", queues);
    request.ext_fields.set_int("perm", perm);
    request.ext_fields.set("topicFilterType", "SINGLE_TAG");
    request.ext_fields.set_int("topicSysFlag", 0);
    request.ext_fields.set_bool("order", false);
    return call(std::move(request), 15000);
  }

  // SEND_MESSAGE_V2 with ali-ons's fields (remoting.md 5.3 step 3).
  static RemotingCommand send_request(const std::string& topic, int queue_id, const std::string& body,
                                      const std::string& properties = "", int reconsume_times = 0,
                                      std::optional<int> max_reconsume = std::nullopt) {
    RemotingCommand request = remoting::make_request(code::kSendMessageV2);
    request.version = 121;
    request.ext_fields.set("a", "PID_test");
    request.ext_fields.set("b", topic);
    request.ext_fields.set("c", "TBW102");
    request.ext_fields.set_int("d", 4);
    request.ext_fields.set_int("e", queue_id);
    request.ext_fields.set_int("f", 0);
    request.ext_fields.set_int("g", wall_ms());
    request.ext_fields.set_int("h", 0);
    request.ext_fields.set("i", properties);
    request.ext_fields.set_int("j", reconsume_times);
    request.ext_fields.set_bool("k", false);
    if (max_reconsume) request.ext_fields.set_int("l", *max_reconsume);
    request.body.assign(body.begin(), body.end());
    return request;
  }
  RemotingCommand send(const std::string& topic, int queue_id, const std::string& body,
                       const std::string& properties = "") {
    return call(send_request(topic, queue_id, body, properties));
  }

  static RemotingCommand pull_request(const std::string& group, const std::string& topic, int queue_id,
                                      std::int64_t offset, std::int64_t suspend_ms = 0, int max_nums = 32,
                                      std::int64_t commit_offset = -1) {
    RemotingCommand request = remoting::make_request(code::kPullMessage);
    request.version = 121;
    request.ext_fields.set("consumerGroup", group);
    request.ext_fields.set("topic", topic);
    request.ext_fields.set_int("queueId", queue_id);
    request.ext_fields.set_int("queueOffset", offset);
    request.ext_fields.set_int("maxMsgNums", max_nums);
    int sys_flag = 0x4;  // subscription
    if (suspend_ms > 0) sys_flag |= 0x2;
    if (commit_offset >= 0) sys_flag |= 0x1;
    request.ext_fields.set_int("sysFlag", sys_flag);
    request.ext_fields.set_int("commitOffset", commit_offset);
    request.ext_fields.set_int("suspendTimeoutMillis", suspend_ms);
    request.ext_fields.set("subscription", "*");
    request.ext_fields.set_int("subVersion", 0);
    return request;
  }

  // Decodes a PULL / QUERY body: stored records back to back (remoting.md 2.3).
  static std::vector<store::MessageRecord> decode_records(const common::Bytes& body) {
    std::vector<store::MessageRecord> out;
    std::size_t pos = 0;
    while (pos < body.size()) {
      store::MessageRecord record;
      auto result = store::decode_record(common::ByteSpan(body).subspan(pos), true, &record);
      if (result.status != store::DecodeStatus::kOk) {
        ADD_FAILURE() << "record at " << pos << ": " << store::to_string(result.status) << " " << result.detail;
        break;
      }
      out.push_back(std::move(record));
      pos += static_cast<std::size_t>(result.size);
    }
    return out;
  }

  // Pulls `topic`/`queue` from `offset` until `count` records came back or `timeout` passed.
  std::vector<store::MessageRecord> pull_until(const std::string& group, const std::string& topic, int queue_id,
                                               std::int64_t offset, std::size_t count,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::vector<store::MessageRecord> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto response = call(pull_request(group, topic, queue_id, offset, 1000), 10000);
      if (response.code == rc::kSuccess) {
        for (auto& r : decode_records(response.body)) out.push_back(std::move(r));
        offset = *response.ext_fields.get_int64("nextBeginOffset");
      } else if (response.code != rc::kPullNotFound) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
    return out;
  }

  static std::string body_text(const store::MessageRecord& record) {
    return std::string(record.body.begin(), record.body.end());
  }

 private:
  testing::TempDir dir_;
  std::string extra_conf_;
  std::uint16_t broker_port_ = 0;
  std::uint16_t namesrv_port_ = 0;
  std::unique_ptr<test_support::BackgroundProcess> namesrv_;
  std::unique_ptr<test_support::BackgroundProcess> broker_;
  remoting::RemotingClient client_;
  std::shared_ptr<remoting::Connection> broker_conn_;
};

}  // namespace rmq::integration
