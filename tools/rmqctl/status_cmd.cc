// `rmqctl status (-c FILE ... | --conf-dir DIR | --namesrv ADDR --cluster C) [--max-lag N] [--tls [--tls-ca F]]
// [-o text|json]`:
// one row per node, read over the remoting protocol (ctl/group_status.h has the health rules; man/rmqctl.1
// the JSON). Exit 0 healthy, 1 not (no leader, a node unreachable, a follower lagging), 2 usage.
#include <iostream>
#include <memory>

#include "broker/common/exit_code.h"
#include "broker/remoting/tls_context.h"
#include "ctl/group_status.h"
#include "tools/rmqctl/commands.h"
#include "tools/rmqctl/node_args.h"

namespace rmq::tools {

namespace {

struct StatusArgs {
  NodeArgs nodes;
  std::string namesrv;
  std::string cluster;
  std::int64_t max_lag = 10000;
  double timeout_s = 3;
  bool tls = false;
  std::string tls_ca;
  std::string access_key;       // ACL: signs requests to nodes whose config has no accessKey of its own
  std::string secret_key_file;  // its secretKey, first line of this file (never on the command line)
};

int run_status(const StatusArgs& args) {
  const bool by_namesrv = !args.namesrv.empty() || !args.cluster.empty();
  if (by_namesrv == args.nodes.given() || (by_namesrv && (args.namesrv.empty() || args.cluster.empty()))) {
    std::cerr << "rmqctl status: give the nodes with -c FILE / --conf-dir DIR, or --namesrv ADDR with --cluster NAME\n";
    return common::kExitUsage;
  }
  remoting::TlsClientSettings tls;
  tls.enable = args.tls;
  if (!args.tls_ca.empty()) {
    if (!args.tls) {
      std::cerr << "rmqctl status: --tls-ca needs --tls\n";
      return common::kExitUsage;
    }
    tls.verify_server = true;
    tls.trust_cert_path = args.tls_ca;
  }
  std::unique_ptr<ctl::GroupQuery> query_holder;
  try {
    query_holder = std::make_unique<ctl::GroupQuery>(static_cast<std::int64_t>(args.timeout_s * 1000), tls);
  } catch (const remoting::TlsError& e) {
    std::cerr << "rmqctl status: --tls-ca: " << e.what() << "\n";
    return common::kExitUsage;
  }
  ctl::GroupQuery& query = *query_holder;
  if (args.access_key.empty() != args.secret_key_file.empty()) {
    std::cerr << "rmqctl status: --access-key and --secret-key-file go together\n";
    return common::kExitUsage;
  }
  if (!args.access_key.empty()) {
    try {
      query.set_default_credentials(ctl::Credentials{args.access_key, ctl::read_secret_key_file(args.secret_key_file)});
    } catch (const std::exception& e) {
      std::cerr << "rmqctl status: " << e.what() << "\n";
      return common::kExitUsage;
    }
  }
  ctl::StatusOptions options;
  options.max_lag_entries = args.max_lag;
  std::vector<ctl::StatusTarget> targets;
  if (by_namesrv) {
    options.namesrv = {args.namesrv};
    auto info = query.cluster_info(args.namesrv);
    if (!info.value) {
      std::cerr << "rmqctl status: name server " << args.namesrv << " does not answer: " << info.error << "\n";
      return common::kExitProblems;
    }
    targets = ctl::targets_from_cluster(*info.value, args.cluster);
    if (targets.empty()) {
      std::cerr << "rmqctl status: the name server " << args.namesrv << " lists no broker in cluster " << args.cluster
                << "\n";
      return common::kExitProblems;
    }
  } else {
    try {
      const auto nodes = args.nodes.load();
      options.namesrv = ctl::group_namesrv_addresses(nodes);
      targets = ctl::targets_from_configs(nodes);
    } catch (const std::exception& e) {
      std::cerr << "rmqctl status: " << e.what() << "\n";
      return common::kExitUsage;
    }
  }
  const ctl::GroupStatus status = ctl::collect_status(query, targets, options);
  if (args.nodes.output == "json") {
    std::cout << ctl::status_to_json(status).dump(2) << "\n";
  } else {
    std::cout << ctl::render_status_text(status);
  }
  return status.healthy() ? common::kExitOk : common::kExitProblems;
}

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* cmd = app.add_subcommand("status", "show each node's role, term, indexes, offsets and lag; exit 1 if unhealthy");
  args->nodes.add_to(*cmd);
  cmd->add_option("--namesrv", args->namesrv, "ask this name server for the nodes (with --cluster)");
  cmd->add_option("--cluster", args->cluster, "the brokerClusterName whose brokers to show (with --namesrv)");
  cmd->add_option("--max-lag", args->max_lag, "entries a follower may lag behind the leader and count as healthy")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", args->timeout_s, "seconds to wait for each node's answer")->check(CLI::Range(0.1, 600.0));
  cmd->add_flag("--tls", args->tls, "connect with TLS (nodes whose tls.server.mode is permissive or enforcing)");
  cmd->add_option("--tls-ca", args->tls_ca, "with --tls: verify the nodes' certificates against this PEM CA file");
  cmd->add_option("--access-key", args->access_key,
                  "ACL: sign requests with this accessKey (nodes read from configs use their own accessKey/secretKey)");
  cmd->add_option("--secret-key-file", args->secret_key_file, "ACL: the secretKey, first line of this file");
  cmd->callback([args, &exit_code] { exit_code = run_status(*args); });
}

}  // namespace rmq::tools
