// rmq-namesrv: the name server, used like Java's mqnamesrv.
//
//   rmq-namesrv [-c namesrv.conf] [-p] [--listen-port N] [--kv-config-path FILE]
//
// -c reads a Java-properties config (keys in broker/namesrv/namesrv_config.h and man/rmq-namesrv.8); -p prints
// the effective config and exits; the long options override the file (for tests and quick runs). SIGTERM and
// SIGINT stop it cleanly with exit 0. Exit 2: usage or config error; 5: I/O error (port in use, KV file
// unreadable). Routes live in memory only: after a crash, brokers re-register within 30 s.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <spdlog/spdlog.h>
#include <string>
#include <system_error>

#include "broker/common/exit_code.h"
#include "broker/common/io_error.h"
#include "broker/common/java_properties.h"
#include "broker/namesrv/name_server.h"
#include "broker/namesrv/namesrv_config.h"
#include "broker/remoting/tls_context.h"

namespace {

using rmq::common::ConfigError;

int fail(int exit_code, const std::string& message) {
  std::fprintf(stderr, "rmq-namesrv: %s\n", message.c_str());
  return exit_code;
}

int run(int argc, char** argv) {
  CLI::App app{"rmq-namesrv: the RocketMQ 4.x name server (routes for brokers and clients)"};
  std::string config_file;
  bool print_config = false;
  std::optional<int> listen_port;
  std::optional<std::string> kv_config_path;
  app.add_option("-c,--config-file", config_file, "Java-properties config file (like mqnamesrv -c)");
  app.add_flag("-p,--print-config-item", print_config, "print the effective config and exit");
  app.add_option("--listen-port", listen_port, "listenPort override")->check(CLI::Range(1, 65535));
  app.add_option("--kv-config-path", kv_config_path, "kvConfigPath override (empty: in memory only)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return rmq::common::kExitUsage;
  }

  rmq::namesrv::NamesrvConfig config = rmq::namesrv::default_namesrv_config();
  try {
    if (!config_file.empty()) {
      const auto properties = rmq::common::JavaProperties::load(config_file);
      auto loaded = rmq::namesrv::apply_namesrv_properties(config, properties, config_file);
      for (const std::string& warning : loaded.warnings) spdlog::warn("{}", warning);
      config = std::move(loaded.config);
    }
  } catch (const ConfigError& error) {
    return fail(rmq::common::kExitUsage, error.what());
  }
  if (listen_port) config.listen_port = static_cast<std::uint16_t>(*listen_port);
  if (kv_config_path) config.kv_config_path = *kv_config_path;

  if (print_config) {
    std::fputs(rmq::namesrv::format_namesrv_config(config).c_str(), stdout);
    return rmq::common::kExitOk;
  }

  // Block the stop signals before any thread starts, so that every thread inherits the mask and only
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::optional<rmq::namesrv::NameServer> server;
  try {
    server.emplace(config);
  } catch (const ConfigError& error) {
    return fail(rmq::common::kExitUsage, error.what());
  } catch (const rmq::remoting::TlsError& error) {  // a TLS certificate or key file that cannot be used
    return fail(rmq::common::kExitUsage, error.what());
  } catch (const rmq::common::IoError& error) {
    return fail(rmq::common::kExitIo, error.what());
  }
  try {
    server->start();
  } catch (const std::system_error& error) {
    return fail(rmq::common::kExitIo,
                "cannot listen on 0.0.0.0:" + std::to_string(config.listen_port) + ": " + error.what());
  }
  spdlog::info("The Name Server boot success. serializeType=JSON, listening on 0.0.0.0:{}", server->port());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}, shutting down", signal_number);
  server->stop();
  spdlog::info("The Name Server stopped");
  return rmq::common::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    return fail(rmq::common::kExitIo, error.what());
  }
}
