// The broker's reaction to Raft role changes in DLedger mode (4.9.x DLedgerRoleChangeHandler with
// BrokerController.changeToMaster/changeToSlave; storage.md 7, remoting.md 3.4, dledger-group.md 2.2).
//
// - FOLLOWER: brokerId = selfId number + 1 ("n2" -> 3), role SLAVE, the slave hooks run (delay service off,
//   follower sync of topics/groups/offsets on), and the broker re-registers with every name server at once.
//   Every FOLLOWER event does this, repeats included (a new leader or term means a new master to sync from).
// - CANDIDATE: the same, unless the broker already is a SLAVE (then nothing, as upstream).
// - LEADER: nothing is advertised until this node holds nothing uncommitted or undispatched: it polls
//   (every poll_interval_ms; upstream polls every 100 ms) until it is still the leader of the same term and
//   end index == committed index and the store's dispatch-behind figure is 0. Then the before-master hook
//   (the store recomputes its queue offsets), the master hooks (follower sync off, delay service on), brokerId
//   0 and role SYNC_MASTER, and a registration at once. If it stops leading while waiting, it never becomes
//   master.
//
// Stricter than upstream:
// - The moment the replicator reports a role other than leader, the broker stops being writable (on the
//   replicator's thread, before the queued re-registration runs), so a stepped-down leader never accepts a
//   send in between; upstream keeps SYNC_MASTER until its handler thread gets to the event.
// - Registration is synchronous (the name servers' answers are awaited, and logged when refused), where
//   upstream sends it one-way and never learns of a failure.
// - Events are coalesced: when several are queued, only the newest is acted on (each one re-registers, so the
//   newest determines what the name servers must show).
//
// Threads: one worker thread runs every action in order; the replicator's listener only queues. Nothing is
// persisted; after a crash the node starts again as SLAVE with brokerId -1 and waits for the first event.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "broker/server/broker_role_state.h"
#include "broker/store/dledger_replicator.h"

namespace rmq::server {

struct DLedgerRoleHooks {
  // Bytes of committed entries not yet dispatched to consume queues and the index (the store's figure).
  // Required.
  std::function<std::int64_t()> dispatch_behind_bytes;
  // Runs once per promotion, after the wait and before the broker becomes writable (upstream:
  // messageStore.recoverTopicQueueTable()). May be empty.
  std::function<void()> before_master;
  // The node became (or stays) a follower with this brokerId: stop the delay service, start the follower
  // sync. May be empty.
  std::function<void(std::int64_t broker_id)> on_slave;
  // The node is about to become writable: stop the follower sync, start the delay service. May be empty.
  std::function<void()> on_master;
  // Registers with every name server now and waits for the answers (BrokerOuterApi::register_all_sync).
  // May be empty (no name server configured).
  std::function<void()> register_now;
};

struct DLedgerRoleHandlerOptions {
  std::int64_t poll_interval_ms = 10;  // the leader's catch-up wait polls this often (upstream: 100 ms)
};

// The brokerId of a follower: the number in dLegerSelfId plus 1 ("n0" -> 1, "n2" -> 3); an id that would be
// 0 is 1, as changeToSlave maps it. nullopt when self_id is not a letter followed by digits.
std::optional<std::int64_t> follower_broker_id(std::string_view self_id);

class DLedgerRoleHandler {
 public:
  // `self_id` is dLegerSelfId; throws std::invalid_argument when it has no number.
  DLedgerRoleHandler(store::DLedgerReplicator& replicator, BrokerRoleState& role, std::string self_id,
                     DLedgerRoleHooks hooks, DLedgerRoleHandlerOptions options = {});
  ~DLedgerRoleHandler();  // shutdown()
  DLedgerRoleHandler(const DLedgerRoleHandler&) = delete;
  DLedgerRoleHandler& operator=(const DLedgerRoleHandler&) = delete;

  // Installs the role listener on the replicator, starts the worker and acts on the current status at once.
  void start();
  // Stops the worker (a leader still waiting gives up). The listener stays installed but only queues into a
  // stopped handler, which ignores it. Idempotent.
  void shutdown();

  // Role events acted on so far (tests and logs).
  std::uint64_t handled_events() const;
  // Promotions to brokerId 0 so far.
  std::uint64_t promotions() const;

 private:
  void on_status(const store::ReplicaStatus& status);
  void run();
  void handle(const store::ReplicaStatus& status);
  void change_to_slave(const store::ReplicaStatus& status);
  // True once the node may become master; false when it stopped leading (or the handler stops) first.
  bool wait_until_caught_up(std::int64_t term);
  bool stopping() const;

  store::DLedgerReplicator& replicator_;
  BrokerRoleState& role_;
  const std::string self_id_;
  const std::int64_t follower_id_;
  DLedgerRoleHooks hooks_;
  DLedgerRoleHandlerOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<store::ReplicaStatus> pending_;
  bool started_ = false;
  bool stopping_ = false;
  std::uint64_t handled_ = 0;
  std::uint64_t promotions_ = 0;
  std::thread worker_;
};

}  // namespace rmq::server
