// `rmq-bench catch-up`: how fast a DLedger follower that was down catches up after a restart (issue 10, Done
// when 4). Against a running, idle group started by `rmqctl start`:
//   1. notes a follower's commitlog end (GET_BROKER_RUNTIME_INFO commitLogMaxOffset) and stops it with
//      `rmqctl stop --node`;
//   2. sends `mb` MiB of 1 KiB messages to the group (the pipelined producer of `rmq-bench produce`);
//   3. notes the leader's ledger end index and commitlog end, restarts the follower with `rmqctl start --node`
//      and polls it every 10 ms until its dLegerLedgerEndIndex equals the leader's;
// and prints the bytes it had to fetch, the time from the launch (process start and recovery included) and
// from its first answer (replication alone), and MB/s for both. A figure, never an assertion: exit 0 when the
// follower caught up, 1 when it did not within --timeout, 2 for bad flags or configs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rmq::bench {

struct CatchUpOptions {
  std::string conf_dir;
  std::vector<std::string> confs;
  std::string namesrv;  // default: the configs' namesrvAddr
  std::string rmqctl;   // default: beside rmq-bench
  std::string node;     // default: the first follower
  std::string topic = "BenchCatchUp";
  std::uint64_t mb = 256;
  double timeout_s = 300;
};

int run_catch_up(const CatchUpOptions& options);

}  // namespace rmq::bench
