// `rmqctl start (-c FILE ... | --conf-dir DIR) [--wait S] [-o text|json]`: launch a group and wait until it is
// healthy (ctl/group_start.h has the steps and refusals; man/rmqctl.1 the exit codes and JSON).
// Diagnostics go to stderr; the status table (or JSON) to stdout.
#include <iostream>

#include "broker/common/exit_code.h"
#include "broker/common/java_properties.h"
#include "ctl/group_start.h"
#include "tools/rmqctl/commands.h"
#include "tools/rmqctl/node_args.h"

namespace rmq::tools {

namespace {

struct StartArgs {
  NodeArgs nodes;
  double wait_s = 60;
  std::int64_t max_lag = 10000;
  std::string broker_bin;
  std::string namesrv_bin;
  std::string node;
};

int run_start(const StartArgs& args) {
  if (!args.nodes.given()) {
    std::cerr << "rmqctl start: give the nodes with -c FILE (repeatable) or --conf-dir DIR\n";
    return common::kExitUsage;
  }
  std::vector<ctl::NodeConfig> nodes;
  try {
    nodes = args.nodes.load();
  } catch (const std::exception& e) {
    std::cerr << "rmqctl start: " << e.what() << "\n";
    return common::kExitUsage;
  }
  ctl::StartOptions options;
  options.broker_bin = sibling_binary(args.broker_bin, "rmq-broker");
  options.namesrv_bin = sibling_binary(args.namesrv_bin, "rmq-namesrv");
  options.wait_ms = static_cast<std::int64_t>(args.wait_s * 1000);
  options.max_lag_entries = args.max_lag;
  if (!args.node.empty()) options.only_node = args.node;
  const ctl::StartResult result = ctl::start_group(nodes, options);
  for (const auto& m : result.messages) std::cerr << "rmqctl start: " << m << "\n";
  if (args.nodes.output == "json") {
    nlohmann::json out{{"exitCode", result.exit_code},
                       {"messages", result.messages},
                       {"waitedSeconds", result.waited_seconds},
                       {"status", result.have_status ? ctl::status_to_json(result.status) : nlohmann::json(nullptr)}};
    std::cout << out.dump(2) << "\n";
  } else if (result.have_status) {
    std::cout << ctl::render_status_text(result.status);
  }
  return result.exit_code;
}

}  // namespace

void add_start_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StartArgs>();
  CLI::App* cmd = app.add_subcommand("start", "start a group's brokers (and its local name server) and wait until healthy");
  args->nodes.add_to(*cmd);
  cmd->add_option("--wait", args->wait_s, "seconds to wait for a healthy group (exit 1 after)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--max-lag", args->max_lag, "entries a follower may lag behind the leader and count as healthy")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--node", args->node, "start only this node (the others run); wait for the whole group's health");
  cmd->add_option("--broker-bin", args->broker_bin, "the rmq-broker to launch (default: beside rmqctl)");
  cmd->add_option("--namesrv-bin", args->namesrv_bin, "the rmq-namesrv to launch (default: beside rmqctl)");
  cmd->callback([args, &exit_code] { exit_code = run_start(*args); });
}

}  // namespace rmq::tools
