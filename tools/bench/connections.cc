#include "tools/bench/connections.h"

#include "tools/bench/host_port.h"
#include "tools/bench/topic_route.h"

namespace rmq::bench {

std::shared_ptr<remoting::Connection> Connections::get(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = by_address_.find(address);
  if (found != by_address_.end()) return found->second;
  const auto parsed = parse_host_port(address);
  if (!parsed) throw BenchError("bad address '" + address + "': expected host:port");
  try {
    auto connection = client_.connect(parsed->host, parsed->port, connect_timeout_ms_);
    by_address_.emplace(address, connection);
    return connection;
  } catch (const std::exception& e) {
    throw BenchError("cannot connect to " + address + ": " + e.what());
  }
}

}  // namespace rmq::bench
