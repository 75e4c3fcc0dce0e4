// One member of a DLedger group: the runtime around the pure Raft core (broker/raft), and the
// store::DLedgerReplicator the DLedger commit log appends through.
//
// How the broker uses it:
//   auto cfg = dledger::DLedgerConfig::from_properties(broker_conf);          // dledger_config.h
//   auto store = store::DLedgerEntryStore::open(fs, {root, cfg.self_id, ..., data_file_bytes, ...});
//   dledger::DLedgerNode node({cfg, data_file_bytes}, *store, fs);          // store and fs outlive node
//   node.set_role_listener(...); node.set_commit_listener(...);
//   node.start();                       // listens on this node's dLegerPeers port, joins the group
//   node.append(bodies, patch, done);   // leader only; done once committed as flushDiskType says
//   node.stop();                        // or the destructor
//
// Threads. One runtime thread owns the RaftCore, the entry store's writes and `currterm`; it runs the loop of
// raft/batch.h: take what arrived (peer messages from the transport's I/O thread, appends from any thread),
// tick the core every tick_interval_ms, then for each batch: send messages_before_persist (a leader's appends
// and heartbeats, so followers write while the leader writes its own copy), write the entries (each at the
// position the leader fixed, append_as_follower checking it), persist term and vote (currterm: file and
// directory fsync) when they changed, fsync the entries when flushDiskType=SYNC_FLUSH (one fsync per batch:
// group commit, on every node), and only then send `messages` (votes, append acknowledgements), then advance.
// Under ASYNC_FLUSH the data is fsynced every flushFileInterval in the background, and an entry counts as held
// by a node once it is in that node's page cache (DESIGN.md rule 4). The commit index goes to the store's
// checkpoint every checkPointInterval (lazily: an older one only means re-dispatching after a restart).
//
// Leader appends: the runtime computes every entry's position as the entry store will place it (after the
// whole log, including entries not written yet), calls the patch function with it (PHYSICALOFFSET), and only
// then proposes the bytes, so every replica stores identical bytes. `done` fires once every entry of the
// call is committed (kOk), the node stops being leader first (kNotLeader), maxWaitAckTimeMs passes
// (kTimeout), more than maxPendingRequestsNum calls or dLedgerMaxUncommittedBytes are waiting (kBusy), or the
// store failed (kStoreFailed).
//
// Callbacks (done, the commit and role listeners) run on the runtime thread with none of the node's locks
// held, so they may call status(), read_entries() and read_data(); they must not block.
//
// Failure: an exception from the store (I/O error, disk full) or a Raft invariant stops the node's Raft
// activity for good: it no longer votes, appends or acknowledges, every append gets kStoreFailed, and
// failure() says why; the broker must restart it (the store's recovery then runs). Crash: everything durable
// is in the entry store, its checkpoint and currterm; a restarted node rebuilds its core from them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/common/file_system.h"
#include "broker/dledger/dledger_config.h"
#include "broker/dledger/dledger_log_storage.h"
#include "broker/dledger/peer_transport.h"
#include "broker/raft/raft_core.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_member_state_file.h"
#include "broker/store/dledger_replicator.h"

namespace rmq::dledger {

struct DLedgerNodeOptions {
  DLedgerConfig config;
  // The entry store's data file size (DLedgerStoreOptions::data_file_bytes = mappedFileSizeCommitLog), which
  // positions are laid out with; every member must use the same.
  std::int64_t data_file_bytes = store::kDLedgerDefaultDataFileBytes;
  std::string listen_host = "0.0.0.0";
  std::uint64_t seed = 0;  // election timeout randomization; 0: from std::random_device
  // The broker's tls.server.* (certificate, key, client auth) and tls.client.* settings; the peer port uses
  // them when config.peer_tls_mode is not disabled (the mode here is ignored: dLedgerPeerTlsMode decides).
  remoting::TlsSettings tls;
};

class DLedgerNode final : public store::DLedgerReplicator {
 public:
  // Reads currterm beside the store (throws store::DLedgerCorruption when it is unusable, common::ConfigError
  // when it votes for an id outside dLegerPeers, and what RaftCore throws for a store that lost committed
  // entries).
  DLedgerNode(DLedgerNodeOptions options, store::DLedgerEntryStore& store, common::FileSystem& fs);
  ~DLedgerNode() override;

  // Listens on this node's dLegerPeers port and starts the runtime thread. Throws std::system_error when the
  // port is taken.
  void start();
  // Stops the thread and the transport, fails what is pending with kNotLeader, and saves the checkpoint.
  // Idempotent.
  void stop();

