// Malformed frames against the live broker (remoting.md 1.1, DESIGN.md rule 7): a frame announcing more than
// 16 MiB, a header longer than its frame, and a header that is not JSON each close only their own connection;
// the broker keeps serving a second client and keeps running.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

// A blocking socket that writes exact bytes and reports whether the peer closed.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect to the broker");
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const common::Bytes& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }
  // True when the peer closes within timeout_ms (anything it sends first is kept in received()).
  bool closed_within(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        std::uint8_t buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) return true;
        received_.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
      }
    }
    return false;
  }

  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

common::Bytes frame_prefix(std::uint32_t length, std::uint32_t header_word) {
  common::Bytes out(8);
  common::store_u32_be(out.data(), length);
  common::store_u32_be(out.data() + 4, header_word);
  return out;
}

TEST(BrokerMalformedFramesTest, BadFramesCloseOnlyTheirConnection) {
  BrokerHarness h("", false);
  h.start_broker();
  auto good = h.connect_broker();

  {  // Length word over 16 MiB.
    RawConnection raw(h.broker_port());
    raw.send(frame_prefix(16 * 1024 * 1024 + 1, 10));
    EXPECT_TRUE(raw.closed_within(5000));
  }
  {  // Header length 100 in a frame of 20 bytes.
    RawConnection raw(h.broker_port());
    common::Bytes frame = frame_prefix(20, 100);
    frame.resize(4 + 20, 'x');
    raw.send(frame);
    EXPECT_TRUE(raw.closed_within(5000));
  }
  {  // Header that is not JSON.
    RawConnection raw(h.broker_port());
    const std::string header = "{\"code\":310,\"opaque\":";
    common::Bytes frame = frame_prefix(static_cast<std::uint32_t>(4 + header.size()), static_cast<std::uint32_t>(header.size()));
    frame.insert(frame.end(), header.begin(), header.end());
    raw.send(frame);
    EXPECT_TRUE(raw.closed_within(5000));
  }
  {  // A well-formed JSON frame of an unknown code: answered 3, connection kept.
    RawConnection raw(h.broker_port());
    const std::string header = R"({"code":7777,"language":"JAVA","version":121,"opaque":1,"flag":0,"extFields":{}})";
    common::Bytes frame = frame_prefix(static_cast<std::uint32_t>(4 + header.size()), static_cast<std::uint32_t>(header.size()));
    frame.insert(frame.end(), header.begin(), header.end());
    raw.send(frame);
    EXPECT_FALSE(raw.closed_within(500));
    EXPECT_NE(raw.received().find("\"code\":3,"), std::string::npos) << raw.received();
    EXPECT_NE(raw.received().find("request type 7777 not supported"), std::string::npos) << raw.received();
  }

  // The broker still serves the other client, and a new one.
  ASSERT_EQ(h.create_topic("AfterGarbage", 1).code, rc::kSuccess);
  auto sent = BrokerHarness::call_on(good, BrokerHarness::send_request("AfterGarbage", 0, "still-alive"));
  EXPECT_EQ(sent.code, rc::kSuccess);
  auto fresh = h.connect_broker();
  auto pulled = BrokerHarness::call_on(fresh, BrokerHarness::pull_request("G", "AfterGarbage", 0, 0));
  ASSERT_EQ(pulled.code, rc::kSuccess);
  EXPECT_TRUE(h.broker().running());
  EXPECT_EQ(h.stop_broker(), 0);
}

}  // namespace
}  // namespace rmq::integration
