// Name-server registration (see broker_outer_api.h).
#include "broker/server/broker_outer_api.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "broker/acl/signature.h"
#include "broker/common/crc32.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::server {
namespace {

constexpr std::int64_t kConnectTimeoutMs = 3000;
constexpr std::int64_t kRegisterTimeoutMs = 6000;  // registerBrokerTimeoutMills
// One registration round (every name server in parallel) ends by this deadline, slow servers or not.
constexpr std::int64_t kRegisterDeadlineMs = 6000;
// Unregistration at shutdown, all name servers together.
constexpr std::int64_t kUnregisterDeadlineMs = 3000;

std::int64_t remaining_ms(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
}

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

std::string register_broker_body(const TopicConfigManager& topics, std::int32_t broker_permission) {
  nlohmann::json wrapper = topics.wrapper_json();
  // 4.9.x registerBrokerAll: a broker that is not both readable and writable advertises every topic with
  // its perm masked by brokerPermission (clients then stop sending to / pulling from it).
  if (!perm::readable(broker_permission) || !perm::writeable(broker_permission)) {
    if (auto table = wrapper.find("topicConfigTable"); table != wrapper.end() && table->is_object()) {
      for (auto& [name, config] : table->items()) {
        if (config.contains("perm") && config["perm"].is_number_integer()) {
          config["perm"] = config["perm"].get<std::int32_t>() & broker_permission;
        }
      }
    }
  }
  const nlohmann::json body{{"filterServerList", nlohmann::json::array()}, {"topicConfigSerializeWrapper", wrapper}};
  return dump_json(body);
}

BrokerOuterApi::BrokerOuterApi(const BrokerConfig& config, const TopicConfigManager& topics,
                               const BrokerRoleState* role)
    : config_(config), topics_(topics), role_(role), client_(remoting::ClientOptions{1, config.tls.client}) {}

std::int64_t BrokerOuterApi::broker_id() const { return role_ != nullptr ? role_->broker_id() : config_.broker_id; }

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
    // A failed round (bad data, out of memory, a bug) must not end the process or this thread: the name
    // servers would forget the broker 120 s later. Log and try again next period.
    try {
      register_all_sync();
    } catch (const std::exception& e) {
      spdlog::error("broker: registration round failed: {}", e.what());
    } catch (...) {
      spdlog::error("broker: registration round failed with an unknown exception");
    }
    lock.lock();
  }
}

std::shared_ptr<remoting::Connection> BrokerOuterApi::connection_to(const std::string& address,
                                                                    std::int64_t connect_timeout_ms) {
  {
    std::lock_guard lock(connections_mutex_);
    auto it = connections_.find(address);
    if (it != connections_.end() && it->second && it->second->is_open()) return it->second;
  }
  std::string host;
  std::uint16_t port = 0;
  if (!split_address(address, host, port)) {
    spdlog::error("broker: name server address '{}' is not host:port", address);
    return nullptr;
  }
  try {
    auto connection = client_.connect(host, port, std::max<std::int64_t>(1, connect_timeout_ms));
    std::lock_guard lock(connections_mutex_);
    connections_[address] = connection;
    return connection;
  } catch (const std::exception& e) {
    spdlog::warn("broker: cannot connect to name server {}: {}", address, e.what());
    std::lock_guard lock(connections_mutex_);
    connections_.erase(address);
    return nullptr;
  }
}

bool BrokerOuterApi::register_with(const std::string& address, const std::string& body, std::int32_t crc,
                                   std::chrono::steady_clock::time_point deadline) {
  auto connection = connection_to(address, std::min(kConnectTimeoutMs, remaining_ms(deadline)));
  if (!connection) return false;
  const std::int64_t left_ms = remaining_ms(deadline);
  if (left_ms <= 0) return false;
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kRegisterBroker);
  request.ext_fields.set("brokerAddr", config_.store_host_address());
  request.ext_fields.set_int("brokerId", broker_id());
  request.ext_fields.set("brokerName", config_.broker_name);
  request.ext_fields.set("clusterName", config_.broker_cluster_name);
  request.ext_fields.set("haServerAddr", config_.ha_server_address());
  request.ext_fields.set_bool("compressed", false);
  request.ext_fields.set_int("bodyCrc32", crc);
  request.body.assign(body.begin(), body.end());
  // A name server with aclEnable=true accepts registrations signed by an admin account only (man rmq-namesrv(8)).
  if (!config_.access_key.empty()) acl::sign_request(request, config_.access_key, config_.secret_key);
  auto result = connection->invoke_sync(std::move(request), std::min(kRegisterTimeoutMs, left_ms));
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

bool BrokerOuterApi::unregister_from(const std::string& address, std::chrono::steady_clock::time_point deadline) {
  auto connection = connection_to(address, std::min(kConnectTimeoutMs, remaining_ms(deadline)));
  if (!connection) return false;
  const std::int64_t left_ms = remaining_ms(deadline);
  if (left_ms <= 0) return false;
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kUnregisterBroker);
  request.ext_fields.set("brokerAddr", config_.store_host_address());
  request.ext_fields.set_int("brokerId", broker_id());
  request.ext_fields.set("brokerName", config_.broker_name);
  request.ext_fields.set("clusterName", config_.broker_cluster_name);
  if (!config_.access_key.empty()) acl::sign_request(request, config_.access_key, config_.secret_key);
  auto result = connection->invoke_sync(std::move(request), left_ms);
  if (!result.ok()) {
    spdlog::warn("broker: unregister from name server {} failed: {}", address, result.error);
    return false;
  }
  return true;
}

std::size_t BrokerOuterApi::for_each_name_server(const std::function<bool(const std::string&)>& call) {
  // One thread per name server, all started at once; each bounds its own connect and invoke by the shared
  // deadline, so joining them all takes about that deadline at most.
  const auto addresses = config_.namesrv_addresses();
  std::atomic<std::size_t> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(addresses.size());
  for (const auto& address : addresses) {
    threads.emplace_back([&call, &ok, address] {
      try {
        if (call(address)) ok.fetch_add(1);
      } catch (const std::exception& e) {
        spdlog::warn("broker: name server {}: {}", address, e.what());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return ok.load();
}

std::size_t BrokerOuterApi::register_all_sync() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return 0;
  }
  if (broker_id() < 0) return 0;  // DLedger mode, no role yet (see the constructor)
  const std::string body = register_broker_body(topics_, config_.broker_permission);
  const std::int32_t crc = common::masked_crc32(common::ByteSpan(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRegisterDeadlineMs);
  // One registration at a time (a later one carries the newer table); a caller that cannot get its turn
  // before the deadline gives up, the next period registers again.
  std::unique_lock turn(register_mutex_, std::defer_lock);
  if (!turn.try_lock_until(deadline)) {
    spdlog::warn("broker: registration still running after {} ms; skipped", kRegisterDeadlineMs);
    return 0;
  }
  const std::size_t ok = for_each_name_server(
      [&](const std::string& address) { return register_with(address, body, crc, deadline); });
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
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kUnregisterDeadlineMs);
    std::unique_lock turn(register_mutex_, std::defer_lock);
    if (turn.try_lock_until(deadline)) {
      for_each_name_server([&](const std::string& address) { return unregister_from(address, deadline); });
    }
  }
  {
    std::lock_guard lock(connections_mutex_);
    connections_.clear();
  }
  client_.close();
}

}  // namespace rmq::server
