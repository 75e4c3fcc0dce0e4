// The rmqctl command tree. Each subcommand lives in its own file and registers itself on the app; its
// callback stores the process exit code (broker/common/exit_code.h) in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace rmq::tools {

void add_check_commitlog_command(CLI::App& app, int& exit_code);
void add_gen_conf_command(CLI::App& app, int& exit_code);
void add_migrate_command(CLI::App& app, int& exit_code);
void add_start_command(CLI::App& app, int& exit_code);
void add_status_command(CLI::App& app, int& exit_code);
void add_stop_command(CLI::App& app, int& exit_code);
void add_restart_command(CLI::App& app, int& exit_code);

}  // namespace rmq::tools
