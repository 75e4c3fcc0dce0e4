// rmq-gen-store: writes a legacy RocketMQ Master-Slave store pair in a chosen state (tools/gen_store/
// sample_store.h) and prints one line of JSON describing its interesting offsets.
//
// Exit codes follow rmqctl's: 0 written, 2 usage error, 4 refused (a store already exists there), 5 I/O error.
#include <CLI/CLI.hpp>

#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "broker/common/exit_code.h"
#include "tools/gen_store/sample_store.h"

namespace {

std::string scenario_list() {
  std::string names;
  for (rmq::tools::Scenario s : rmq::tools::all_scenarios()) {
    if (!names.empty()) names += ", ";
    names += rmq::tools::scenario_name(s);
  }
  return names;
}

// CLI11 would wrap "-5" into a huge unsigned value; accept plain decimal digits only.
CLI::Validator digits_only() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) return {};
        return "'" + value + "' is not a non-negative integer";
      },
      "");
}

int usage_error(const std::string& message) {
  std::cerr << "rmq-gen-store: " << message << " (see --help)\n";
  return rmq::common::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rmq-gen-store: write a sample legacy RocketMQ Master-Slave store pair (DIR/master, DIR/slave)"};
  rmq::tools::SampleStoreOptions options;
  std::string out_dir;
  std::string scenario;
  std::uint64_t message_count = 0;
  std::uint32_t body_size_bytes = 0;
  app.add_option("--out", out_dir, "directory to create master/ and slave/ in")->required();
  app.add_option("--scenario", scenario, "one of: " + scenario_list())->required();
  app.add_option("--file-size", options.file_size_bytes, "commitlog file size in bytes (mappedFileSizeCommitLog)")
      ->check(digits_only())
      ->capture_default_str();
  auto* messages_option =
      app.add_option("--messages", message_count, "messages on the master (default: enough for ~2.5 files)")
          ->check(digits_only());
  auto* body_option = app.add_option("--body-size", body_size_bytes, "every body this many bytes (default: 64-2048)")
                          ->check(digits_only());
  app.add_option("--seed", options.seed, "seed; the same options give byte-identical stores")
      ->check(digits_only())
      ->capture_default_str();
  app.add_flag("--ipv6", options.ipv6, "IPv6 born and store hosts");
  app.add_flag("--long-topic", options.long_topic, "add a 200-char topic (v2 magic)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  const auto parsed = rmq::tools::parse_scenario(scenario);
  if (!parsed) return usage_error("unknown --scenario '" + scenario + "'; expected one of: " + scenario_list());
  options.scenario = *parsed;
  options.out_dir = out_dir;
  if (messages_option->count() > 0) options.message_count = message_count;
  if (body_option->count() > 0) options.body_size_bytes = body_size_bytes;

  try {
    const rmq::tools::SampleStoreSummary summary = rmq::tools::generate_sample_store(options);
    std::cout << summary.to_json_line() << "\n";
    return rmq::common::kExitOk;
  } catch (const rmq::tools::SampleStoreUsageError& e) {
    return usage_error(e.what());
  } catch (const rmq::tools::SampleStoreRefused& e) {
    std::cerr << "rmq-gen-store: " << e.what() << "\n";
    return rmq::common::kExitRefused;
  } catch (const std::exception& e) {
    std::cerr << "rmq-gen-store: " << e.what() << "\n";
    return rmq::common::kExitIo;
  }
}
