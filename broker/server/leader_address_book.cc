#include "broker/server/leader_address_book.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/server/broker_config.h"
#include "broker/server/slave_sync_tables.h"

namespace rmq::server {

LeaderAddressBook::LeaderAddressBook(std::string self_address, LeaderIdFn leader_id, LookupFn lookup,
                                     LeaderAddressOptions options)
    : self_address_(std::move(self_address)),
      leader_id_(std::move(leader_id)),
      lookup_(std::move(lookup)),
      options_(options) {}

bool LeaderAddressBook::leader_known() const { return leader_id_ && !leader_id_().empty(); }

std::string LeaderAddressBook::address(bool may_look_up) {
  const std::string leader = leader_id_ ? leader_id_() : std::string();
  if (leader.empty()) return {};
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  if (leader != cached_leader_id_) {
    cached_leader_id_ = leader;
    cached_address_.clear();
    next_lookup_ = {};  // a new leader: look at once
  }
  if (!cached_address_.empty() && now < cached_until_) return cached_address_;
  if (!may_look_up || now < next_lookup_) return cached_address_;  // may be "" (none known yet)
  next_lookup_ = now + std::chrono::milliseconds(options_.min_lookup_interval_ms);
  ++lookups_;
  lock.unlock();
  std::string found = lookup_ ? lookup_() : std::string();
  if (found == self_address_) found.clear();
  lock.lock();
  if (cached_leader_id_ != leader) return found;  // the leader changed meanwhile: do not cache for the new one
  cached_address_ = found;
  cached_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.ttl_ms);
  return found;
}

void LeaderAddressBook::stale(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (cached_address_ == address) {
    cached_address_.clear();
    cached_until_ = {};
  }
}

std::uint64_t LeaderAddressBook::lookups() const {
  std::lock_guard lock(mutex_);
  return lookups_;
}

std::string lookup_master_from_name_servers(const BrokerConfig& config, std::int64_t timeout_ms) {
  const std::string self = config.store_host_address();
  for (const std::string& namesrv : config.namesrv_addresses()) {
    const auto colon = namesrv.rfind(':');
    if (colon == std::string::npos) continue;
    try {
      remoting::RemotingClient client(remoting::ClientOptions{1, config.tls.client});
      auto connection = client.connect(namesrv.substr(0, colon),
                                       static_cast<std::uint16_t>(std::stoi(namesrv.substr(colon + 1))), timeout_ms);
      auto result =
          connection->invoke_sync(remoting::make_request(remoting::request_code::kGetBrokerClusterInfo), timeout_ms);
      connection->close();
      if (!result.ok() || result.response.code != remoting::response_code::kSuccess) continue;
      const std::string_view body(reinterpret_cast<const char*>(result.response.body.data()),
                                  result.response.body.size());
      auto address = master_address_from_cluster_info(body, config.broker_name);
      if (address && *address != self) return *address;
    } catch (const std::exception& e) {
      spdlog::debug("broker: leader lookup at name server {}: {}", namesrv, e.what());
    }
  }
  return {};
}

}  // namespace rmq::server
