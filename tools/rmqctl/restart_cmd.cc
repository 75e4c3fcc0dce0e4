// `rmqctl restart --rolling (-c FILE ... | --conf-dir DIR) [--wait S] [--catch-up N] [--route-wait S]
// [--timeout S] [-o text|json]`: restart every broker of a running group one at a time, followers first,
// the leader last after a hand-over (ctl/group_restart.h has the order and the exit codes).
// Progress lines go to stderr as each step happens; the final status table (or JSON) to stdout.
#include <iostream>
#include <nlohmann/json.hpp>

#include "broker/common/exit_code.h"
#include "ctl/group_restart.h"
#include "tools/rmqctl/commands.h"
#include "tools/rmqctl/node_args.h"

namespace rmq::tools {

namespace {

struct RestartArgs {
  NodeArgs nodes;
  bool rolling = false;
  double wait_s = 60;
  std::int64_t catch_up = 100;
  double route_wait_s = 30;
  double timeout_s = 60;
  std::string broker_bin;
  std::string namesrv_bin;
};

int run_restart(const RestartArgs& args) {
  if (!args.rolling) {
    std::cerr << "rmqctl restart: only --rolling is supported (one node at a time, the leader last)\n";
    return common::kExitUsage;
  }
  if (!args.nodes.given()) {
    std::cerr << "rmqctl restart: give the nodes with -c FILE (repeatable) or --conf-dir DIR\n";
    return common::kExitUsage;
  }
  std::vector<ctl::NodeConfig> nodes;
  try {
    nodes = args.nodes.load();
  } catch (const std::exception& e) {
    std::cerr << "rmqctl restart: " << e.what() << "\n";
    return common::kExitUsage;
  }
  ctl::RestartOptions options;
  options.broker_bin = sibling_binary(args.broker_bin, "rmq-broker");
  options.namesrv_bin = sibling_binary(args.namesrv_bin, "rmq-namesrv");
  options.wait_ms = static_cast<std::int64_t>(args.wait_s * 1000);
  options.catch_up_entries = args.catch_up;
  options.route_wait_ms = static_cast<std::int64_t>(args.route_wait_s * 1000);
  options.stop_timeout_ms = static_cast<std::int64_t>(args.timeout_s * 1000);
  options.progress = [](const std::string& line) { std::cerr << "rmqctl restart: " << line << std::endl; };
  const ctl::RestartResult result = ctl::rolling_restart(nodes, options);
  if (args.nodes.output == "json") {
    auto id_or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    nlohmann::json out{{"exitCode", result.exit_code},
                       {"restarted", result.restarted},
                       {"oldLeader", id_or_null(result.old_leader)},
                       {"newLeader", id_or_null(result.new_leader)},
                       {"seconds", result.seconds},
                       {"messages", result.messages},
                       {"status", result.have_status ? ctl::status_to_json(result.status) : nlohmann::json(nullptr)}};
    std::cout << out.dump(2) << "\n";
  } else if (result.have_status) {
    std::cout << ctl::render_status_text(result.status);
  }
  return result.exit_code;
}

}  // namespace

void add_restart_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RestartArgs>();
  CLI::App* cmd = app.add_subcommand(
      "restart", "restart a running group one node at a time: followers first, the leader last after a hand-over");
  args->nodes.add_to(*cmd);
  cmd->add_flag("--rolling", args->rolling, "one node at a time, each caught up before the next (required)");
  cmd->add_option("--wait", args->wait_s, "seconds to wait, per node, for the group's health after its restart")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--catch-up", args->catch_up, "entries a restarted follower may lag behind the leader and count as caught up")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--route-wait", args->route_wait_s,
                  "seconds between the hand-over and stopping the old leader (clients refresh routes every 30 s)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--timeout", args->timeout_s, "seconds to wait, per node, for it to exit after SIGTERM")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--broker-bin", args->broker_bin, "the rmq-broker to launch (default: beside rmqctl)");
  cmd->add_option("--namesrv-bin", args->namesrv_bin, "the rmq-namesrv to launch (default: beside rmqctl)");
  cmd->callback([args, &exit_code] { exit_code = run_restart(*args); });
}

}  // namespace rmq::tools
