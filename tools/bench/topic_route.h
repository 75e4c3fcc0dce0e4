// What rmq-bench needs from the name server: a topic's route (GET_ROUTEINFO_BY_TOPIC, 105), the master
// brokers (GET_BROKER_CLUSTER_INFO, 106), and creating a topic on them (UPDATE_AND_CREATE_TOPIC, 17) then
// waiting until the broker's re-registration makes the route visible (remoting.md 3.3, 4.8).
//
// Producers use queues whose perm has WRITE on a broker with an id-0 address; consumers use queues whose
// perm has READ (remoting.md 3.3). Route bodies are parsed leniently: fastjson's unquoted numeric map keys
// ({0:"addr"}, remoting.md 2.6) are accepted as well as standard JSON. Every failure is a BenchError with
// one line naming the request and what came back.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/remoting/connection.h"
#include "ctl/credentials.h"

namespace rmq::bench {

class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct QueueRef {
  std::string broker_name;
  std::string broker_addr;  // the id-0 address
  std::int32_t queue_id = 0;
};

struct TopicRoute {
  std::vector<QueueRef> writable;  // perm & WRITE, on a broker with an id-0 address
  std::vector<QueueRef> readable;  // perm & READ, on a broker with an id-0 address
};

// Rewrites unquoted numeric object keys ({0:"a"}) to quoted ones outside strings; other text is unchanged.
std::string quote_numeric_keys(const std::string& json_text);

// 105. Throws BenchError on a transport failure, a non-zero code (17 = no route) or a body that does not parse.
TopicRoute lookup_route(remoting::Connection& namesrv, const std::string& topic, std::int64_t timeout_ms);

// 106: the id-0 address of every broker name the name server knows.
std::vector<std::string> master_broker_addrs(remoting::Connection& namesrv, std::int64_t timeout_ms);

// 17 on `broker` with read = write = `queue_count`, perm 6; signed with `credentials` when set (under ACL an
// admin account's).
void create_topic(remoting::Connection& broker, const std::string& topic, std::int32_t queue_count,
                  std::int64_t timeout_ms, const ctl::Credentials& credentials = {});

// Polls 105 every 200 ms until the route has at least `min_writable` writable queues or `wait_ms` passes.
TopicRoute wait_for_route(remoting::Connection& namesrv, const std::string& topic, std::size_t min_writable,
                          std::int64_t wait_ms);

}  // namespace rmq::bench
