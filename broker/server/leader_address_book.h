// Where a DLedger follower sends what it forwards (send_forwarder.h): the leader's client address.
//
// Raft tells a follower the leader's id (dLegerSelfId), not the address clients use (brokerIP1:listenPort). The
// leader registers that address with the name servers as brokerId 0 of the brokerName as soon as it is ready
// to take sends (dledger_role_handler.h), so this asks the name servers (GET_BROKER_CLUSTER_INFO 106) and
// keeps the answer for the Raft leader it was looked up for:
// - a change of the Raft leader id drops the cached address (the next send looks again);
// - the cached address expires after ttl_ms, and stale() drops it at once (the forwarder calls it when that
//   address answered 14 or could not be reached: the name servers may still have named the old leader);
// - a lookup happens at most once per min_lookup_interval_ms, so a leaderless minute costs the name servers
//   a few requests a second, not one per send; in between, what is cached ("" when none) is answered;
// - this broker's own address is never the answer (right after a hand-over the name servers may still name
//   it: the new leader registers as brokerId 0 only once it caught up, dledger_role_handler.h).
// Thread-safe; a lookup runs on the calling thread (the forwarder's own thread, send_forwarder.h), at most
// lookup_timeout_ms per name server. Nothing is persisted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace rmq::server {

struct BrokerConfig;

struct LeaderAddressOptions {
  std::int64_t ttl_ms = 3000;
  std::int64_t min_lookup_interval_ms = 50;
};

class LeaderAddressBook {
 public:
  // The Raft leader id as this node knows it ("" if none, or if this node leads).
  using LeaderIdFn = std::function<std::string()>;
  // Asks the name servers for brokerId 0 of this brokerName; "" when none answers or none is registered.
  using LookupFn = std::function<std::string()>;

  LeaderAddressBook(std::string self_address, LeaderIdFn leader_id, LookupFn lookup, LeaderAddressOptions options = {});

  // The leader's address; may_look_up=false never blocks (the cached address or "").
  std::string address(bool may_look_up = true);
  // A Raft leader other than this node is known.
  bool leader_known() const;
  void stale(const std::string& address);
  std::uint64_t lookups() const;

 private:
  const std::string self_address_;
  LeaderIdFn leader_id_;
  LookupFn lookup_;
  const LeaderAddressOptions options_;
  mutable std::mutex mutex_;
  std::string cached_leader_id_;
  std::string cached_address_;
  std::chrono::steady_clock::time_point cached_until_{};
  std::chrono::steady_clock::time_point next_lookup_{};
  std::uint64_t lookups_ = 0;
};

// The default LookupFn: asks each of config's name servers in turn (a connection per call, closed after it)
// for brokerId 0 of config's brokerName; the first address that is not config's own wins.
std::string lookup_master_from_name_servers(const BrokerConfig& config, std::int64_t timeout_ms);

}  // namespace rmq::server
