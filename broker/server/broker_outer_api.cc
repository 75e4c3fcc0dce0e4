// Name-server registration (see broker_outer_api.h).
#include "broker/server/broker_outer_api.h"

#include <spdlog/spdlog.h>

#include "broker/common/crc32.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::server {
namespace {

constexpr std::int64_t kConnectTimeoutMs = 3000;
constexpr std::int64_t kRegisterTimeoutMs = 6000;  // registerBrokerTimeoutMills
constexpr std::int64_t kUnregisterTimeoutMs = 2000;

bool split_address(const std::string& address, std::string& host, std::uint16_t& port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = address.substr(0, colon);
  try {
    const int value = std::stoi(address.substr(colon + 1));
    if (value <= 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

std::string register_broker_body(const TopicConfigManager& topics) {
  const nlohmann::json body{{"filterServerList", nlohmann::json::array()},
                            {"topicConfigSerializeWrapper", topics.wrapper_json()}};
  return body.dump();
}

BrokerOuterApi::BrokerOuterApi(const BrokerConfig& config, const TopicConfigManager& topics)
    : config_(config), topics_(topics), client_(remoting::ClientOptions{1}) {}

BrokerOuterApi::~BrokerOuterApi() { shutdown(false); }

void BrokerOuterApi::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  requested_ = true;
  thread_ = std::thread([this] { run(); });
}

void BrokerOuterApi::register_async() {
  std::lock_guard lock(mutex_);
  requested_ = true;
  wake_.notify_all();
}

void BrokerOuterApi::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!requested_) {
      wake_.wait_for(lock, std::chrono::milliseconds(config_.register_name_server_period_ms),
                     [this] { return stopping_ || requested_; });
      if (stopping_) return;
    }
    requested_ = false;
    lock.unlock();
    register_all_sync();
    lock.lock();
  }
}

std::shared_ptr<remoting::Connection> BrokerOuterApi::connection_to(const std::string& address) {
  auto it = connections_.find(address);
  if (it != connections_.end() && it->second && it->second->is_open()) return it->second;
  std::string host;
  std::uint16_t port = 0;
  if (!split_address(address, host, port)) {
    spdlog::error("broker: name server address '{}' is not host:port", address);
    return nullptr;
  }
  try {
    auto connection = client_.connect(host, port, kConnectTimeoutMs);
    connections_[address] = connection;
    return connection;
  } catch (const std::exception& e) {
    spdlog::warn("broker: cannot connect to name server {}: {}", address, e.what());
    connections_.erase(address);
    return nullptr;
  }
}

bool BrokerOuterApi::register_with(const std::string& address, const std::string& body, std::int32_t crc) {
  auto connection = connection_to(address);
  if (!connection) return false;
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kRegisterBroker);
  request.ext_fields.set("brokerAddr", config_.store_host_address());
  request.ext_fields.set_int("brokerId", config_.broker_id);
  request.ext_fields.set("brokerName", config_.broker_name);
  request.ext_fields.set("clusterName", config_.broker_cluster_name);
  request.ext_fields.set("haServerAddr", config_.ha_server_address());
  request.ext_fields.set_bool("compressed", false);
  request.ext_fields.set_int("bodyCrc32", crc);
  request.body.assign(body.begin(), body.end());
  auto result = connection->invoke_sync(std::move(request), kRegisterTimeoutMs);
  if (!result.ok()) {
    spdlog::warn("broker: register to name server {} failed: {}", address, result.error);
    return false;
  }
  if (result.response.code != remoting::response_code::kSuccess) {
    spdlog::warn("broker: name server {} refused the registration: code {} {}", address, result.response.code,
                 result.response.remark.value_or(""));
    return false;
  }
  return true;
}

std::size_t BrokerOuterApi::register_all_sync() {
  const std::string body = register_broker_body(topics_);
  const std::int32_t crc = common::masked_crc32(common::ByteSpan(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  std::lock_guard lock(register_mutex_);
  std::size_t ok = 0;
  for (const auto& address : config_.namesrv_addresses()) {
    if (register_with(address, body, crc)) {
      ++ok;
      spdlog::debug("broker: registered with name server {}", address);
    }
  }
  successful_ += ok;
  return ok;
}

void BrokerOuterApi::shutdown(bool unregister) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (unregister) {
    std::lock_guard lock(register_mutex_);
    for (const auto& address : config_.namesrv_addresses()) {
      auto connection = connection_to(address);
      if (!connection) continue;
      remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kUnregisterBroker);
      request.ext_fields.set("brokerAddr", config_.store_host_address());
      request.ext_fields.set_int("brokerId", config_.broker_id);
      request.ext_fields.set("brokerName", config_.broker_name);
      request.ext_fields.set("clusterName", config_.broker_cluster_name);
      auto result = connection->invoke_sync(std::move(request), kUnregisterTimeoutMs);
      if (!result.ok()) spdlog::warn("broker: unregister from name server {} failed: {}", address, result.error);
    }
  }
  {
    std::lock_guard lock(register_mutex_);
    connections_.clear();
  }
  client_.close();
}

}  // namespace rmq::server
