// `rmqctl gen-conf`: writes broker-<id>.conf for every peer of a RocketMQ-on-DLedger group (the upgrade
// guide's step 1.1), with the rules of migrate/gen_conf.h.
//
// Numbers are taken as text and parsed here, not by CLI11, so that every refusal is one line on stderr that
// names the problem. Output: stdout says what was written ("created PATH (n0, listenPort 30911)"), or with
// --dry-run the configs themselves; -o json prints one stable object instead. Notes (what --from changed or
// dropped) and warnings go to stderr. Exit codes: 0 written or unchanged, 2 usage or config error, 4 a file
// exists with different content (without --force), 5 I/O error.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/common/exit_code.h"
#include "broker/common/file_system_posix.h"
#include "broker/common/java_properties.h"
#include "migrate/gen_conf.h"
#include "tools/rmqctl/commands.h"

namespace rmq::tools {
namespace {

using common::ConfigError;

struct GenConfArgs {
  std::string peers;
  std::string group;
  std::string cluster;
  std::string namesrv;
  std::string store_root;
  std::string out;
  std::string from;
  std::string listen_port_base;
  std::string listen_ports;
  std::string send_threads;
  bool allow_two_nodes = false;
  bool force = false;
  bool dry_run = false;
  std::string output = "text";
  // Which options were given at all (an explicit empty --group is an error, not "absent").
  bool has_group = false;
  bool has_cluster = false;
  bool has_namesrv = false;
};

int parse_positive(const std::string& text, const std::string& flag) {
  const bool digits_only = !text.empty() && text.size() <= 9 &&
                           text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || std::stoi(text) < 1) {
    throw ConfigError(flag + " \"" + text + "\" is not a positive integer");
  }
  return std::stoi(text);
}

std::vector<int> parse_port_list(const std::string& text) {
  std::vector<int> ports;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    ports.push_back(migrate::parse_port(text.substr(start, end - start), "--listen-ports entry"));
    start = end + 1;
  }
  return ports;
}

migrate::GenConfOptions to_options(const GenConfArgs& args) {
  migrate::GenConfOptions options;
  options.peers = args.peers;
  if (args.has_group) options.group = args.group;
  if (args.has_cluster) options.cluster = args.cluster;
  if (args.has_namesrv) options.namesrv = args.namesrv;
  options.store_root = args.store_root;
  options.out_dir = args.out;
  if (!args.from.empty()) {
    options.from = common::JavaProperties::load(args.from);
    options.from_name = args.from;
  }
  if (!args.listen_port_base.empty() && !args.listen_ports.empty()) {
    throw ConfigError("--listen-port-base and --listen-ports exclude each other");
  }
  if (!args.listen_port_base.empty()) {
    options.listen_port_base = migrate::parse_port(args.listen_port_base, "--listen-port-base");
  }
  if (!args.listen_ports.empty()) options.listen_ports = parse_port_list(args.listen_ports);
  if (!args.send_threads.empty()) options.send_thread_count = parse_positive(args.send_threads, "--send-threads");
  options.allow_two_nodes = args.allow_two_nodes;
  return options;
}

nlohmann::json to_json(const migrate::GenConfPlan& plan, const std::vector<std::string>& statuses, bool dry_run) {
  nlohmann::json files = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.files.size(); ++i) {
    const migrate::PlannedConf& file = plan.files[i];
    files.push_back({{"path", file.path.string()},
                     {"self_id", file.node.self_id},
                     {"listen_port", file.node.listen_port},
                     {"store_root", file.node.store_root_dir},
                     {"status", statuses[i]},
                     {"content", file.text}});
  }
  return {{"command", "gen-conf"},
          {"dry_run", dry_run},
          {"group", plan.files.front().node.group},
          {"peers", plan.files.front().node.peers},
          {"files", files},
          {"notes", plan.notes},
          {"warnings", plan.warnings}};
}

// What a real run would do to one file.
std::string dry_run_status(migrate::WriteStatus status, bool force) {
  switch (status) {
    case migrate::WriteStatus::kCreated: return "would-create";
    case migrate::WriteStatus::kUnchanged: return "would-keep";
    case migrate::WriteStatus::kReplaced: return force ? "would-replace" : "would-refuse";
  }
  return "unknown";
}

