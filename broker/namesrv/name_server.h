// rmq-namesrv's running parts: the remoting server with the request processor behind it, the drop of a
// broker whose registering connection closes, and the periodic expiry scan (4.9.x NamesrvController,
// BrokerHousekeepingService, scanNotActiveBroker).
//
// Threads: the server's I/O threads run the processor; one scan thread wakes every
// scanNotActiveBrokerInterval, drops brokers silent for longer than brokerChannelExpiredTime and closes their
// connections, as Java closes the channel. Nothing is persisted but the KV config, so a crash loses only
// routes, which brokers re-register within 30 s.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "broker/acl/access_validator.h"
#include "broker/namesrv/namesrv_config.h"
#include "broker/namesrv/request_processor.h"
#include "broker/remoting/remoting_server.h"

namespace rmq::namesrv {

class NameServer {
 public:
  // Loads the KV config (throws common::ConfigError / common::IoError naming the file).
  explicit NameServer(NamesrvConfig config, Clock clock = system_clock_ms());
  ~NameServer();  // stop()
  NameServer(const NameServer&) = delete;
  NameServer& operator=(const NameServer&) = delete;

  // Binds 0.0.0.0:listenPort and starts serving. Throws std::system_error when it cannot listen.
  void start();
  std::uint16_t port() const { return server_.port(); }
  // Stops the scan thread and the server. Idempotent.
  void stop();

 private:
  void scan_loop();
  void scan_once();

  NamesrvConfig config_;
  RequestProcessor processor_;
  remoting::RemotingServer server_;
  std::shared_ptr<acl::AccessValidator> acl_;  // aclEnable=true only
  std::mutex scan_mutex_;
  std::condition_variable scan_wakeup_;
  bool stopping_ = false;
  std::thread scan_thread_;
};

}  // namespace rmq::namesrv
