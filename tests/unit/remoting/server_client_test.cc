// The Asio server and client on loopback: calls in flight answered out of order, one-way requests,
// late answers, requests from the server to a client, timeouts and lost connections.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "broker/remoting/frame_codec.h"
#include "broker/remoting/remoting_client.h"
#include "tests/unit/remoting/raw_socket.h"
#include "tests/unit/remoting/test_server.h"

namespace rmq::remoting {
namespace {

using testing::kCount;
using testing::kDrop;
using testing::kEcho;
using testing::kHold;
using testing::kLater;
using testing::kThrow;
using testing::RawSocket;
using testing::TestServer;

constexpr std::int64_t kTimeoutMs = 5000;

// Collects async call results and lets the test wait for a number of them.
class Results {
 public:
  ResponseCallback callback(int tag) {
    return [this, tag](InvokeResult result) {
      std::lock_guard lock(mutex_);
      results_.emplace_back(tag, std::move(result));
      changed_.notify_all();
    };
  }
  bool wait(std::size_t count, int timeout_ms = 5000) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return results_.size() >= count; });
  }
  std::vector<std::pair<int, InvokeResult>> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(results_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<int, InvokeResult>> results_;
};

RemotingCommand request_with(std::int32_t code, std::string_view key, std::string value) {
  RemotingCommand request = make_request(code);
  request.ext_fields.set(key, std::move(value));
  return request;
}

class ServerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    ASSERT_NE(server_.port(), 0);
  }
  std::shared_ptr<Connection> connect() { return client_.connect("127.0.0.1", server_.port(), kTimeoutMs); }

  TestServer server_;
  RemotingClient client_;  // declared after the server: closed first
};

TEST_F(ServerClientTest, SyncRoundTrip) {
  auto connection = connect();
  RemotingCommand request = request_with(kEcho, "topic", "TopicTest");
  request.body = Bytes{1, 2, 3};
  const InvokeResult result = connection->invoke_sync(request, kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.code, response_code::kSuccess);
  EXPECT_TRUE(result.response.is_response());
  EXPECT_EQ(result.response.serialize_type, SerializeType::kJson);
  EXPECT_EQ(result.response.ext_fields.get("topic"), "TopicTest");
  EXPECT_EQ(result.response.body, (Bytes{1, 2, 3}));
  EXPECT_EQ(result.response.version, kCurrentVersion);
}

TEST_F(ServerClientTest, ManyInFlightAnsweredOutOfOrderMatchedByOpaque) {
  auto connection = connect();
  constexpr int kInFlight = 64;
  Results results;
  for (int i = 0; i < kInFlight; ++i) {
    connection->invoke_async(request_with(kHold, "n", std::to_string(i)), kTimeoutMs, results.callback(i));
  }
  ASSERT_TRUE(server_.wait_held(kInFlight));
  std::vector<testing::HeldRequest> held = server_.take_held();
  ASSERT_EQ(held.size(), static_cast<std::size_t>(kInFlight));
  // Answer in reverse arrival order, carrying each request's own "n" back.
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    RemotingCommand response = make_response(it->request, response_code::kSuccess);
    response.ext_fields.set("n", std::string(*it->request.ext_fields.get("n")));
    EXPECT_TRUE(it->responder.respond(std::move(response)));
  }
  ASSERT_TRUE(results.wait(kInFlight));
  const auto done = results.take();
  ASSERT_EQ(done.size(), static_cast<std::size_t>(kInFlight));
  for (std::size_t i = 0; i < done.size(); ++i) {
    const auto& [tag, result] = done[i];
    ASSERT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(result.response.ext_fields.get("n"), std::to_string(tag));
    // One connection preserves write order, so the callbacks come in answer order: last request first.
    EXPECT_EQ(tag, kInFlight - 1 - static_cast<int>(i));
  }
}

TEST_F(ServerClientTest, UnknownCodeAnsweredNotSupportedAndConnectionStaysOpen) {
  auto connection = connect();
  const InvokeResult result = connection->invoke_sync(make_request(4242), kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.code, response_code::kRequestCodeNotSupported);
  EXPECT_EQ(result.response.remark, std::optional<std::string>(" request type 4242 not supported"));
  EXPECT_TRUE(connection->is_open());
  EXPECT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
}