int run_gen_conf(const GenConfArgs& args) {
  const std::string prefix = "rmqctl gen-conf: ";
  try {
    if (args.output != "text" && args.output != "json") {
      throw ConfigError("-o \"" + args.output + "\" is not text or json");
    }
    const migrate::GenConfPlan plan = migrate::plan_gen_conf(to_options(args));
    for (const std::string& note : plan.notes) std::cerr << prefix << "note: " << note << "\n";
    for (const std::string& warning : plan.warnings) std::cerr << prefix << "warning: " << warning << "\n";

    common::PosixFileSystem fs;
    std::vector<std::string> statuses;
    if (args.dry_run) {
      for (const migrate::PlannedConf& file : plan.files) {
        statuses.push_back(dry_run_status(migrate::classify_existing(fs, file.path, file.text), args.force));
        if (statuses.back() == "would-refuse") {
          std::cerr << prefix << "warning: " << file.path.string()
                    << " exists with different content; writing it needs --force\n";
        }
      }
    } else {
      for (const migrate::WriteStatus status : migrate::write_gen_conf(fs, plan, args.force)) {
        statuses.push_back(to_string(status));
      }
    }

    if (args.output == "json") {
      std::cout << to_json(plan, statuses, args.dry_run).dump(2) << "\n";
    } else if (args.dry_run) {
      for (const migrate::PlannedConf& file : plan.files) {
        std::cout << "# ==> " << file.path.string() << " <==\n" << file.text << "\n";
      }
    } else {
      for (std::size_t i = 0; i < plan.files.size(); ++i) {
        const migrate::PlannedConf& file = plan.files[i];
        std::cout << statuses[i] << " " << file.path.string() << " (" << file.node.self_id << ", listenPort "
                  << file.node.listen_port << ")\n";
      }
    }
    return common::kExitOk;
  } catch (const ConfigError& e) {
    std::cerr << prefix << e.what() << "\n";
    return common::kExitUsage;
  } catch (const migrate::ConflictError& e) {
    std::cerr << prefix << e.what() << "\n";
    return common::kExitRefused;
  } catch (const common::IoError& e) {
    std::cerr << prefix << "I/O error: " << e.what() << "\n";
    return common::kExitIo;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << prefix << "I/O error: " << e.what() << "\n";
    return common::kExitIo;
  }
}

}  // namespace

void add_gen_conf_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<GenConfArgs>();
  CLI::App* cmd = app.add_subcommand(
      "gen-conf",
      "Write broker-<id>.conf for every peer of a RocketMQ-on-DLedger group (the upgrade guide's step 1.1)");
  cmd->add_option("--peers", args->peers, "dLegerPeers: 'n0-HOST:PORT;n1-HOST:PORT;n2-HOST:PORT' (required)")
      ->type_name("PEERS");
  CLI::Option* group =
      cmd->add_option("--group", args->group, "brokerName and dLegerGroup (default: --from's brokerName)")
          ->type_name("NAME");
  CLI::Option* cluster =
      cmd->add_option("--cluster", args->cluster, "brokerClusterName (default: --from's)")->type_name("NAME");
  CLI::Option* namesrv =
      cmd->add_option("--namesrv", args->namesrv, "namesrvAddr, HOST:PORT[;HOST:PORT] (default: --from's)")
          ->type_name("ADDR");
  cmd->add_option("--store-root", args->store_root, "node i's store is <root>/nodeNN (required)")->type_name("DIR");
  cmd->add_option("--out", args->out, "directory for broker-<id>.conf (required)")->type_name("DIR");
  cmd->add_option("--from", args->from, "the old broker.conf whose settings carry over")->type_name("FILE");
  cmd->add_option("--listen-port-base", args->listen_port_base,
                  "listenPort of the first node on each machine; +10 per further node (default 30911)")
      ->type_name("PORT");
  cmd->add_option("--listen-ports", args->listen_ports, "listenPort of each peer, comma-separated, in --peers order")
      ->type_name("PORT,...");
  cmd->add_option("--send-threads", args->send_threads, "sendMessageThreadPoolNums (default: this machine's cores)")
      ->type_name("N");
  cmd->add_flag("--allow-two-nodes", args->allow_two_nodes, "accept a group of 2 (it cannot fail over)");
  cmd->add_flag("--force", args->force, "overwrite configs that exist with different content");
  cmd->add_flag("--dry-run", args->dry_run, "print the configs, write nothing");
  cmd->add_option("-o,--output", args->output, "text or json")->default_val("text")->type_name("FORMAT");
  cmd->callback([args, group, cluster, namesrv, &exit_code] {
    args->has_group = group->count() > 0;
    args->has_cluster = cluster->count() > 0;
    args->has_namesrv = namesrv->count() > 0;
    exit_code = run_gen_conf(*args);
  });
}

}  // namespace rmq::tools
