// The server's limits against a live in-process server (server_limits.h, connection.h): read buffers follow
// the bytes that arrive, not the length a frame announces; the read and write budgets are shared and given
// back when connections close; a peer that does not take its replies stops being read and is closed when
// idle; connections past the cap are closed at once. Frames the tests send are assembled by hand.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "broker/remoting/byte_budget.h"
#include "broker/remoting/read_buffer.h"
#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_server.h"
#include "broker/remoting/server_limits.h"
#include "tests/unit/remoting/raw_socket.h"
#include "tests/unit/remoting/wire_bytes.h"

namespace rmq::remoting {
namespace {

using testing::RawSocket;

constexpr std::int32_t kEcho = 1000;
constexpr std::int32_t kBig = 1001;  // answered with a body of kBigReplyBytes
constexpr std::size_t kBigReplyBytes = 64 * 1024;
constexpr std::size_t kMiB = 1024 * 1024;

// The 8-byte prefix of a JSON frame: length word, then serialize type 0 and the header length.
Bytes frame_prefix(std::uint32_t length, std::uint32_t header_bytes) {
  Bytes out(8);
  common::store_u32_be(out.data(), length);
  common::store_u32_be(out.data() + 4, header_bytes);
  return out;
}

// A whole JSON request frame for `code` with no body.
Bytes request_frame(std::int32_t code, std::int32_t opaque) {
  const std::string header = R"({"code":)" + std::to_string(code) + R"(,"language":"JAVA","version":0,"opaque":)" +
                             std::to_string(opaque) + R"(,"flag":0})";
  Bytes out = frame_prefix(static_cast<std::uint32_t>(4 + header.size()), static_cast<std::uint32_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  return out;
}

template <typename Predicate>
bool eventually(Predicate predicate, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}

class LimitsServer {
 public:
  explicit LimitsServer(ServerLimits limits) : server_(ServerOptions{"127.0.0.1", 0, 2, limits}) {
    server_.register_handler(kEcho, [](RemotingCommand request, Responder responder) {
      RemotingCommand response = make_response(request, response_code::kSuccess);
      response.body = std::move(request.body);
      responder.respond(std::move(response));
    });
    server_.register_handler(kBig, [this](RemotingCommand request, Responder responder) {
      ++big_served_;
      RemotingCommand response = make_response(request, response_code::kSuccess);
      response.body.assign(kBigReplyBytes, 0x5A);
      responder.respond(std::move(response));
    });
    server_.start();
  }
  ~LimitsServer() { server_.stop(); }
  RemotingServer& server() { return server_; }
  std::uint16_t port() const { return server_.port(); }
  std::size_t big_served() const { return big_served_.load(); }

 private:
  std::atomic<std::size_t> big_served_{0};
  RemotingServer server_;
};

bool echo_works(RemotingClient& client, std::uint16_t port) {
  auto connection = client.connect("127.0.0.1", port, 3000);
  RemotingCommand request = make_request(kEcho);
  request.body.assign(100, 0x11);
  const InvokeResult result = connection->invoke_sync(std::move(request), 3000);
  return result.ok() && result.response.body.size() == 100;
}

TEST(ServerLimitsTest, DefaultsPassAndEveryRangeIsChecked) {
  EXPECT_FALSE(check_server_limits(ServerLimits{}).has_value());
  for (const ServerLimitKey& key : server_limit_keys()) {
    ServerLimits limits;
    limits.*key.field = key.min_value - 1;
    const auto below = check_server_limits(limits);
    ASSERT_TRUE(below.has_value()) << key.key;
    EXPECT_NE(below->find(key.key), std::string::npos) << *below;
    limits.*key.field = key.max_value + 1;
    EXPECT_TRUE(check_server_limits(limits).has_value()) << key.key;
    EXPECT_EQ(find_server_limit_key(key.key), &key);
  }
  EXPECT_EQ(find_server_limit_key("listenPort"), nullptr);
  ServerLimits crossed;
  crossed.write_low_water_bytes = crossed.write_high_water_bytes + 1;
  const auto problem = check_server_limits(crossed);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("writeBufferLowWaterMark"), std::string::npos);
  EXPECT_THROW(RemotingServer(ServerOptions{"127.0.0.1", 0, 1, crossed}), std::invalid_argument);
  ServerLimits over_max;
  over_max.write_high_water_bytes = over_max.write_queue_max_bytes + 1;
  EXPECT_TRUE(check_server_limits(over_max).has_value());
}

TEST(ByteBudgetTest, TryAcquireStopsAtTheCapAndAcquireDoesNot) {
  ByteBudget budget(100);
  EXPECT_TRUE(budget.try_acquire(60));
  EXPECT_FALSE(budget.try_acquire(41));
  EXPECT_TRUE(budget.try_acquire(40));
  EXPECT_FALSE(budget.try_acquire(1));
  EXPECT_EQ(budget.acquire(10), 110u);
  budget.release(110);
  EXPECT_EQ(budget.used_bytes(), 0u);
  EXPECT_FALSE(budget.try_acquire(101));
}

TEST(ReadBufferTest, KeepsItsBytesAcrossMallocAndMappedSizes) {
  ReadBuffer buffer(4096);
  for (std::size_t i = 0; i < 4096; ++i) buffer.data()[i] = static_cast<std::uint8_t>(i * 7);
  buffer.resize(ReadBuffer::kMmapFromBytes * 2, 4096);  // malloc -> mapping
  EXPECT_GE(buffer.size(), ReadBuffer::kMmapFromBytes * 2);
  for (std::size_t i = 4096; i < 200'000; ++i) buffer.data()[i] = static_cast<std::uint8_t>(i * 7);
  buffer.resize(8 * kMiB, 200'000);  // mapping -> mapping
  buffer.data()[8 * kMiB - 1] = 1;   // the whole new size is writable
  for (std::size_t i = 0; i < 200'000; ++i) ASSERT_EQ(buffer.data()[i], static_cast<std::uint8_t>(i * 7)) << i;
  buffer.resize(16 * 1024, 10'000);  // mapping -> malloc
  EXPECT_EQ(buffer.size(), 16u * 1024);
  for (std::size_t i = 0; i < 10'000; ++i) ASSERT_EQ(buffer.data()[i], static_cast<std::uint8_t>(i * 7)) << i;
  buffer.release();
  EXPECT_EQ(buffer.size(), 0u);
}

// A frame that announces 16 MiB takes nothing from the read budget until its bytes come, and then only
// about what came; all of it is given back when the connection closes.
TEST(ConnectionLimitsTest, ReadBufferFollowsTheBytesThatArriveNotTheAnnouncedLength) {
  LimitsServer server(ServerLimits{});
  RemotingClient client;
  {
    RawSocket raw(server.port());
    const std::uint32_t announced = 16 * kMiB - 4;  // the largest legal frame
    ASSERT_TRUE(raw.send(testing::Wire().append(frame_prefix(announced, 100)).text(R"({"code":1000,)").bytes()));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(server.server().read_budget_used_bytes(), 0u);
    ASSERT_TRUE(raw.send(Bytes(kMiB, 0x20)));
    ASSERT_TRUE(eventually([&] { return server.server().read_budget_used_bytes() >= kMiB - 64 * 1024; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LE(server.server().read_budget_used_bytes(), 2 * kMiB + 64 * 1024);
    EXPECT_TRUE(echo_works(client, server.port()));
  }
  EXPECT_TRUE(eventually([&] { return server.server().read_budget_used_bytes() == 0; }));
}

TEST(ConnectionLimitsTest, ReadBudgetClosesTheConnectionThatWouldExceedIt) {
  ServerLimits limits;
  limits.read_buffer_total_bytes = 16 * kMiB;  // the minimum: one frame of the largest size
  LimitsServer server(limits);
  RemotingClient client;
  auto first = std::make_unique<RawSocket>(server.port());
  ASSERT_TRUE(first->send(frame_prefix(16 * kMiB - 4, 100)));
  ASSERT_TRUE(first->send(Bytes(10 * kMiB, 0x20)));
  ASSERT_TRUE(eventually([&] { return server.server().read_budget_used_bytes() >= 8 * kMiB; }));

  RawSocket second(server.port());
  second.send(frame_prefix(16 * kMiB - 4, 100));
  second.send(Bytes(kMiB, 0x20));  // may fail part-way once the server has closed it
  EXPECT_TRUE(second.wait_closed(5000));
  EXPECT_FALSE(first->wait_closed(200));
  EXPECT_TRUE(echo_works(client, server.port()));
  EXPECT_LE(server.server().read_budget_used_bytes(), 16 * kMiB);
  first.reset();
  EXPECT_TRUE(eventually([&] { return server.server().read_budget_used_bytes() == 0; }));
}

// Sends request frames without ever reading, until the socket has not taken a byte for `stall_ms`.
std::size_t flood_without_reading(int fd, std::int32_t code, std::size_t max_requests, int stall_ms) {
  std::size_t sent = 0;
  for (; sent < max_requests; ++sent) {
    const Bytes frame = request_frame(code, static_cast<std::int32_t>(sent + 1));
    std::size_t done = 0;
    while (done < frame.size()) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, stall_ms) <= 0) return sent;
      const ssize_t n = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return sent;
      done += static_cast<std::size_t>(n);
    }
  }
  return sent;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool fd_closed_within(int fd, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<std::uint8_t> scratch(256 * 1024);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, scratch.data(), scratch.size(), 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
  }
  return false;
}

// A peer that sends requests and never reads the answers: at the high water mark the server stops reading
// it (its later requests are never decoded), holds no more than about the high water mark, and closes it
// once it has been idle (nothing read, nothing written) for the idle timeout.
TEST(ConnectionLimitsTest, PeerNotTakingRepliesIsNoLongerReadAndThenClosedWhenIdle) {
  ServerLimits limits;
  limits.write_high_water_bytes = 256 * 1024;
  limits.write_low_water_bytes = 64 * 1024;
  limits.idle_timeout_seconds = 1;
  LimitsServer server(limits);
  RemotingClient client;
  const int fd = connect_loopback(server.port());
  ASSERT_GE(fd, 0);
  const int small_buffer = 64 * 1024;  // keep the kernel's share small so that the server's is visible
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small_buffer, sizeof small_buffer);
  const std::size_t sent = flood_without_reading(fd, kBig, 20'000, 300);
  const std::size_t served = server.big_served();
  // The answers to everything sent would be sent * 64 KiB; the server stopped decoding long before.
  EXPECT_LT(served, sent / 2) << "sent " << sent;
  EXPECT_LE(server.server().write_budget_used_bytes(), limits.write_high_water_bytes + 2 * kBigReplyBytes);
  EXPECT_TRUE(echo_works(client, server.port()));
  // Not a byte read meanwhile: the server must close it on its own (idle), not because we drained it.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_LE(server.big_served(), served + 4);
  EXPECT_TRUE(fd_closed_within(fd, 5000));
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return server.server().write_budget_used_bytes() == 0; }));
}

// Without backpressure (high water mark out of reach), the write budget is what stops a peer that is
// behind; a peer that takes its replies keeps working.
TEST(ConnectionLimitsTest, WriteBudgetClosesAPeerThatIsBehind) {
  ServerLimits limits;
  limits.write_high_water_bytes = 1024LL * 1024 * 1024;
  limits.write_queue_max_bytes = 1024LL * 1024 * 1024;
  limits.write_low_water_bytes = 64 * 1024;
  limits.write_buffer_total_bytes = 16 * kMiB;
  limits.idle_timeout_seconds = 0;
  LimitsServer server(limits);
  RemotingClient client;
  const int fd = connect_loopback(server.port());
  ASSERT_GE(fd, 0);
  flood_without_reading(fd, kBig, 2'000, 300);
  EXPECT_TRUE(fd_closed_within(fd, 5000));
  ::close(fd);
  EXPECT_TRUE(echo_works(client, server.port()));
  EXPECT_TRUE(eventually([&] { return server.server().write_budget_used_bytes() == 0; }));
}

TEST(ConnectionLimitsTest, IdleConnectionIsClosedAndABusyOneIsNot) {
  ServerLimits limits;
  limits.idle_timeout_seconds = 1;
  LimitsServer server(limits);
  RemotingClient client;
  RawSocket silent(server.port());
  auto busy = client.connect("127.0.0.1", server.port(), 3000);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(busy->invoke_sync(make_request(kEcho), 3000).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(silent.wait_closed(3000));
  EXPECT_TRUE(busy->is_open());
  EXPECT_TRUE(busy->invoke_sync(make_request(kEcho), 3000).ok());
}

TEST(ConnectionLimitsTest, ConnectionsPastTheCapAreClosedAndTheOthersKeepWorking) {
  ServerLimits limits;
  limits.max_connections = 2;
  LimitsServer server(limits);
  RemotingClient client;
  auto kept = client.connect("127.0.0.1", server.port(), 3000);
  RawSocket second(server.port());
  ASSERT_TRUE(eventually([&] { return server.server().connections().size() == 2; }));
  RawSocket third(server.port());
  EXPECT_TRUE(third.wait_closed(3000));
  EXPECT_FALSE(second.wait_closed(200));
  EXPECT_TRUE(kept->invoke_sync(make_request(kEcho), 3000).ok());
}

}  // namespace
}  // namespace rmq::remoting
