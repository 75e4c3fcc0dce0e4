// Issue 14 part 5: serverMaxConnectionsPerAddress (server_limits.h, address_connections.h) against the real
// rmq-broker and rmq-namesrv processes. Connections from one source address beyond the limit are closed as
// they come, while another source address (127.0.0.2, also loopback on Linux) still connects, the allowed
// connections keep working, and a slot freed by a closed connection can be used again.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

using namespace std::chrono_literals;

// A plain TCP connection from `source_ip` to 127.0.0.1:port that sends nothing.
class SourcedClient {
 public:
  SourcedClient(const char* source_ip, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip, &source.sin_addr);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(port);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0 ||
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
      throw std::runtime_error(std::string("cannot connect from ") + source_ip + " to port " + std::to_string(port));
    }
  }
  ~SourcedClient() { ::close(fd_); }
  SourcedClient(const SourcedClient&) = delete;
  SourcedClient& operator=(const SourcedClient&) = delete;

  // True when the peer closes (EOF or reset) within timeout_ms.
  bool closed_within(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
};

// With `limit` per address and `already` connections open from 127.0.0.1: fills 127.0.0.1 up, checks that
// the next ones from there are closed and that 127.0.0.2 gets its own `limit`, then frees one slot.
void check_per_address_limit(std::uint16_t port, int limit, int already) {
  std::vector<std::unique_ptr<SourcedClient>> local;
  for (int i = already; i < limit; ++i) local.push_back(std::make_unique<SourcedClient>("127.0.0.1", port));
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 2; ++i) {
    SourcedClient extra("127.0.0.1", port);
    EXPECT_TRUE(extra.closed_within(3000)) << "connection " << limit + 1 + i << " from 127.0.0.1 was not closed";
  }
  std::vector<std::unique_ptr<SourcedClient>> other;
  for (int i = 0; i < limit; ++i) other.push_back(std::make_unique<SourcedClient>("127.0.0.2", port));
  std::this_thread::sleep_for(300ms);
  for (auto& c : other) EXPECT_FALSE(c->closed_within(50)) << "a connection from 127.0.0.2 was closed";
  SourcedClient other_extra("127.0.0.2", port);
  EXPECT_TRUE(other_extra.closed_within(3000)) << "127.0.0.2 got more than its limit";
  for (auto& c : local) EXPECT_FALSE(c->closed_within(50)) << "an allowed connection from 127.0.0.1 was closed";
  // A freed slot can be used again.
  ASSERT_FALSE(local.empty());
  local.pop_back();
  std::this_thread::sleep_for(300ms);
  SourcedClient again("127.0.0.1", port);
  EXPECT_FALSE(again.closed_within(500));
}

TEST(ConnectionPerAddressTest, BrokerRefusesConnectionsBeyondThePerAddressLimit) {
  BrokerHarness h("serverMaxConnectionsPerAddress=4\n", false);
  h.start_broker();  // the harness's own connection from 127.0.0.1 is the first
  ASSERT_EQ(h.create_topic("PerAddressTopic", 1).code, rc::kSuccess);
  check_per_address_limit(h.broker_port(), 4, 1);
  // The harness's connection was never disturbed.
  EXPECT_EQ(h.create_topic("PerAddressTopic2", 1).code, rc::kSuccess);
  EXPECT_NE(h.broker_log().find("serverMaxConnectionsPerAddress"), std::string::npos);
}

TEST(ConnectionPerAddressTest, NameServerRefusesConnectionsBeyondThePerAddressLimit) {
  testing::TempDir dir;
  const std::uint16_t port = test_support::free_tcp_port();
  const auto conf = dir.path() / "namesrv.conf";
  std::ofstream(conf) << "serverMaxConnectionsPerAddress=3\n";
  test_support::BackgroundProcess namesrv({RMQ_BINARY_DIR "/rmq-namesrv", "-c", conf.string(), "--listen-port",
                                           std::to_string(port), "--kv-config-path", ""},
                                          dir.path() / "namesrv.log");
  ASSERT_TRUE(namesrv.wait_for_port(port, 20s)) << namesrv.log();
  std::this_thread::sleep_for(300ms);  // wait_for_port's probe connection is gone
  check_per_address_limit(port, 3, 0);
  EXPECT_NE(namesrv.log().find("serverMaxConnectionsPerAddress"), std::string::npos) << namesrv.log();
}

TEST(ConnectionPerAddressTest, OutOfRangeIsAConfigError) {
  testing::TempDir dir;
  const auto conf = dir.path() / "namesrv.conf";
  std::ofstream(conf) << "serverMaxConnectionsPerAddress=0\n";
  test_support::BackgroundProcess namesrv({RMQ_BINARY_DIR "/rmq-namesrv", "-c", conf.string(), "--listen-port",
                                           std::to_string(test_support::free_tcp_port())},
                                          dir.path() / "namesrv.log");
  for (int i = 0; i < 200 && namesrv.running(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(namesrv.exit_code(), 2) << namesrv.log();
  EXPECT_NE(namesrv.log().find("serverMaxConnectionsPerAddress"), std::string::npos) << namesrv.log();
}

}  // namespace
}  // namespace rmq::integration
