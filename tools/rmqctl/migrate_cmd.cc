// `rmqctl migrate --from master-slave`: the upgrade guide's section 2 as one journaled, resumable command
// (migrate/migrate_run.h has the phases, the journal and the exit codes; man/rmqctl.1 documents them).
//
// This file only turns options into a MigrationRequest, asks for confirmation before the first change, and
// prints the report (text on stdout with notes on stderr, or -o json). `--start` then starts the group
// (migrate/migrate_start.h): as `rmqctl start`, plus the check of every legacy queue through the leader.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "broker/common/exit_code.h"
#include "broker/common/java_properties.h"
#include "broker/common/mapped_file.h"
#include "broker/common/progress.h"
#include "migrate/migrate_output.h"
#include "migrate/migrate_run.h"
#include "ctl/node_process.h"
#include "migrate/migrate_start.h"
#include "tools/rmqctl/node_args.h"
#include "tools/rmqctl/commands.h"

namespace rmq::tools {

#ifdef RMQ_MIGRATE_TEST_HOOKS
namespace {
// The kill points of the interruption tests (migrate/migrate_test_hooks.h), in the test build only.
migrate::TestHooks hooks_from_environment() {
  if (const char* at = std::getenv("RMQ_MIGRATE_TEST_KILL_AT"); at != nullptr && *at != '\0') {
    return migrate::TestHooks::parse(at);
  }
  if (const char* n = std::getenv("RMQ_MIGRATE_TEST_KILL_AFTER_FILES"); n != nullptr && *n != '\0') {
    return migrate::TestHooks::parse(std::string("files:") + n);
  }
  return migrate::TestHooks();
}
}  // namespace
#endif

namespace {

struct MigrateArgs {
  std::string from;
  std::string master_conf;
  std::string slave_conf;
  std::string peers;
  std::string target_root;
  std::vector<std::string> nodes;  // ID=DIR
  std::string conf_out;
  bool stop = false;
  int stop_timeout_s = 60;
  std::string source = "master";
  bool dry_run = false;
  bool yes = false;
  bool start = false;
  double start_wait_s = 60;
  std::string broker_bin;
  std::string namesrv_bin;
  std::string output = "text";
};

migrate::MigrationRequest to_request(const MigrateArgs& a) {
  migrate::MigrationRequest r;
  r.mode = a.from == "master" ? migrate::MigrationMode::kMasterOnly : migrate::MigrationMode::kMasterSlave;
  r.master_conf = a.master_conf;
  r.slave_conf = a.slave_conf;
  r.peers = a.peers;
  r.target_root = a.target_root;
  for (const auto& n : a.nodes) {
    const auto eq = n.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == n.size()) {
      throw common::ConfigError("--node " + n + ": expected ID=DIR, e.g. --node n1=/data/rmq/n1");
    }
    const std::string id = n.substr(0, eq);
    if (!r.node_dirs.emplace(id, n.substr(eq + 1)).second) throw common::ConfigError("--node " + id + " given twice");
  }
  r.conf_out = a.conf_out;
  r.stop = a.stop;
  r.stop_timeout_s = a.stop_timeout_s;
  r.source = a.source == "slave" ? migrate::SourceRole::kSlave : migrate::SourceRole::kMaster;
  r.dry_run = a.dry_run;
  return r;
}

// Before the first change: --yes, or a "y" typed at a terminal. Without a terminal and without --yes the run
// ends with a usage error, so a script never changes anything by accident.
int confirm(const MigrateArgs& args, const migrate::MigrationReport& report) {
  if (args.yes) return common::kExitOk;
  const migrate::MigrationPlan& plan = *report.plan;
  std::string what = "copy " + std::to_string(report.files.size()) + " files (" +
                     common::human_bytes(static_cast<double>(report.total_file_bytes())) + ") from the " +
                     plan.source_broker().role + " to " + std::to_string(plan.nodes.size()) +
                     " nodes under " + plan.target_root.string() + " and write their configs";
  if (args.stop) what = "stop the old brokers with SIGTERM (if running), " + what;
  if (::isatty(STDIN_FILENO) != 1) {
    std::cerr << "rmqctl migrate: this would " << what
              << "; pass --yes to confirm (stdin is not a terminal), or --dry-run to see everything first\n";
    return common::kExitUsage;
  }
  std::cerr << "rmqctl migrate will " << what << ".\nProceed? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return common::kExitOk;
  std::cerr << "rmqctl migrate: not confirmed; nothing was changed\n";
  return common::kExitRefused;
}

int run_migrate(const MigrateArgs& args) {
  // --start on a group that already started: a no-op, before anything else is looked at.
  if (args.start && !args.dry_run) {
    const std::filesystem::path conf_dir =
        args.conf_out.empty() ? std::filesystem::path(args.target_root) / "conf" : std::filesystem::path(args.conf_out);
    std::error_code ec;
    if (std::filesystem::is_directory(conf_dir, ec)) {
      try {
        const auto nodes = ctl::load_group(ctl::conf_files_in(conf_dir));
        std::string why;
        if (migrate::group_already_started(nodes, ctl::kDefaultProcRoot, &why)) {
          std::cerr << "rmqctl migrate: --start: the group has already started (" << why
                    << "); nothing to do (use rmqctl status)\n";
          return common::kExitOk;
        }
      } catch (const std::exception&) {
        // no complete set of configs yet: the migration has not configured the group
      }
    }
  }
  // A file size limit (ulimit -f) must fail a write with EFBIG and a clear error, not kill the process with
  // SIGXFSZ halfway through a copy.
  ::signal(SIGXFSZ, SIG_IGN);
  migrate::MigrationReport report;
  try {
    const migrate::MigrationRequest request = to_request(args);
    migrate::RunOptions options;
    options.show_progress = args.output == "text" && common::ProgressLine::stderr_is_terminal();
#ifdef RMQ_MIGRATE_TEST_HOOKS
    options.hooks = hooks_from_environment();
#endif
    options.confirm = [&args](const migrate::MigrationReport& r) { return confirm(args, r); };
    report = migrate::run_migration(request, options);
  } catch (const common::ConfigError& e) {
    std::cerr << "rmqctl migrate: " << e.what() << "\n";
    return common::kExitUsage;
  }
  if (args.output == "json") {
    std::cout << migrate::report_json(report).dump(2) << "\n";
  } else {
    std::cerr << migrate::notes_text(report);
    std::cout << migrate::report_text(report);
  }
  if (report.exit_code != 0) {
    std::string phase = "?";
    for (const auto& p : report.phases) {
      if (p.status == migrate::PhaseStatus::kFailed || p.status == migrate::PhaseStatus::kRefused) phase = p.name;
    }
    std::cerr << "rmqctl migrate: stopped in phase " << phase << " (exit " << report.exit_code << ")";
    if (!report.messages.empty()) std::cerr << ": " << report.messages.front();
    else if (!report.problems.empty()) std::cerr << ": " << report.problems.size() << " problem(s) found";
    std::cerr << "\n";
  }
  if (report.exit_code != 0 || !args.start || args.dry_run || !report.plan) return report.exit_code;
  std::vector<std::filesystem::path> configs;
  for (const auto& node : report.plan->nodes) configs.push_back(node.config_path);
  ctl::StartOptions start_options;
  start_options.broker_bin = sibling_binary(args.broker_bin, "rmq-broker");
  start_options.namesrv_bin = sibling_binary(args.namesrv_bin, "rmq-namesrv");
  start_options.wait_ms = static_cast<std::int64_t>(args.start_wait_s * 1000);
  migrate::StartPhaseResult started;
  try {
    started = migrate::run_start_phase(configs, report.plan->source_broker().location.store_root, start_options);
  } catch (const std::exception& e) {
    std::cerr << "rmqctl migrate: --start: " << e.what() << "\n";
    return common::kExitIo;
  }
  for (const auto& m : started.messages) std::cerr << "rmqctl migrate: --start: " << m << "\n";
  if (started.start.have_status && args.output == "text") std::cout << ctl::render_status_text(started.start.status);
  return started.exit_code;
}

}  // namespace

