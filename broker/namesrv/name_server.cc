#include "broker/namesrv/name_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "broker/acl/acl_guard.h"
#include "broker/common/java_properties.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::namesrv {
namespace {

KvConfig load_kv_config(const std::filesystem::path& path) {
  KvConfig kv(path);
  kv.load();
  return kv;
}

remoting::ServerOptions server_options(const NamesrvConfig& config) {
  remoting::ServerOptions options;
  options.host = "0.0.0.0";
  options.port = config.listen_port;
  options.io_threads = config.server_io_threads;
  options.limits = config.server_limits;
  options.tls = config.tls.server;
  return options;
}

// The name server's ACL (ours; upstream's has none): whatever changes routes or KV config needs an admin
// account's signature; route and cluster reads stay open because every client needs them unsigned.
acl::CodePolicy namesrv_code_policy(std::int32_t code) {
  namespace rc = remoting::request_code;
  switch (code) {
    case rc::kRegisterBroker:
    case rc::kUnregisterBroker:
    case rc::kPutKvConfig:
    case rc::kDeleteKvConfig:
    case rc::kWipeWritePermOfBroker:
    case rc::kAddWritePermOfBroker:
    case 216:  // DELETE_TOPIC_IN_NAMESRV
    case 217:  // REGISTER_TOPIC_IN_NAMESRV
      return acl::CodePolicy::kAdminOnly;
    default:
      return acl::CodePolicy::kOpen;
  }
}

}  // namespace

NameServer::NameServer(NamesrvConfig config, Clock clock)
    : config_(std::move(config)),
      processor_(std::move(clock), load_kv_config(config_.kv_config_path)),
      server_(server_options(config_)) {
  auto serve = [this](remoting::RemotingCommand request, remoting::Responder responder) {
    const auto connection = responder.connection();
    const std::uint64_t connection_id = connection ? connection->id() : 0;
    responder.respond(processor_.process(request, connection_id));
  };
  for (const std::int32_t code : RequestProcessor::served_codes()) server_.register_handler(code, serve);
  if (config_.acl_enable) {
    try {
      acl_ = std::make_shared<acl::AccessValidator>(config_.plain_acl_file.string(), "namesrv");
    } catch (const acl::AclConfigError& e) {
      throw common::ConfigError(e.what());
    }
    acl_->start_watching(1000);
    server_.set_request_guard(acl::make_acl_guard(acl_, namesrv_code_policy));
  }
  server_.on_connection_closed([this](const std::shared_ptr<remoting::Connection>& connection) {
    for (const std::string& addr : processor_.on_connection_closed(connection->id())) {
      spdlog::info("the broker's channel destroyed, {}, clean it's data structure at once (peer {})", addr,
                   connection->peer_address());
    }
  });
}

NameServer::~NameServer() { stop(); }

void NameServer::start() {
  server_.start();
  scan_thread_ = std::thread([this] { scan_loop(); });
}

void NameServer::stop() {
  {
    std::lock_guard lock(scan_mutex_);
    stopping_ = true;
  }
  scan_wakeup_.notify_all();
  if (scan_thread_.joinable()) scan_thread_.join();
  server_.stop();
}

void NameServer::scan_loop() {
  std::unique_lock lock(scan_mutex_);
  while (!stopping_) {
    scan_wakeup_.wait_for(lock, std::chrono::milliseconds(config_.scan_not_active_broker_interval_ms),
                          [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    scan_once();
    lock.lock();
  }
}

void NameServer::scan_once() {
  const std::vector<ExpiredBroker> expired = processor_.expire(config_.broker_channel_expired_time_ms);
  if (expired.empty()) return;
  const auto connections = server_.connections();
  for (const ExpiredBroker& broker : expired) {
    spdlog::warn("The broker channel expired, {} {}ms", broker.broker_addr, config_.broker_channel_expired_time_ms);
    auto it = std::find_if(connections.begin(), connections.end(),
                           [&](const auto& connection) { return connection->id() == broker.connection_id; });
    if (it != connections.end()) (*it)->close();
  }
}

}  // namespace rmq::namesrv
