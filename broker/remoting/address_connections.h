// How many connections one server holds from each source address (the IP, without the port), so that one
// client machine cannot take every connection slot (serverMaxConnectionsPerAddress, server_limits.h): with
// serverMaxConnections alone, a single misbehaving client (a leaking connection pool, a flood) locks every
// other client out.
//
// Threads: try_acquire runs on the acceptor strand, release on the closing connection's strand; a mutex keeps
// the map consistent. An entry is erased when its count returns to 0, so the map holds only addresses with
// open connections. Crash: nothing here is durable.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rmq::remoting {

class AddressConnections {
 public:
  // Counts one more connection from `address` unless it already has `limit`; false (nothing counted) then.
  bool try_acquire(const std::string& address, std::int64_t limit);
  // Counts one connection from `address` less (one that try_acquire counted).
  void release(const std::string& address);
  std::int64_t count(const std::string& address) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> counts_;
};

}  // namespace rmq::remoting
