// A DLedger follower keeps the leader's topics, subscription groups, consumer offsets and delay offsets
// (upstream SlaveSynchronize.syncAll: GET_ALL_TOPIC_CONFIG 21, GET_ALL_CONSUMER_OFFSET 43,
// GET_ALL_DELAY_OFFSET 45, GET_ALL_SUBSCRIPTIONGROUP_CONFIG 201), so that after a failover consumers resume
// close to where they were (dledger-group.md 2.5).
//
// Better than upstream, which syncs 3 s after a role change and then every 10 s, and learns the master's
// address only from its next synchronous registration (up to 40 s, rmq#7790):
// - the first round runs at once when syncing starts, then every interval_ms (3 s by default);
// - a failed round (leader not yet registered, unreachable, bad answer) is retried after retry_interval_ms;
// - the leader's address is looked up every round: the address the name servers hold as brokerId 0 under
//   this brokerName (GET_BROKER_CLUSTER_INFO 106), never this broker's own address.
// Topics and groups are replaced only when the leader's DataVersion differs (as upstream); offsets are merged
// per topic@group (putAll) and persisted; the delay offsets are written to delayOffset.json, which the delay
// service reloads when this node becomes master. Each body is parsed completely before anything is applied.
//
// Threads: one thread of its own runs the rounds. A round fetches all four tables first (this may take up to
// call_timeout_ms per request when the old leader is gone) and then applies them under a short lock, only if
// syncing is still on; stop_syncing() waits only for an apply in progress, never for a fetch, so a promotion is
// not delayed by a dead leader, and the delay service it starts next never sees its delayOffset.json
// overwritten by a late round. Crash: each table is
// written with write_config_file (.tmp/.bak); what a crash loses is re-synced by the next round.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/remoting/remoting_client.h"
#include "broker/server/broker_services.h"

namespace rmq::server {

struct SlaveSyncOptions {
  std::int64_t interval_ms = 3000;        // between successful rounds (upstream: 10000)
  std::int64_t retry_interval_ms = 1000;  // after a failed round
  std::int64_t call_timeout_ms = 3000;    // each request to the leader or a name server
  remoting::TlsClientSettings tls;         // tls.enable / tls.client.* of the broker
};

class SlaveSynchronize {
 public:
  // Where the leader is: "ip:port", or empty when unknown. The default asks the name servers of
  // services.config() for brokerId 0 of this brokerName.
  using MasterAddressFn = std::function<std::string()>;

  SlaveSynchronize(BrokerServices& services, std::string delay_offset_path, SlaveSyncOptions options = {},
                   MasterAddressFn master_address = {});
  ~SlaveSynchronize();  // shutdown()
  SlaveSynchronize(const SlaveSynchronize&) = delete;
  SlaveSynchronize& operator=(const SlaveSynchronize&) = delete;

  // Starts (or restarts) syncing: a round at once, then every interval. Never blocks.
  void start_syncing();
  // Stops syncing; returns once nothing more will be applied.
  void stop_syncing();
  bool syncing() const;
  // One round on the caller's thread; true when all four tables came and were applied.
  bool sync_once();
  // Stops the thread and closes the connections. Idempotent.
  void shutdown();

  std::uint64_t successful_rounds() const { return successful_rounds_.load(); }
  std::uint64_t failed_rounds() const { return failed_rounds_.load(); }
  // The leader address the last round used (empty if none yet).
  std::string last_master_address() const;

 private:
  void run();
  // Caller holds round_mutex_. With `only_while_enabled`, nothing is applied once syncing is off.
  bool sync_round(bool only_while_enabled);
  bool fail();        // counts a failed round; returns false
  std::string lookup_master_from_name_servers();
  // One call; nullopt (logged) on a connection error, a timeout or a code other than SUCCESS.
  std::optional<remoting::RemotingCommand> call(const std::string& address, std::int32_t code);
  std::shared_ptr<remoting::Connection> connection_to(const std::string& address);

  BrokerServices& services_;
  const std::string delay_offset_path_;
  const SlaveSyncOptions options_;
  MasterAddressFn master_address_;
  remoting::RemotingClient client_;

  std::mutex connections_mutex_;
  std::map<std::string, std::shared_ptr<remoting::Connection>> connections_;

  std::mutex round_mutex_;  // held for the whole of a round (one round at a time)
  std::mutex apply_mutex_;  // held while a round applies what it fetched
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool enabled_ = false;
  bool run_now_ = false;
  bool stopping_ = false;
  std::string last_master_;
  std::thread thread_;
  std::atomic<std::uint64_t> successful_rounds_{0};
  std::atomic<std::uint64_t> failed_rounds_{0};
};

}  // namespace rmq::server
