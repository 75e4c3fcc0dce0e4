// `rmqctl stop (-c FILE ... | --conf-dir DIR) [--node ID] [--no-transfer] [--route-wait S] [--timeout S]
// [-o text|json]`: SIGTERM to the brokers rmqctl can prove are the group's (ctl/group_stop.h), wait, report.
// Never SIGKILL.
// Exit 0 all stopped (or not running), 1 one did not exit in time, 2 usage, 4 a running node not proven.
#include <iostream>
#include <nlohmann/json.hpp>

#include "broker/common/exit_code.h"
#include "ctl/group_stop.h"
#include "tools/rmqctl/commands.h"
#include "tools/rmqctl/node_args.h"

namespace rmq::tools {

namespace {

struct StopArgs {
  NodeArgs nodes;
  std::string node;
  double timeout_s = 60;
  double route_wait_s = 0;
  bool no_transfer = false;
};

int run_stop(const StopArgs& args) {
  if (!args.nodes.given()) {
    std::cerr << "rmqctl stop: give the nodes with -c FILE (repeatable) or --conf-dir DIR\n";
    return common::kExitUsage;
  }
  std::vector<ctl::NodeConfig> nodes;
  try {
    nodes = args.nodes.load();
  } catch (const std::exception& e) {
    std::cerr << "rmqctl stop: " << e.what() << "\n";
    return common::kExitUsage;
  }
  ctl::StopOptions options;
  if (!args.node.empty()) options.node = args.node;
  options.timeout_ms = static_cast<std::int64_t>(args.timeout_s * 1000);
  options.transfer_leadership = !args.no_transfer;
  options.route_wait_ms = static_cast<std::int64_t>(args.route_wait_s * 1000);
  const ctl::StopResult result = ctl::stop_group(nodes, options);
  for (const auto& m : result.messages) std::cerr << "rmqctl stop: " << m << "\n";
  if (args.nodes.output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& n : result.nodes) {
      list.push_back({{"id", n.node_id},
                      {"pid", n.pid ? nlohmann::json(*n.pid) : nlohmann::json(nullptr)},
                      {"state", n.state},
                      {"detail", n.detail.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.detail)}});
    }
    std::cout << nlohmann::json{{"exitCode", result.exit_code},
                                {"nodes", list},
                                {"messages", result.messages},
                                {"waitedSeconds", result.waited_seconds},
                                {"transferredTo", result.transferred_to.empty() ? nlohmann::json(nullptr)
                                                                                 : nlohmann::json(result.transferred_to)}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& n : result.nodes) {
      std::cout << n.node_id << ": " << n.state;
      if (n.pid) std::cout << " (pid " << *n.pid << ")";
      if (!n.detail.empty()) std::cout << ": " << n.detail;
      std::cout << "\n";
    }
  }
  return result.exit_code;
}

}  // namespace

void add_stop_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StopArgs>();
  CLI::App* cmd = app.add_subcommand("stop", "SIGTERM the group's brokers (proven by pid file and command line) and wait");
  args->nodes.add_to(*cmd);
  cmd->add_option("--node", args->node, "stop only this node (its dLegerSelfId, or brokerName:brokerId)");
  cmd->add_flag("--no-transfer", args->no_transfer, "stopping the leader alone: do not hand leadership over first");
  cmd->add_option("--route-wait", args->route_wait_s,
                  "stopping the leader alone: seconds between the hand-over and the SIGTERM, for the clients' "
                  "routes to follow (they refresh every 30 s); default 0")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--timeout", args->timeout_s, "seconds to wait for the brokers to exit")->check(CLI::Range(0.0, 86400.0));
  cmd->callback([args, &exit_code] { exit_code = run_stop(*args); });
}

}  // namespace rmq::tools