void add_migrate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MigrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "migrate",
      "Upgrade a Master-Slave pair (or a lone master) to a three-node DLedger group: discover, preflight, stop, "
      "check, copy, verify, configure; journaled and resumable");
  cmd->add_option("--from", args->from, "master-slave, or master for a master without a slave")
      ->required()
      ->check(CLI::IsMember({"master-slave", "master"}));
  cmd->add_option("--master-conf", args->master_conf, "the old master's broker.conf")->required();
  cmd->add_option("--slave-conf", args->slave_conf, "the old slave's broker.conf (--from master-slave)");
  cmd->add_option("--peers", args->peers, "the new group's dLegerPeers: 'n0-host:port;n1-host:port;n2-host:port'")
      ->required();
  cmd->add_option("--target-root", args->target_root,
                  "where the node stores (nodeNN), the configs (conf/) and the journal go")
      ->required();
  cmd->add_option("--node", args->nodes, "ID=DIR: node ID's store root instead of <target-root>/nodeNN (repeatable)");
  cmd->add_option("--conf-out", args->conf_out, "directory for broker-<id>.conf (default <target-root>/conf)");
  cmd->add_flag("--stop", args->stop, "stop running old brokers with SIGTERM (never SIGKILL)");
  cmd->add_option("--stop-timeout", args->stop_timeout_s, "seconds to wait for stopped brokers to exit")
      ->default_val(60)
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--source", args->source, "master (default) or slave: whose log the group starts from")
      ->default_val("master")
      ->check(CLI::IsMember({"master", "slave"}));
  cmd->add_flag("--dry-run", args->dry_run, "run discover and preflight, list every file and config, change nothing");
  cmd->add_flag("--yes", args->yes, "do not ask for confirmation before the first change");
  cmd->add_flag("--start", args->start,
                "then start the new group (as rmqctl start), wait until healthy and check every legacy queue's max "
                "offset through the leader");
  cmd->add_option("--start-wait", args->start_wait_s, "with --start: seconds to wait for a healthy group")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--broker-bin", args->broker_bin, "with --start: the rmq-broker to launch (default: beside rmqctl)");
  cmd->add_option("--namesrv-bin", args->namesrv_bin, "with --start: the rmq-namesrv to launch (default: beside rmqctl)");
  cmd->add_option("-o,--output", args->output, "text or json")
      ->default_val("text")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([args, &exit_code] { exit_code = run_migrate(*args); });
}

}  // namespace rmq::tools
