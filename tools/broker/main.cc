// rmq-broker: the RocketMQ 4.x broker, started like `mqbroker -c broker.conf [-n addr] [-p]`: plain mode, or
// with enableDLegerCommitLog=true a member of a DLedger (Raft) group (broker_controller.h, dledger_store_stack.h).
//
// Exit codes (man/rmq-broker.8): 0 clean shutdown on SIGTERM/SIGINT, 2 usage or config error, 3 corrupt
// store or config/*.json, 4 refused (DLedger mode: the node's store is not what its group expects), 5 I/O error (store locked by another broker, port in use). SIGTERM and SIGINT are
// blocked in every thread before any is started and taken by sigwait on a signal thread, so a shutdown never
// runs inside a signal handler. The signal thread exists before the store is opened: a SIGTERM while the
// store recovers (which can take long with many consume queues) stops the recovery at its next check and
// the process exits 0 at once; the store keeps `abort` and recovers at the next start. A SIGKILL leaves the
// store's `abort` file; the next start recovers.
#include <signal.h>

#include <pthread.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <iostream>
#include <optional>
#include <spdlog/spdlog.h>
#include <string>

#include "broker/common/exit_code.h"
#include "broker/common/java_properties.h"
#include "broker/server/broker_config.h"
#include "broker/server/broker_controller.h"

int main(int argc, char** argv) {
  CLI::App app{"rmq-broker: RocketMQ 4.x broker (plain or DLedger mode)"};
  std::string config_path;
  std::string namesrv;
  bool print_config = false;
  app.add_option("-c,--configFile", config_path, "broker.conf (Java properties)");
  app.add_option("-n,--namesrvAddr", namesrv, "name server address list, e.g. '192.168.0.1:9876;192.168.0.2:9876'");
  app.add_flag("-p,--printConfigItem", print_config, "print every config item with its effective value and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : rmq::common::kExitUsage;
  }

  rmq::server::BrokerConfigLoad load;
  rmq::common::JavaProperties properties;
  try {
    std::string source = "(defaults)";
    if (!config_path.empty()) {
      properties = rmq::common::JavaProperties::load(config_path);
      source = config_path;
    }
    std::optional<std::string> env_namesrv;
    if (const char* env = std::getenv("NAMESRV_ADDR"); env != nullptr && *env != '\0') env_namesrv = env;
    std::optional<std::string> cli_namesrv;
    if (!namesrv.empty()) cli_namesrv = namesrv;
    load = rmq::server::parse_broker_config(properties, source, cli_namesrv, env_namesrv);
  } catch (const std::exception& e) {
    std::cerr << "rmq-broker: " << e.what() << "\n";
    return rmq::common::kExitUsage;
  }
  for (const auto& warning : load.warnings) std::cerr << "rmq-broker: warning: " << warning << "\n";
  if (print_config) {
    std::cout << load.config.to_properties_text();
    return 0;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  rmq::server::BrokerController controller(load.config, properties);
  std::mutex signal_mutex;
  std::condition_variable signal_cv;
  int received = 0;  // under signal_mutex
  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    controller.request_stop();
    std::lock_guard lock(signal_mutex);
    received = signal_number;
    signal_cv.notify_all();
  });
  // Ends the signal thread when no signal came (a failed start): a SIGTERM aimed at it is taken by its sigwait.
  auto finish = [&](int exit_code) {
    controller.shutdown();
    {
      std::lock_guard lock(signal_mutex);
      if (received == 0) pthread_kill(signal_thread.native_handle(), SIGTERM);
    }
    signal_thread.join();
    return exit_code;
  };
  try {
    controller.start();
  } catch (const rmq::server::BrokerStartError& e) {
    std::cerr << "rmq-broker: " << e.what() << "\n";
    return finish(e.exit_code());
  } catch (const std::exception& e) {
    std::cerr << "rmq-broker: " << e.what() << "\n";
    return finish(rmq::common::kExitIo);
  }
  std::cout << controller.boot_message() << std::endl;

  {
    std::unique_lock lock(signal_mutex);
    signal_cv.wait(lock, [&] { return received != 0; });
    spdlog::info("broker: signal {} received, shutting down", received);
  }
  return finish(0);
}
