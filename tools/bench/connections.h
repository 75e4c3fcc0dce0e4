// One connection per server address for a bench run, made on demand from a RemotingClient.
//
// The bench never reconnects: a connection that closes mid-run fails its calls, which are counted as errors,
// and the run stops (a benchmark across reconnects would measure something else). Failure to connect is a
// BenchError naming the address.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "broker/remoting/remoting_client.h"

namespace rmq::bench {

class Connections {
 public:
  Connections(remoting::RemotingClient& client, std::int64_t connect_timeout_ms)
      : client_(client), connect_timeout_ms_(connect_timeout_ms) {}

  // The connection to "host:port", made on the first call. Throws BenchError.
  std::shared_ptr<remoting::Connection> get(const std::string& address);

 private:
  remoting::RemotingClient& client_;
  const std::int64_t connect_timeout_ms_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<remoting::Connection>> by_address_;
};

}  // namespace rmq::bench
