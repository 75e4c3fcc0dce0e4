#include "tools/bench/catchup_command.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include "tools/bench/group_nodes.h"
#include "tools/bench/produce_command.h"
#include "tools/bench/report.h"

namespace rmq::bench {
namespace {

using Clock = std::chrono::steady_clock;

int run_rmqctl(const std::filesystem::path& rmqctl, const GroupNodes& group, const std::vector<std::string>& extra,
               const std::filesystem::path& log) {
  std::vector<std::string> args = {rmqctl.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  for (const auto& c : group.conf_paths) {
    args.push_back("-c");
    args.push_back(c.string());
  }
  return run_logged(args, log);
}

}  // namespace

int run_catch_up(const CatchUpOptions& options) {
  GroupNodes group;
  try {
    group = GroupNodes::load(options.conf_dir, options.confs, options.namesrv);
  } catch (const std::exception& e) {
    std::cerr << "rmq-bench catch-up: " << e.what() << "\n";
    return 2;
  }
  const std::filesystem::path rmqctl = options.rmqctl.empty() ? default_rmqctl_path() : std::filesystem::path(options.rmqctl);
  const std::filesystem::path log = group.nodes.front().store_root().parent_path() / "rmq-bench-catch-up.log";
  ctl::GroupQuery query(1000);

  const auto leader = find_leader(query, group);
  if (!leader) {
    std::cerr << "rmq-bench catch-up: no node of the group leads (is it running? rmqctl status)\n";
    return 1;
  }
  std::string follower = options.node;
  if (follower.empty()) {
    for (const auto& n : group.nodes) {
      if (n.node_id != *leader) {
        follower = n.node_id;
        break;
      }
    }
  }
  try {
    group.node(follower);
  } catch (const std::exception& e) {
    std::cerr << "rmq-bench catch-up: " << e.what() << "\n";
    return 2;
  }
  if (follower == *leader) {
    std::cerr << "rmq-bench catch-up: " << follower << " leads; name a follower with --node\n";
    return 2;
  }
  const NodeState before = query_node(query, group.node(follower));
  if (!before.reachable || !before.max_physical_offset) {
    std::cerr << "rmq-bench catch-up: " << follower << " does not answer GET_BROKER_RUNTIME_INFO\n";
    return 1;
  }
  std::cout << "catch-up: stopping follower " << follower << " (commitlog end " << *before.max_physical_offset
            << "), leader " << *leader << std::endl;
  if (const int rc = run_rmqctl(rmqctl, group, {"stop", "--node", follower, "--timeout", "60"}, log); rc != 0) {
    std::cerr << "rmq-bench catch-up: rmqctl stop --node " << follower << " exited " << rc << "; see " << log.string() << "\n";
    return 1;
  }

  ProduceOptions produce;
  produce.namesrv = group.namesrv;
  produce.topic = options.topic;
  produce.size_bytes = 1024;
  produce.inflight = 64;
  produce.count = options.mb * 1024;
  produce.create_topic = true;
  produce.queues = 8;
  std::cout << "catch-up: sending " << options.mb << " MiB (" << *produce.count << " x 1 KiB) while " << follower
            << " is down" << std::endl;
  const int produce_rc = run_produce(produce);
  if (produce_rc != 0) std::cerr << "rmq-bench catch-up: some sends failed (see above); measuring anyway\n";

  const NodeState leader_state = query_node(query, group.node(*leader));
  if (!leader_state.ledger_end_index || !leader_state.max_physical_offset) {
    std::cerr << "rmq-bench catch-up: the leader " << *leader << " does not report its ledger end\n";
    return 1;
  }
  const std::int64_t target_index = *leader_state.ledger_end_index;
  const std::int64_t bytes = *leader_state.max_physical_offset - *before.max_physical_offset;

  std::cout << "catch-up: restarting " << follower << "; the leader's ledger end index is " << target_index << ", "
            << bytes << " bytes of commitlog to fetch" << std::endl;
  const Clock::time_point launched = Clock::now();
  auto start = std::async(std::launch::async, [&] {
    return run_rmqctl(rmqctl, group, {"start", "--node", follower, "--wait", "300"}, log);
  });
  std::optional<Clock::time_point> first_answer;
  std::optional<Clock::time_point> caught_up;
  std::optional<std::int64_t> first_index;
  const auto deadline = launched + std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000));
  ctl::GroupQuery poll(200);
  while (Clock::now() < deadline) {
    const NodeState s = query_node(poll, group.node(follower));
    if (s.reachable && s.ledger_end_index) {
      if (!first_answer) {
        first_answer = Clock::now();
        first_index = s.ledger_end_index;
      }
      if (*s.ledger_end_index >= target_index) {
        caught_up = Clock::now();
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int start_rc = start.get();
  if (!caught_up) {
    std::cerr << "rmq-bench catch-up: " << follower << " did not reach index " << target_index << " within "
              << options.timeout_s << " s (rmqctl start exited " << start_rc << "; see " << log.string() << ")\n";
    return 1;
  }
  const double total_s = std::chrono::duration<double>(*caught_up - launched).count();
  const double fetch_s = std::max(1e-6, std::chrono::duration<double>(*caught_up - *first_answer).count());
  const double mb = static_cast<double>(bytes) / 1e6;
  std::cout << "caught up: " << format_fixed(mb, 1) << " MB (" << (target_index - *first_index)
            << " entries after its first answer) in " << format_fixed(total_s, 3) << " s from launch ("
            << format_fixed(mb / total_s, 1) << " MB/s), " << format_fixed(fetch_s, 3)
            << " s from its first answer (" << format_fixed(mb / fetch_s, 1) << " MB/s)\n"
            << "RESULT catch_up bytes=" << bytes << " seconds_from_launch=" << format_fixed(total_s, 3)
            << " mb_per_s_from_launch=" << format_fixed(mb / total_s, 1)
            << " seconds_from_first_answer=" << format_fixed(fetch_s, 3)
            << " mb_per_s=" << format_fixed(mb / fetch_s, 1) << std::endl;
  return start_rc == 0 ? 0 : 1;
}

}  // namespace rmq::bench
