// The broker's processors over a FakeMessageStore, served by a RemotingServer on an ephemeral loopback port
// and called through a RemotingClient, so that unit tests see exactly the responses a client would (codes,
// extFields as strings, bodies) without files or other processes.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_server.h"
#include "broker/server/admin_broker_processor.h"
#include "broker/server/broker_controller.h"
#include "broker/server/broker_services.h"
#include "broker/server/client_manage_processor.h"
#include "broker/server/consumer_manage_processor.h"
#include "broker/server/pull_message_processor.h"
#include "broker/server/query_message_processor.h"
#include "broker/server/send_message_processor.h"
#include "tests/unit/server/fake_message_store.h"

namespace rmq::server::testing {

using remoting::RemotingCommand;
namespace code = remoting::request_code;
namespace rc = remoting::response_code;

inline BrokerConfig test_config(const std::string& extra = "") {
  auto load = parse_broker_config(
      common::JavaProperties::parse("brokerClusterName=TestCluster\nbrokerName=broker-u\nbrokerIP1=127.0.0.1\n"
                                    "listenPort=10911\npullMessageThreadPoolNums=4\n" + extra,
                                    "test.conf"),
      "test.conf", std::nullopt, std::nullopt);
  return load.config;
}

class BrokerFixture {
 public:
  explicit BrokerFixture(const std::string& extra_conf = "")
      : services_(test_config(extra_conf), store_, false),
        send_(services_),
        pull_(services_),
        client_manage_(services_),
        consumer_manage_(services_),
        admin_(services_),
        query_(services_),
        server_(remoting::ServerOptions{"127.0.0.1", 0, 2}) {
    services_.set_register_hooks([this] { ++register_async_calls; }, [this] { ++register_sync_calls; });
    register_broker_processors(server_, send_, pull_, client_manage_, consumer_manage_, admin_, query_, services_);
    pull_.start();
    server_.start();
    client_.register_handler(code::kNotifyConsumerIdsChanged, [this](RemotingCommand request, remoting::Responder) {
      std::lock_guard lock(mutex_);
      notifications_.push_back(request);
    });
    conn_ = client_.connect("127.0.0.1", server_.port(), 3000);
  }
  ~BrokerFixture() {
    client_.close();
    pull_.shutdown();
    services_.shutdown_pools();
    server_.stop();
  }

  test_support::FakeMessageStore& store() { return store_; }
  BrokerServices& services() { return services_; }
  PullMessageProcessor& pull() { return pull_; }
  std::shared_ptr<remoting::Connection> connection() { return conn_; }
  std::shared_ptr<remoting::Connection> second_connection() { return client_.connect("127.0.0.1", server_.port(), 3000); }

  RemotingCommand call(RemotingCommand request, std::int64_t timeout_ms = 5000) {
    return call_on(conn_, std::move(request), timeout_ms);
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

  std::vector<RemotingCommand> notifications() {
    std::lock_guard lock(mutex_);
    return notifications_;
  }

  std::atomic<int> register_async_calls{0};
  std::atomic<int> register_sync_calls{0};

 private:
  test_support::FakeMessageStore store_;
  BrokerServices services_;
  SendMessageProcessor send_;
  PullMessageProcessor pull_;
  ClientManageProcessor client_manage_;
  ConsumerManageProcessor consumer_manage_;
  AdminBrokerProcessor admin_;
  QueryMessageProcessor query_;
  remoting::RemotingServer server_;
  remoting::RemotingClient client_;
  std::shared_ptr<remoting::Connection> conn_;
  std::mutex mutex_;
  std::vector<RemotingCommand> notifications_;
};

// SEND_MESSAGE_V2 as ali-ons fills it (remoting.md 5.3 step 3 and the trace of section 7).
inline RemotingCommand send_v2(const std::string& topic, int queue_id, const std::string& body,
                               const std::string& properties = "") {
  RemotingCommand r = remoting::make_request(code::kSendMessageV2);
  r.version = 121;
  r.ext_fields = remoting::ExtFields{{"a", "PID_example"}, {"b", topic}, {"c", "TBW102"}, {"d", "4"},
                                     {"e", std::to_string(queue_id)}, {"f", "0"}, {"g", "1795708792624"},
                                     {"h", "0"}, {"i", properties}, {"j", "0"}, {"k", "false"}};
  r.body.assign(body.begin(), body.end());
  return r;
}

inline RemotingCommand pull_request(const std::string& group, const std::string& topic, int queue_id,
                                    std::int64_t offset, int sys_flag, std::int64_t suspend_ms = 15000,
                                    const std::string& subscription = "*", std::int64_t commit_offset = 0) {
  RemotingCommand r = remoting::make_request(code::kPullMessage);
  r.ext_fields = remoting::ExtFields{{"consumerGroup", group},
                                     {"topic", topic},
                                     {"queueId", std::to_string(queue_id)},
                                     {"queueOffset", std::to_string(offset)},
                                     {"maxMsgNums", "32"},
                                     {"sysFlag", std::to_string(sys_flag)},
                                     {"commitOffset", std::to_string(commit_offset)},
                                     {"suspendTimeoutMillis", std::to_string(suspend_ms)},
                                     {"subscription", subscription},
                                     {"subVersion", "1795708792634"}};
  return r;
}

inline RemotingCommand create_topic(const std::string& topic, int queues, int perm = 6) {
  RemotingCommand r = remoting::make_request(code::kUpdateAndCreateTopic);
  r.ext_fields = remoting::ExtFields{{"topic", topic},
                                     {"defaultTopic", "TBW102"},
                                     {"readQueueNums", std::to_string(queues)},
                                     {"writeQueueNums", std::to_string(queues)},
                                     {"perm", std::to_string(perm)},
                                     {"topicFilterType", "SINGLE_TAG"},
                                     {"topicSysFlag", "0"},
                                     {"order", "false"}};
  return r;
}

inline std::string text_of(const common::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace rmq::server::testing