  // store::DLedgerReplicator
  void append(std::vector<common::Bytes> bodies, PatchFn patch, DoneFn done) override;
  std::vector<store::DLedgerEntry> read_entries(std::int64_t from_index, std::size_t max_count,
                                                std::size_t max_bytes) const override;
  std::optional<common::Bytes> read_data(std::int64_t pos, std::size_t size_bytes) const override;
  store::ReplicaStatus status() const override;
  void set_commit_listener(CommitListener listener) override;
  void set_role_listener(RoleListener listener) override;

  // Leader only: hands leadership to `peer_id` once it is caught up. False if this node is not the leader
  // (as far as the caller can tell) or the id is not a peer.
  bool transfer_leadership(const std::string& peer_id);

  // Why the node stopped participating, or empty.
  std::string failure() const;
  const PeerTransport& transport() const { return *transport_; }

 private:
  using Clock = std::chrono::steady_clock;

  struct Proposal {
    std::vector<common::Bytes> bodies;
    PatchFn patch;
    DoneFn done;
    Clock::time_point deadline;
  };
  struct PendingAppend {
    raft::Index first_index = 0;
    raft::Index last_index = 0;
    raft::Term term = 0;
    std::vector<std::int64_t> positions;
    DoneFn done;
    Clock::time_point deadline;
  };

  void run();
  void handle_proposal(Proposal& proposal);
  void handle_batch(raft::Batch batch);
  void write_entries(std::vector<raft::Entry>& entries);
  void apply_commit(raft::Index commit_index);
  void expire_pending(Clock::time_point now);
  void fail_pending(store::ReplicateStatus status);
  void fail_node(const std::string& why);
  std::int64_t end_pos_of(raft::Index index) const;
  void publish_status(bool notify);
  // Calls `done` at once (no lock held).
  static void finish(DoneFn& done, std::size_t count, store::ReplicateStatus status);
  // Queues the call for run_deferred(), which makes it once store_mu_ is released (runtime thread, stop()).
  void finish_later(DoneFn& done, std::size_t count, store::ReplicateStatus status);
  void run_deferred();

  DLedgerNodeOptions options_;
  store::DLedgerEntryStore& store_;
  store::DLedgerMemberStateFile member_state_;
  std::vector<common::Peer> peers_;
  raft::NodeId self_ = raft::kNoNode;
  std::unique_ptr<PeerTransport> transport_;

  // Runtime thread only (under store_mu_).
  std::unique_ptr<DLedgerLogStorage> storage_;
  std::unique_ptr<raft::RaftCore> core_;
  store::DLedgerHardState persisted_hard_state_;
  std::deque<PendingAppend> pending_;
  std::vector<store::DLedgerEntryRef> run_refs_;  // write_entries' buffers, reused
  std::vector<common::Bytes> noop_bodies_;
  std::vector<std::pair<DoneFn, std::vector<store::ReplicatedEntry>>> deferred_;  // guarded by store_mu_
  raft::Index applied_commit_ = 0;
  std::int64_t last_told_commit_ = -2;  // what the commit listener was last told
  struct Tail {
    raft::Index index = 0;
    raft::Term term = 0;
    std::int64_t end_pos = 0;
  } tail_;  // where the last proposed entry ends, so the next proposal need not look it up

  // Guards the store, the core and the storage: the runtime thread holds it while it works, readers
  // (read_entries, read_data) take it briefly.
  mutable std::mutex store_mu_;

  // The inbox: what other threads hand to the runtime thread.
  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::deque<raft::Message> inbox_messages_;
  std::deque<Proposal> inbox_proposals_;
  std::optional<raft::NodeId> inbox_transfer_;
  bool stopping_ = false;
  bool started_ = false;
  // The runtime thread sleeps on inbox_cv_: whoever queues work next clears it and notifies, after unlocking
  // (the woken thread does not block on the mutex its waker still holds).
  bool runtime_waiting_ = false;
  std::thread runtime_;

  std::atomic<std::int64_t> pending_calls_{0};
  std::atomic<std::int64_t> committed_index_{-1};  // DLedger index, what read_entries may return
  std::atomic<bool> is_leader_{false};

  mutable std::mutex status_mu_;
  store::ReplicaStatus status_;
  std::string failure_;
  CommitListener commit_listener_;
  RoleListener role_listener_;
};

}  // namespace rmq::dledger
