#include "tools/bench/failover_command.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "broker/common/java_properties.h"
#include "broker/remoting/remoting_client.h"
#include "tools/bench/failover_producer.h"
#include "tools/bench/group_nodes.h"
#include "tools/bench/report.h"
#include "tools/bench/topic_route.h"

namespace rmq::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Round {
  int number = 0;
  std::string killed;
  int killed_pid = 0;
  std::optional<double> send_ok_ms;
  std::string send_ok_node;
  std::optional<double> registered_ms;
  std::string registered_addr;
  int restart_status = -1;
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string ms_text(const std::optional<double>& ms) { return ms ? format_fixed(*ms, 0) : std::string("-"); }

// Median and worst of the values present; a missing value (no answer in time) is the worst of all.
std::pair<std::string, std::string> median_worst(const std::vector<Round>& rounds,
                                                 std::optional<double> Round::*field) {
  std::vector<double> values;
  bool missing = false;
  for (const auto& r : rounds) {
    if (r.*field) values.push_back(*(r.*field));
    else missing = true;
  }
  if (values.empty()) return {"-", "-"};
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {format_fixed(median, 0), missing ? std::string("timeout") : format_fixed(values.back(), 0)};
}

// Until one node leads, the name server lists it as brokerId 0 and a send started now got SEND_OK.
std::optional<std::string> wait_healthy(ctl::GroupQuery& query, const GroupNodes& group, FailoverProducer& producer,
                                        Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    const auto leader = find_leader(query, group);
    if (leader) {
      const std::string addr = group.node(*leader).address();
      if (registered_master(query, group.namesrv, group.group_name) == addr &&
          producer.wait_ok_since(Clock::now(), std::min(deadline, Clock::now() + std::chrono::seconds(2)))) {
        return leader;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

}  // namespace

int run_failover(const FailoverOptions& options) {
  GroupNodes group;
  try {
    group = GroupNodes::load(options.conf_dir, options.confs, options.namesrv);
  } catch (const std::exception& e) {
    std::cerr << "rmq-bench failover: " << e.what() << "\n";
    return 2;
  }
  if (group.nodes.size() < 3) {
    std::cerr << "rmq-bench failover: a group of " << group.nodes.size() << " cannot fail over; give 3 or more nodes\n";
    return 2;
  }
  const std::filesystem::path rmqctl = options.rmqctl.empty() ? default_rmqctl_path() : std::filesystem::path(options.rmqctl);
  const std::filesystem::path restart_log = group.nodes.front().store_root().parent_path() / "rmq-bench-failover.log";
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.round_timeout_s * 1000));

  ctl::GroupQuery query(500);
  ctl::GroupQuery namesrv_query(200);
  {
    // The topic on the current leader (followers take it over by their topic sync; a new leader that does not
    // know it yet creates it from TBW102 like any auto-created topic).
    const auto leader = [&]() -> std::optional<std::string> {
      const auto deadline = Clock::now() + timeout;
      while (Clock::now() < deadline) {
        if (auto l = find_leader(query, group)) return l;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      return std::nullopt;
    }();
    if (!leader) {
      std::cerr << "rmq-bench failover: no node of the group leads (is it running? rmqctl status)\n";
      return 1;
    }
    remoting::RemotingClient client;
    try {
      const std::string addr = group.node(*leader).address();
      const auto hp = ctl::split_host_port(addr);
      auto connection = client.connect(hp.host, hp.port, 3000);
      create_topic(*connection, options.topic, 4, 3000);
    } catch (const std::exception& e) {
      std::cerr << "rmq-bench failover: creating topic " << options.topic << ": " << e.what() << "\n";
      return 1;
    }
    client.close();
  }

  FailoverProducer producer({group.addresses(), options.topic, options.size_bytes, options.send_timeout_ms, 300});
  producer.start();
  std::cout << "failover: group " << group.group_name << " (" << group.nodes.size() << " nodes), name server "
            << group.namesrv << ", " << options.rounds << " rounds, SIGKILL of the leader each round" << std::endl;
  std::cout << "round  killed  pid      send_ok_ms  via              registered_ms  new_master         restart"
            << std::endl;

  std::vector<Round> rounds;
  bool all_ok = true;
  for (int i = 1; i <= options.rounds; ++i) {
    Round r;
    r.number = i;
    const auto leader = wait_healthy(query, group, producer, Clock::now() + timeout);
    if (!leader) {
      std::cerr << "rmq-bench failover: round " << i << ": the group did not become healthy within "
                << options.round_timeout_s << " s (a leader registered as brokerId 0 and taking sends)\n";
      all_ok = false;
      break;
    }
    const ctl::NodeConfig& node = group.node(*leader);
    const auto pid = node_pid(node);
    if (!pid) {
      std::cerr << "rmq-bench failover: round " << i << ": no live pid in " << node.pid_path().string()
                << " for the leader " << *leader << " (start the group with rmqctl start)\n";
      all_ok = false;
      break;
    }
    r.killed = *leader;
    r.killed_pid = *pid;
    const std::string old_addr = node.address();

    const Clock::time_point killed_at = Clock::now();
    producer.arm(killed_at);
    if (::kill(*pid, SIGKILL) != 0) {
      std::cerr << "rmq-bench failover: kill " << *pid << ": " << std::strerror(errno) << "\n";
      all_ok = false;
      break;
    }
    // The name server, polled here; the first SEND_OK is noted by the producer as it happens.
    const auto deadline = killed_at + timeout;
    while (Clock::now() < deadline) {
      const std::string addr = registered_master(namesrv_query, group.namesrv, group.group_name);
      if (!addr.empty() && addr != old_addr) {
        r.registered_ms = ms_between(killed_at, Clock::now());
        r.registered_addr = addr;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (const auto ok = producer.wait_first_ok(deadline)) {
      r.send_ok_ms = ms_between(killed_at, ok->first);
      r.send_ok_node = ok->second;
    }
    // Wait for the process to be gone before restarting it (its store lock, its ports).
    for (int w = 0; w < 500 && std::filesystem::exists("/proc/" + std::to_string(*pid)); ++w) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r.restart_status = rmqctl_start_node(rmqctl, group, r.killed, options.restart_wait_s, restart_log);
    if (!r.send_ok_ms || !r.registered_ms || r.restart_status != 0) all_ok = false;
    std::cout << std::left;
    std::printf("%-6d %-7s %-8d %-11s %-16s %-14s %-18s %s\n", r.number, r.killed.c_str(), r.killed_pid,
                ms_text(r.send_ok_ms).c_str(), r.send_ok_ms ? r.send_ok_node.c_str() : "-",
                ms_text(r.registered_ms).c_str(), r.registered_ms ? r.registered_addr.c_str() : "-",
                r.restart_status == 0 ? "ok" : ("rmqctl exit " + std::to_string(r.restart_status)).c_str());
    std::fflush(stdout);
    rounds.push_back(r);
    if (r.restart_status != 0) {
      std::cerr << "rmq-bench failover: restarting " << r.killed << " failed; see " << restart_log.string() << "\n";
      break;
    }
  }
  producer.stop();

  const auto [ok_median, ok_worst] = median_worst(rounds, &Round::send_ok_ms);
  const auto [reg_median, reg_worst] = median_worst(rounds, &Round::registered_ms);
  std::cout << "SIGKILL -> first SEND_OK (ms): median " << ok_median << ", worst " << ok_worst << "\n"
            << "SIGKILL -> new brokerId 0 at the name server (ms): median " << reg_median << ", worst " << reg_worst
            << "\n"
            << "producer: " << producer.ok_count() << " SEND_OK, failures: " << format_errors(producer.failures())
            << "\n"
            << "RESULT failover rounds=" << rounds.size() << " send_ok_median_ms=" << ok_median
            << " send_ok_worst_ms=" << ok_worst << " registered_median_ms=" << reg_median
            << " registered_worst_ms=" << reg_worst << std::endl;
  return all_ok && static_cast<int>(rounds.size()) == options.rounds ? 0 : 1;
}

}  // namespace rmq::bench
