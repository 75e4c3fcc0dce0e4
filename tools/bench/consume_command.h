// `rmq-bench consume`: PULL_MESSAGE (11) from every readable queue of a topic on the id-0 brokers, one puller
// thread per queue, starting at the group's stored offset (QUERY_CONSUMER_OFFSET, 14) or 0 when it has none
// (remoting.md 4.3, 4.4). Pulls send the subscription ("*") and allow a short long-poll, so no heartbeat is
// needed. Counts messages and body bytes and measures end-to-end latency = receipt time - STORETIMESTAMP of
// each record (the broker's clock and ours are the same machine's in a bench run).
//
// Stops at --count messages, after --duration, or gives up after --timeout (count mode). On the way out it
// stores each queue's offset (UPDATE_CONSUMER_OFFSET, 15) so a second run continues where this one stopped.
// A pull body that does not decode as concatenated records is an error naming the queue and offset.
// Exit status: 0 when the count was reached (or the duration ran) without errors, 1 otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/remoting/tls_settings.h"
#include "ctl/credentials.h"

namespace rmq::bench {

struct ConsumeOptions {
  std::string namesrv;
  std::string topic;
  std::string group;
  std::optional<std::uint64_t> count;
  std::optional<double> duration_s;
  double timeout_s = 60;        // count mode: give up after this long
  std::int64_t poll_ms = 1000;  // suspendTimeoutMillis asked of the broker
  std::int32_t batch = 32;      // maxMsgNums
  remoting::TlsClientSettings tls;  // --tls, --tls-ca: to the name server and the brokers
  ctl::Credentials credentials;     // --access-key, --secret-key(-file): every broker request signed (ACL)
};

int run_consume(const ConsumeOptions& options);

}  // namespace rmq::bench
