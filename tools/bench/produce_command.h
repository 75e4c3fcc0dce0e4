// `rmq-bench produce`: SEND_MESSAGE_V2 (310) round-robin over a topic's writable queues on the id-0 brokers,
// keeping `inflight` requests outstanding, for a fixed count or a fixed time (remoting.md 4.2).
//
// Latency is measured per request from just before it is queued to the moment its response is handled, so
// it includes time spent waiting in the socket behind the other in-flight requests, as a client sees it.
// A request that fails (non-zero code, timeout, connection closed) is counted by its reason; a closed
// connection ends the run. Exit status: 0 when every send got SEND_OK, 1 otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/remoting/tls_settings.h"
#include "ctl/credentials.h"

namespace rmq::bench {

struct ProduceOptions {
  std::string namesrv;
  std::string topic;
  std::string producer_group = "BENCH_PRODUCER";
  std::size_t size_bytes = 1024;
  std::size_t inflight = 64;
  std::optional<std::uint64_t> count;
  std::optional<double> duration_s;
  bool create_topic = false;
  std::int32_t queues = 8;
  std::int64_t send_timeout_ms = 3000;
  remoting::TlsClientSettings tls;  // --tls, --tls-ca: to the name server and the brokers
  ctl::Credentials credentials;     // --access-key, --secret-key(-file): every broker request signed (ACL)
};

int run_produce(const ProduceOptions& options);

}  // namespace rmq::bench
