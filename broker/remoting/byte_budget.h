// A count of bytes that many connections of one server share, with a cap: the read buffers' growth and the
// queued replies of all connections (server_limits.h).
//
// Why a shared count: a per-connection cap alone does not bound a server, because the number of connections
// multiplies it. Connections add what they hold and subtract it when they let go (at the latest when they
// close), so the count is what the server holds right now. Lock-free: every read and write touches it.
// Nothing persists; a crash loses nothing.
#pragma once

#include <atomic>
#include <cstdint>

namespace rmq::remoting {

class ByteBudget {
 public:
  explicit ByteBudget(std::uint64_t cap_bytes) : cap_bytes_(cap_bytes) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Adds `bytes` only when the total stays within the cap; false (and nothing added) otherwise.
  bool try_acquire(std::uint64_t bytes);
  // Adds `bytes` whatever the cap says; returns the new total.
  std::uint64_t acquire(std::uint64_t bytes) { return used_bytes_.fetch_add(bytes) + bytes; }
  // Gives back bytes added before.
  void release(std::uint64_t bytes);

  std::uint64_t used_bytes() const { return used_bytes_.load(); }
  std::uint64_t cap_bytes() const { return cap_bytes_; }

 private:
  const std::uint64_t cap_bytes_;
  std::atomic<std::uint64_t> used_bytes_{0};
};

}  // namespace rmq::remoting
