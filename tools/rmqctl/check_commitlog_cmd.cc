// `rmqctl check-commitlog`: the upgrade guide's md5sum step plus a record-level comparison
// (migrate/commitlog_check.h). Output: a text report ending with the next step, or `-o json` (the schema in
// man/rmqctl.1). Exit codes: 0 consistent, 1 inconsistent, 2 usage or config error (also: the same directory
// given twice), 3 corrupt, 4 refused (a symlinked commitlog file), 5 I/O error.
#include <iostream>
#include <string>
#include <vector>

#include "broker/common/exit_code.h"
#include "broker/common/java_properties.h"
#include "broker/common/mapped_file.h"
#include "broker/common/progress.h"
#include "migrate/commitlog_check.h"
#include "migrate/dledger_store_check.h"
#include "tools/rmqctl/commands.h"

namespace rmq::tools {

namespace {
struct CheckArgs {
  std::string master;
  std::vector<std::string> slaves;
  std::string store;
  std::string config;
  int files = 2;
  std::string output = "text";
  bool no_crc = false;
};

int run_check(const CheckArgs& args) {
  const bool pair_mode = !args.master.empty() || !args.slaves.empty();
  const bool single_mode = !args.store.empty() || !args.config.empty();
  if (pair_mode == single_mode) {
    std::cerr << "rmqctl check-commitlog: give --master DIR with --slave DIR, or --store DIR (or -c broker.conf) "
                 "alone\n";
    return common::kExitUsage;
  }
  if (pair_mode && (args.master.empty() || args.slaves.empty())) {
    std::cerr << "rmqctl check-commitlog: --master and at least one --slave are both required (use --store to "
                 "check one store)\n";
    return common::kExitUsage;
  }
  if (!args.store.empty() && !args.config.empty()) {
    std::cerr << "rmqctl check-commitlog: give --store or -c, not both\n";
    return common::kExitUsage;
  }
  migrate::CheckOptions options;
  options.newest_files = args.files;
  options.check_crc = !args.no_crc;
  options.show_progress = common::ProgressLine::stderr_is_terminal();
  try {
    migrate::CheckReport report;
    std::vector<migrate::DLedgerRegionReport> dledger;
    if (pair_mode) {
      std::vector<migrate::StoreLocation> slaves;
      for (const auto& s : args.slaves) slaves.push_back(migrate::resolve_store_location(s));
      report = migrate::check_commitlogs(migrate::resolve_store_location(args.master), slaves, options);
    } else {
      const migrate::StoreLocation location =
          migrate::resolve_store_location(args.store.empty() ? args.config : args.store);
      report = migrate::check_single_store(location, options);
      // A DLedger-mode store: its dledger-{selfId} regions too (migrate/dledger_store_check.h).
      dledger = migrate::check_dledger_regions(location, report, options.check_crc);
      migrate::apply_dledger_regions(dledger, report);
    }
    if (args.output == "json") {
      nlohmann::json j = migrate::to_json(report);
      if (!dledger.empty()) {
        j["dledger"] = nlohmann::json::array();
        for (const auto& region : dledger) j["dledger"].push_back(migrate::to_json(region));
      }
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& region : dledger) std::cout << migrate::to_text(region);
      std::cout << migrate::to_text(report);
    }
    return migrate::exit_code_for(report.verdict);
  } catch (const common::ConfigError& e) {
    std::cerr << "rmqctl check-commitlog: " << e.what() << "\n";
    return common::kExitUsage;
  } catch (const migrate::CheckRefused& e) {
    std::cerr << "rmqctl check-commitlog: refused: " << e.what() << "\n";
    return common::kExitRefused;
  } catch (const common::IoError& e) {
    std::cerr << "rmqctl check-commitlog: I/O error: " << e.what() << "\n";
    return common::kExitIo;
  }
}
}  // namespace

void add_check_commitlog_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check-commitlog",
      "Check that a master's and its slaves' commitlogs are consistent (MD5 of the newest files, then every "
      "record), or one store's integrity with --store");
  cmd->add_option("--master", args->master, "master store root, commitlog directory or broker.conf");
  cmd->add_option("--slave", args->slaves, "slave store root, commitlog directory or broker.conf (repeatable)");
  cmd->add_option("--store", args->store, "check one store's integrity alone");
  cmd->add_option("-c,--config", args->config, "check the store a broker.conf names");
  cmd->add_option("--files", args->files, "how many of the newest files to MD5 on each side")
      ->default_val(2)
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("-o,--output", args->output, "text or json")->default_val("text")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--no-crc", args->no_crc, "skip the body CRC check (checkCRCOnRecover=false)");
  cmd->callback([args, &exit_code] { exit_code = run_check(*args); });
}

}  // namespace rmq::tools