TEST_F(ServerClientTest, OnewayRequestIsServedButNeverAnswered) {
  RawSocket raw(server_.port());
  RemotingCommand oneway = make_oneway_request(kCount);
  oneway.opaque = 1;
  RemotingCommand echo = make_request(kEcho);
  echo.opaque = 2;
  // Also a one-way request for a code nobody serves: no "not supported" answer either.
  RemotingCommand unknown_oneway = make_oneway_request(4242);
  unknown_oneway.opaque = 3;
  ASSERT_TRUE(raw.send(encode_frame(oneway)));
  ASSERT_TRUE(raw.send(encode_frame(unknown_oneway)));
  ASSERT_TRUE(raw.send(encode_frame(echo)));
  const auto frame = raw.read_frame(static_cast<int>(kTimeoutMs));
  ASSERT_TRUE(frame.has_value());
  const DecodeResult decoded = decode_frame(ByteSpan(*frame));
  ASSERT_EQ(decoded.status, DecodeResult::Status::kCommand);
  EXPECT_EQ(decoded.command.opaque, 2);  // the first answer is the echo's
  EXPECT_EQ(server_.counted(), 1u);
  EXPECT_FALSE(raw.read_frame(100).has_value());

  // The same through the client.
  auto connection = connect();
  EXPECT_TRUE(connection->invoke_oneway(make_request(kCount)));
  EXPECT_TRUE(server_.wait_for([&] { return server_.counted_ >= 2; }));
}

TEST_F(ServerClientTest, ResponderAnswersLaterFromAnotherThread) {
  auto connection = connect();
  const auto started = std::chrono::steady_clock::now();
  const InvokeResult result = connection->invoke_sync(make_request(kLater), kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.remark, std::optional<std::string>("later"));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(50));
}

TEST_F(ServerClientTest, HeldRequestDoesNotBlockOthersOnTheSameConnection) {
  auto connection = connect();
  Results held;
  connection->invoke_async(make_request(kHold), kTimeoutMs, held.callback(0));
  ASSERT_TRUE(server_.wait_held(1));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
  auto parked = server_.take_held();
  parked[0].responder.respond(response_code::kPullNotFound);
  ASSERT_TRUE(held.wait(1));
  EXPECT_EQ(held.take()[0].second.response.code, response_code::kPullNotFound);
}

TEST_F(ServerClientTest, OnlyTheFirstAnswerCounts) {
  auto connection = connect();
  Results results;
  connection->invoke_async(make_request(kHold), kTimeoutMs, results.callback(0));
  ASSERT_TRUE(server_.wait_held(1));
  auto parked = server_.take_held();
  EXPECT_TRUE(parked[0].responder.respond(response_code::kSuccess));
  EXPECT_FALSE(parked[0].responder.respond(response_code::kSystemError));
  ASSERT_TRUE(results.wait(1));
  EXPECT_EQ(results.take()[0].second.response.code, response_code::kSuccess);
  EXPECT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
}

TEST_F(ServerClientTest, HandlerThatThrowsAnswersSystemError) {
  auto connection = connect();
  const InvokeResult result = connection->invoke_sync(make_request(kThrow), kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.code, response_code::kSystemError);
  EXPECT_EQ(result.response.remark, std::optional<std::string>("boom"));
  EXPECT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
}

TEST_F(ServerClientTest, DroppedResponderAnswersSystemError) {
  auto connection = connect();
  const InvokeResult result = connection->invoke_sync(make_request(kDrop), kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.code, response_code::kSystemError);
}

TEST_F(ServerClientTest, ClientTimeoutThenLateAnswerIsDropped) {
  auto connection = connect();
  const auto started = std::chrono::steady_clock::now();
  const InvokeResult result = connection->invoke_sync(make_request(kHold), 100);
  EXPECT_EQ(result.status, InvokeStatus::kTimeout);
  EXPECT_FALSE(result.error.empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(100));
  ASSERT_TRUE(server_.wait_held(1));
  auto parked = server_.take_held();
  EXPECT_TRUE(parked[0].responder.respond(response_code::kSuccess));  // arrives after the caller gave up
  const InvokeResult after = connection->invoke_sync(request_with(kEcho, "k", "v"), kTimeoutMs);
  ASSERT_TRUE(after.ok()) << after.error;
  EXPECT_EQ(after.response.ext_fields.get("k"), "v");
}

TEST_F(ServerClientTest, BinaryRequestGetsBinaryResponse) {
  auto connection = connect();
  RemotingCommand request = request_with(kEcho, "topic", "T");
  request.serialize_type = SerializeType::kRocketMq;
  const InvokeResult result = connection->invoke_sync(request, kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.serialize_type, SerializeType::kRocketMq);
  EXPECT_EQ(result.response.ext_fields.get("topic"), "T");

  // On the wire: the type byte of the answer's second word.
  RawSocket raw(server_.port());
  request.opaque = 9;
  ASSERT_TRUE(raw.send(encode_frame(request)));
  const auto frame = raw.read_frame(static_cast<int>(kTimeoutMs));
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ((*frame)[4], 0x01);
}

