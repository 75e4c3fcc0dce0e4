// What start, stop and status share on the command line: the nodes (-c FILE ... or --conf-dir DIR), the
// binaries rmqctl launches (found beside rmqctl itself unless --broker-bin / --namesrv-bin say otherwise),
// and -o text|json.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "ctl/node_config.h"

namespace rmq::tools {

struct NodeArgs {
  std::vector<std::string> configs;
  std::string conf_dir;
  std::string output = "text";

  void add_to(CLI::App& command);
  bool given() const { return !configs.empty() || !conf_dir.empty(); }
  // Throws common::ConfigError (exit 2) for a config that does not load or configs that do not fit together.
  std::vector<ctl::NodeConfig> load() const;
};

// The directory of the running rmqctl (/proc/self/exe), where rmq-broker and rmq-namesrv are installed too.
std::filesystem::path own_directory();
// `explicit_path` when given, else `name` beside rmqctl.
std::filesystem::path sibling_binary(const std::string& explicit_path, const std::string& name);

}  // namespace rmq::tools
