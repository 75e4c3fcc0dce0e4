// `rmq-bench failover`: how long a DLedger group is unavailable when its leader crashes (issue 10, Done when
// 4). Against a running group started by `rmqctl start` (it needs the pid files and the configs), it keeps a
// producer sending that tries every node (failover_producer.h), then `rounds` times:
//   1. waits until the group is healthy: one leader, registered at the name server as brokerId 0, SEND_OK;
//   2. SIGKILLs the leader's process and notes the moment;
//   3. measures the time to the first SEND_OK of a send started after the kill, and the time until the name
//      server lists a different address as the group's brokerId 0 (GET_BROKER_CLUSTER_INFO, polled every 10 ms);
//   4. restarts the killed node with `rmqctl start --node` and waits for the whole group to be healthy again
//      (the restarted node caught up).
// Prints one row per round, then the median and the worst of each time, and one RESULT line for scripts.
// A figure, never an assertion: the exit status is 0 when every round got both answers and every restart
// succeeded, 1 otherwise, 2 for bad flags or configs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rmq::bench {

struct FailoverOptions {
  std::string conf_dir;
  std::vector<std::string> confs;
  std::string namesrv;  // default: the configs' namesrvAddr
  std::string rmqctl;   // default: beside rmq-bench
  std::string topic = "BenchFailover";
  int rounds = 10;
  std::size_t size_bytes = 1024;
  std::int64_t send_timeout_ms = 1000;
  double round_timeout_s = 30;    // per measurement
  double restart_wait_s = 120;    // rmqctl start --wait
};

int run_failover(const FailoverOptions& options);

}  // namespace rmq::bench
