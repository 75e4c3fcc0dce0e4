// rmqctl: the operator CLI that upgrades RocketMQ Master-Slave pairs to DLedger groups (man/rmqctl.1).
#include <exception>
#include <iostream>

#include "broker/common/exit_code.h"
#include "tools/rmqctl/argument_check.h"
#include "tools/rmqctl/commands.h"

int main(int argc, char** argv) {
  if (const auto refused = rmq::tools::find_control_character_argument(argc, argv)) {
    std::cerr << "rmqctl: " << *refused << "\n";
    return rmq::common::kExitUsage;
  }
  CLI::App app{"rmqctl: check, migrate and run RocketMQ Master-Slave to DLedger upgrades"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rmqctl 0.1.0");
  int exit_code = rmq::common::kExitOk;
  rmq::tools::add_check_commitlog_command(app, exit_code);
  rmq::tools::add_gen_conf_command(app, exit_code);
  rmq::tools::add_migrate_command(app, exit_code);
  rmq::tools::add_start_command(app, exit_code);
  rmq::tools::add_status_command(app, exit_code);
  rmq::tools::add_stop_command(app, exit_code);
  rmq::tools::add_restart_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help or the usage error
    return rc == 0 ? rmq::common::kExitOk : rmq::common::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "rmqctl: " << e.what() << "\n";
    return rmq::common::kExitIo;
  }
  return exit_code;
}