TEST_F(ServerClientTest, ServerSendsRequestsToClient) {
  RemotingClient client;
  std::promise<std::string> notified_group;
  client.register_handler(request_code::kGetConsumerRunningInfo, [](RemotingCommand request, Responder responder) {
    RemotingCommand response = make_response(request, response_code::kSuccess);
    response.body = Bytes{'r', 'u', 'n'};
    responder.respond(std::move(response));
  });
  client.register_handler(request_code::kNotifyConsumerIdsChanged,
                          [&notified_group](RemotingCommand request, Responder responder) {
                            EXPECT_FALSE(responder.wants_response());
                            notified_group.set_value(std::string(request.ext_fields.get("consumerGroup").value_or("")));
                          });
  auto connection = client.connect("127.0.0.1", server_.port(), kTimeoutMs);
  ASSERT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
  ASSERT_TRUE(server_.wait_for([&] { return server_.opened_.size() == 1; }));
  const std::shared_ptr<Connection> to_client = server_.opened()[0];
  EXPECT_EQ(to_client->peer_endpoint().port(), connection->local_endpoint().port());

  Results results;
  to_client->invoke_async(make_request(request_code::kGetConsumerRunningInfo), kTimeoutMs, results.callback(1));
  to_client->invoke_async(make_request(4242), kTimeoutMs, results.callback(2));
  ASSERT_TRUE(results.wait(2));
  auto done = results.take();
  std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ASSERT_TRUE(done[0].second.ok()) << done[0].second.error;
  EXPECT_EQ(done[0].second.response.body, (Bytes{'r', 'u', 'n'}));
  ASSERT_TRUE(done[1].second.ok()) << done[1].second.error;
  EXPECT_EQ(done[1].second.response.code, response_code::kRequestCodeNotSupported);

  RemotingCommand notify = make_oneway_request(request_code::kNotifyConsumerIdsChanged);
  notify.ext_fields.set("consumerGroup", "GID_example");
  EXPECT_TRUE(to_client->invoke_oneway(notify));
  auto group = notified_group.get_future();
  ASSERT_EQ(group.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(group.get(), "GID_example");
}

TEST_F(ServerClientTest, ServerRequestToSilentClientTimesOut) {
  // ali-ons never answers server requests: the server's call must time out, not hang.
  RawSocket silent(server_.port());
  ASSERT_TRUE(server_.wait_for([&] { return server_.opened_.size() == 1; }));
  Results results;
  server_.opened()[0]->invoke_async(make_request(request_code::kGetConsumerRunningInfo), 100, results.callback(0));
  ASSERT_TRUE(results.wait(1));
  EXPECT_EQ(results.take()[0].second.status, InvokeStatus::kTimeout);
}

TEST_F(ServerClientTest, ConnectionLossFailsEveryPendingCall) {
  // Declared before the client: if an assertion returns early, the client's destructor still fails the
  // pending calls into `results` (a TSan run caught the callback signalling a destroyed condition variable).
  Results results;
  std::promise<void> client_saw_close;
  RemotingClient client;
  client.on_connection_closed([&](const std::shared_ptr<Connection>&) { client_saw_close.set_value(); });
  auto connection = client.connect("127.0.0.1", server_.port(), kTimeoutMs);
  for (int i = 0; i < 3; ++i) connection->invoke_async(make_request(kHold), kTimeoutMs, results.callback(i));
  ASSERT_TRUE(server_.wait_held(3));
  server_.server().connections()[0]->close();
  ASSERT_TRUE(results.wait(3, 2000));  // well before the 5 s timeout
  for (const auto& [tag, result] : results.take()) EXPECT_EQ(result.status, InvokeStatus::kConnectionClosed);
  EXPECT_EQ(client_saw_close.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(connection->is_open());
  EXPECT_EQ(connection->invoke_sync(make_request(kEcho), kTimeoutMs).status, InvokeStatus::kConnectionClosed);
  EXPECT_FALSE(connection->invoke_oneway(make_request(kCount)));
  // The parked answers go nowhere.
  for (auto& held : server_.take_held()) EXPECT_FALSE(held.responder.respond(response_code::kSuccess));
}

TEST_F(ServerClientTest, ServerHearsClientDisconnect) {
  auto connection = connect();
  ASSERT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
  ASSERT_TRUE(server_.wait_for([&] { return server_.opened_.size() == 1; }));
  const std::uint64_t id = server_.opened()[0]->id();
  connection->close();
  ASSERT_TRUE(server_.wait_for([&] { return server_.closed_ids_.size() == 1; }));
  EXPECT_EQ(server_.closed_ids()[0], id);
  EXPECT_TRUE(server_.server().connections().empty());
}

TEST_F(ServerClientTest, ServerStopFailsClientCallsInFlight) {
  auto connection = connect();
  Results results;
  connection->invoke_async(make_request(kHold), kTimeoutMs, results.callback(0));
  ASSERT_TRUE(server_.wait_held(1));
  auto parked = server_.take_held();
  server_.server().stop();
  ASSERT_TRUE(results.wait(1, 2000));
  EXPECT_EQ(results.take()[0].second.status, InvokeStatus::kConnectionClosed);
  EXPECT_FALSE(parked[0].responder.respond(response_code::kSuccess));
}

TEST_F(ServerClientTest, InvokeSyncRefusedOnAnIoThread) {
  RemotingClient client;
  std::promise<std::string> outcome;
  client.register_handler(kEcho, [&outcome](RemotingCommand request, Responder responder) {
    try {
      responder.connection()->invoke_sync(make_request(kEcho), 100);
      outcome.set_value("ran");
    } catch (const std::logic_error&) {
      outcome.set_value("refused");
    }
    responder.respond(make_response(request, response_code::kSuccess));
  });
  auto connection = client.connect("127.0.0.1", server_.port(), kTimeoutMs);
  ASSERT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
  ASSERT_TRUE(server_.wait_for([&] { return server_.opened_.size() == 1; }));
  Results results;
  server_.opened()[0]->invoke_async(make_request(kEcho), kTimeoutMs, results.callback(0));
  ASSERT_TRUE(results.wait(1));
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get(), "refused");
}

TEST_F(ServerClientTest, ConcurrentClientsAndThreads) {
  RemotingClient client(ClientOptions{2});
  std::vector<std::shared_ptr<Connection>> connections;
  for (int i = 0; i < 4; ++i) connections.push_back(client.connect("127.0.0.1", server_.port(), kTimeoutMs));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto& connection = connections[static_cast<std::size_t>(t) % connections.size()];
      for (int i = 0; i < 100; ++i) {
        const std::string value = std::to_string(t * 1000 + i);
        const InvokeResult result = connection->invoke_sync(request_with(kEcho, "v", value), kTimeoutMs);
        if (!result.ok() || result.response.ext_fields.get("v") != value) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ServerClientTest, LargeBodyRoundTrip) {
  auto connection = connect();
  RemotingCommand request = make_request(kEcho);
  request.body.resize(4 * 1024 * 1024);
  for (std::size_t i = 0; i < request.body.size(); ++i) request.body[i] = static_cast<std::uint8_t>(i * 7);
  const InvokeResult result = connection->invoke_sync(request, kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.body, request.body);
}

TEST_F(ServerClientTest, OversizedRequestFailsToSendWithoutTouchingTheConnection) {
  auto connection = connect();
  RemotingCommand request = make_request(kEcho);
  request.body.resize(kMaxFrameBytes);
  const InvokeResult result = connection->invoke_sync(request, kTimeoutMs);
  EXPECT_EQ(result.status, InvokeStatus::kSendFailed);
  EXPECT_TRUE(connection->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
}

TEST(RemotingClientTest, ConnectRefusedThrows) {
  std::uint16_t port = 0;
  {
    TestServer server;
    server.start();
    port = server.port();
  }
  RemotingClient client;
  EXPECT_THROW(client.connect("127.0.0.1", port, 1000), RemotingError);
}

TEST(RemotingClientTest, ConfigurationAfterUseIsRefused) {
  TestServer server;
  server.start();
  EXPECT_THROW(server.server().register_handler(1, [](RemotingCommand, Responder) {}), std::logic_error);
  RemotingClient client;
  client.connect("127.0.0.1", server.port(), kTimeoutMs);
  EXPECT_THROW(client.register_handler(1, [](RemotingCommand, Responder) {}), std::logic_error);
  client.close();
  EXPECT_THROW(client.connect("127.0.0.1", server.port(), kTimeoutMs), std::logic_error);
}

TEST(RemotingServerTest, ListenFailureThrows) {
  TestServer first;
  first.start();
  RemotingServer second(ServerOptions{"127.0.0.1", first.port(), 1});
  // reuse_address does not allow two listeners on one port.
  EXPECT_THROW(second.start(), std::system_error);
}

}  // namespace
}  // namespace rmq::remoting
