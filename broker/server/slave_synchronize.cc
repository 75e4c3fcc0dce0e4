// The follower sync of DLedger mode (see slave_synchronize.h).
#include "broker/server/slave_synchronize.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "broker/acl/signature.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/server/slave_sync_tables.h"
#include "broker/store/config_file.h"

namespace rmq::server {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;

bool split_address(const std::string& address, std::string& host, std::uint16_t& port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = address.substr(0, colon);
  try {
    std::size_t used = 0;
    const int value = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1 || value <= 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string_view body_view(const remoting::RemotingCommand& response) {
  return std::string_view(reinterpret_cast<const char*>(response.body.data()), response.body.size());
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

SlaveSynchronize::SlaveSynchronize(BrokerServices& services, std::string delay_offset_path, SlaveSyncOptions options,
                                   MasterAddressFn master_address)
    : services_(services),
      delay_offset_path_(std::move(delay_offset_path)),
      options_(options),
      master_address_(std::move(master_address)),
      client_(remoting::ClientOptions{1, options_.tls}) {}

SlaveSynchronize::~SlaveSynchronize() { shutdown(); }

void SlaveSynchronize::start_syncing() {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  enabled_ = true;
  run_now_ = true;
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_all();
}

void SlaveSynchronize::stop_syncing() {
  {
    std::lock_guard lock(mutex_);
    enabled_ = false;
    wake_.notify_all();
  }
  std::lock_guard apply(apply_mutex_);  // an apply in progress ends first; later ones see enabled_ == false
}

bool SlaveSynchronize::syncing() const {
  std::lock_guard lock(mutex_);
  return enabled_;
}

std::string SlaveSynchronize::last_master_address() const {
  std::lock_guard lock(mutex_);
  return last_master_;
}

void SlaveSynchronize::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    enabled_ = false;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(connections_mutex_);
    connections_.clear();
  }
  client_.close();
}

void SlaveSynchronize::run() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, next, [this] { return stopping_ || run_now_; });
    if (stopping_) return;
    if (!enabled_) {
      wake_.wait(lock, [this] { return stopping_ || (enabled_ && run_now_); });
      continue;
    }
    if (!run_now_ && std::chrono::steady_clock::now() < next) continue;
    run_now_ = false;
    lock.unlock();
    bool ok = true;
    {
      std::lock_guard round(round_mutex_);
      bool still_enabled;
      {
        std::lock_guard check(mutex_);
        still_enabled = enabled_ && !stopping_;
      }
      if (still_enabled) {
        try {
          ok = sync_round(true);
        } catch (const std::exception& e) {
          spdlog::warn("broker: follower sync failed: {}", e.what());
          ok = false;
        }
      }
    }
    lock.lock();
    next = std::chrono::steady_clock::now() +
           std::chrono::milliseconds(ok ? options_.interval_ms : options_.retry_interval_ms);
  }
}

bool SlaveSynchronize::sync_once() {
  std::lock_guard round(round_mutex_);
  return sync_round(false);
}

