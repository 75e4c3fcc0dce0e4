// A plain blocking TCP socket for tests that must put exact bytes on the wire (malformed frames, one-way
// requests) and watch what comes back, without our client in the way.
#pragma once

#include <cstdint>
#include <optional>

#include "broker/common/bytes.h"

namespace rmq::remoting::testing {

class RawSocket {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error on failure.
  explicit RawSocket(std::uint16_t port);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Sends all bytes; false when the peer has already closed.
  bool send(const common::Bytes& bytes);
  // True when the peer closes (EOF or reset) within timeout_ms; data that arrives meanwhile is discarded.
  bool wait_closed(int timeout_ms);
  // One complete frame (length word included), or nullopt on timeout or close.
  std::optional<common::Bytes> read_frame(int timeout_ms);

 private:
  // Reads exactly `size` bytes before `deadline_ms` (CLOCK_MONOTONIC); false on timeout, EOF or error.
  bool read_exact(std::uint8_t* out, std::size_t size, std::int64_t deadline_ms);
  int fd_ = -1;
};

}  // namespace rmq::remoting::testing
