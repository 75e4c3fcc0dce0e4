#include "tests/unit/remoting/raw_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>

namespace rmq::remoting::testing {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RawSocket::RawSocket(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect() failed: " + std::to_string(error));
  }
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawSocket::send(const common::Bytes& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawSocket::wait_closed(int timeout_ms) {
  const std::int64_t deadline = now_ms() + timeout_ms;
  std::uint8_t scratch[4096];
  for (;;) {
    const std::int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    pollfd poll_fd{fd_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd_, scratch, sizeof(scratch), 0);
    if (n == 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return true;  // ECONNRESET and friends: closed all the same
  }
}

bool RawSocket::read_exact(std::uint8_t* out, std::size_t size, std::int64_t deadline_ms) {
  std::size_t got = 0;
  while (got < size) {
    const std::int64_t left = deadline_ms - now_ms();
    if (left <= 0) return false;
    pollfd poll_fd{fd_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd_, out + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<common::Bytes> RawSocket::read_frame(int timeout_ms) {
  const std::int64_t deadline = now_ms() + timeout_ms;
  common::Bytes frame(4);
  if (!read_exact(frame.data(), 4, deadline)) return std::nullopt;
  const std::uint32_t length = common::load_u32_be(frame.data());
  if (length > 64 * 1024 * 1024) return std::nullopt;
  frame.resize(4 + length);
  if (!read_exact(frame.data() + 4, length, deadline)) return std::nullopt;
  return frame;
}

}  // namespace rmq::remoting::testing