bool SlaveSynchronize::sync_round(bool only_while_enabled) {
  const std::string master = master_address_ ? master_address_() : lookup_master_from_name_servers();
  {
    std::lock_guard lock(mutex_);
    last_master_ = master;
  }
  if (master.empty() || master == services_.config().store_host_address()) {
    failed_rounds_.fetch_add(1);
    return false;
  }
  // Fetch and check all four before applying any: a leader that dies half-way leaves nothing half-applied.
  auto topics = call(master, code::kGetAllTopicConfig);
  if (!topics) return fail();
  auto offsets = call(master, code::kGetAllConsumerOffset);
  if (!offsets) return fail();
  auto delay = call(master, code::kGetAllDelayOffset);
  if (!delay) return fail();
  auto groups = call(master, code::kGetAllSubscriptionGroupConfig);
  if (!groups) return fail();
  TopicTableBody topic_table;
  OffsetTable offset_table;
  GroupTableBody group_table;
  try {
    topic_table = parse_topic_table_body(body_view(*topics));
    offset_table = parse_offset_table_body(body_view(*offsets));
    (void)parse_delay_offset_body(body_view(*delay));
    group_table = parse_group_table_body(body_view(*groups));
  } catch (const std::exception& e) {
    spdlog::warn("broker: follower sync from {}: {}", master, e.what());
    return fail();
  }

  std::lock_guard apply(apply_mutex_);
  if (only_while_enabled) {
    std::lock_guard lock(mutex_);
    if (!enabled_ || stopping_) return false;  // stopped while fetching: this node may be the master now
  }
  if (services_.topics().replace_from_master(std::move(topic_table.table), topic_table.version)) {
    spdlog::info("broker: follower sync: topic table of {} taken (dataVersion {})", master, topic_table.version.counter);
  }
  services_.offsets().merge_from_master(offset_table);
  services_.offsets().persist();
  if (!delay_offset_path_.empty()) {
    const std::string text(body_view(*delay));
    if (file_text(delay_offset_path_) != text) store::write_config_file(delay_offset_path_, text);
  }
  if (services_.groups().replace_from_master(std::move(group_table.table), group_table.version)) {
    spdlog::info("broker: follower sync: subscription groups of {} taken (dataVersion {})", master,
                 group_table.version.counter);
  }
  successful_rounds_.fetch_add(1);
  return true;
}

bool SlaveSynchronize::fail() {
  failed_rounds_.fetch_add(1);
  return false;
}

std::string SlaveSynchronize::lookup_master_from_name_servers() {
  const BrokerConfig& config = services_.config();
  for (const std::string& namesrv : config.namesrv_addresses()) {
    auto response = call(namesrv, code::kGetBrokerClusterInfo);
    if (!response) continue;
    try {
      auto address = master_address_from_cluster_info(body_view(*response), config.broker_name);
      if (address && *address != config.store_host_address()) return *address;
    } catch (const std::exception& e) {
      spdlog::warn("broker: name server {}: {}", namesrv, e.what());
    }
  }
  return {};
}

std::shared_ptr<remoting::Connection> SlaveSynchronize::connection_to(const std::string& address) {
  {
    std::lock_guard lock(connections_mutex_);
    auto it = connections_.find(address);
    if (it != connections_.end() && it->second && it->second->is_open()) return it->second;
  }
  std::string host;
  std::uint16_t port = 0;
  if (!split_address(address, host, port)) {
    spdlog::warn("broker: follower sync: address '{}' is not host:port", address);
    return nullptr;
  }
  try {
    auto connection = client_.connect(host, port, options_.call_timeout_ms);
    std::lock_guard lock(connections_mutex_);
    connections_[address] = connection;
    return connection;
  } catch (const std::exception& e) {
    spdlog::debug("broker: follower sync: cannot connect to {}: {}", address, e.what());
    std::lock_guard lock(connections_mutex_);
    connections_.erase(address);
    return nullptr;
  }
}

std::optional<remoting::RemotingCommand> SlaveSynchronize::call(const std::string& address, std::int32_t request_code) {
  auto connection = connection_to(address);
  if (!connection) return std::nullopt;
  remoting::RemotingCommand request = remoting::make_request(request_code);
  // Signed with the broker's accessKey/secretKey like its registration: a leader (or Master) with
  // aclEnable=true refuses an unsigned request from an address outside its white lists ("No accessKey is
  // configured", code 16), and the follower would then never learn topics, groups or offsets.
  const BrokerConfig& config = services_.config();
  if (!config.access_key.empty()) acl::sign_request(request, config.access_key, config.secret_key);
  auto result = connection->invoke_sync(std::move(request), options_.call_timeout_ms);
  if (!result.ok()) {
    spdlog::debug("broker: follower sync: request {} to {} failed: {}", request_code, address, result.error);
    return std::nullopt;
  }
  if (result.response.code != rc::kSuccess) {
    spdlog::warn("broker: follower sync: request {} to {} answered {} {}", request_code, address,
                 result.response.code, result.response.remark.value_or(""));
    return std::nullopt;
  }
  return std::move(result.response);
}

}  // namespace rmq::server
