// The seam between the DLedger commit log (broker/store, storage.md 6) and the Raft runtime that replicates
// its entries (broker/dledger). The store depends only on this interface; broker/dledger implements it
// (arrows point down: dledger/ -> store/), and store tests implement it over one local entry store.
//
// Why this shape:
// - Replicas store identical bytes. A record's final bytes (PHYSICALOFFSET = entry pos + 48, and the queue
//   offset the store chose) must be fixed on the leader before the entry is written anywhere or sent, so the
//   runtime calls `patch` once per body, on its own thread, after it has fixed the entry's position and before
//   the entry leaves the leader. Followers write the leader's bytes as they are.
// - An ack means what flushDiskType says (DESIGN.md rule 4): `done` fires once the entries are committed,
//   i.e. held by a majority in page cache (ASYNC_FLUSH) or fsynced by a majority (SYNC_FLUSH); or once they
//   are known to have failed (not leader any more, store failed, timeout).
// - Dispatch apart from put: consume queues and the index are fed from committed entries only, on leader and
//   followers alike, by the store's dispatcher. The runtime only says "the commit index moved" and lets the
//   store read committed entries back through read_entries().
//
// Indexes here are DLedger indexes (the first entry is index 0; -1 means none), positions are absolute
// offsets in the DLedger data file space (the first data file starts at dividedCommitlogOffset).
//
// Threads: every method may be called from any thread. Callbacks run on a runtime thread and must not block
// or call back into the replicator synchronously.
//
// Crash: nothing here is durable by itself; the entries are in the DLedger entry store (dledger_entry_store.h)
// and the commit index in its checkpoint. After a crash the store's dispatcher resumes from the consume
// queues' own recovered positions and re-reads committed entries.
//
// How the store side uses it (added by the store helper; no signature changed) -- for the runtime and the
// broker wiring (see dledger_message_store.h):
//   1. DLedgerMessageStore::prepare() adopts the legacy commitlog and returns adoption.entry_store_options:
//      the runtime opens its DLedgerEntryStore with exactly those (first_entry_pos = dividedCommitlogOffset,
//      the commitlog body check) and builds the replicator over it.
//   2. DLedgerMessageStore::open(start, replicator) calls status() and read_entries() before the runtime's
//      threads start (they must work on the recovered log: committed_index from the checkpoint), and takes the
//      commit listener for itself (set_commit_listener; cleared again by shutdown()). The role listener stays
//      the broker's.
//   3. read_data() must return the bytes of any entry written locally (committed or not): reads by
//      PHYSICALOFFSET check the entry header in front of the record.
//   4. A new leader appends its term's no-op (encode_noop_body_unpositioned + the PHYSICALOFFSET patch,
//      dledger_noop.h); the broker registers as brokerId 0 once DLedgerMessageStore::ready_as_leader() is true.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/store/dledger_entry.h"

namespace rmq::store {

enum class ReplicateStatus {
  kOk,            // committed as the durability mode requires
  kNotLeader,     // this node is not the leader (or stopped being it before the entries committed)
  kBusy,          // too many uncommitted bytes or pending appends (the upstream busy answer)
  kTimeout,       // not committed within the runtime's append timeout; the outcome is unknown
  kStoreFailed,   // the local entry store failed (I/O error, disk full): this node stops acknowledging
};
const char* to_string(ReplicateStatus status);

struct ReplicatedEntry {
  ReplicateStatus status = ReplicateStatus::kNotLeader;
  std::int64_t index = -1;  // DLedger index, when the entry was appended
  std::int64_t pos = -1;    // its position in the data file space (record PHYSICALOFFSET = pos + 48)
};

// Role as the broker needs it (storage.md 7).
enum class ReplicaRole { kFollower, kCandidate, kLeader };

struct ReplicaStatus {
  ReplicaRole role = ReplicaRole::kFollower;
  std::int64_t term = 0;
  std::string leader_id;             // dLegerSelfId of the known leader ("n0"), empty if unknown
  std::string self_id;
  std::int64_t committed_index = -1;
  std::int64_t end_index = -1;       // last entry in the local log
  std::int64_t begin_index = -1;
};

class DLedgerReplicator {
 public:
  virtual ~DLedgerReplicator() = default;

  // Called once per body, in order, with the entry's fixed position, before the entry is written or sent.
  using PatchFn = std::function<void(std::int64_t entry_pos, std::span<std::uint8_t> body)>;
  // Called once for the whole call, with one result per body, in order.
  using DoneFn = std::function<void(std::vector<ReplicatedEntry> results)>;
  // Called (on a runtime thread) whenever the local commit index rises; the argument is the new index.
  using CommitListener = std::function<void(std::int64_t committed_index)>;
  // Called on every role, term or leader change.
  using RoleListener = std::function<void(const ReplicaStatus& status)>;

  // Leader only: appends the bodies as consecutive entries of one term. If this node is not the leader, done
  // is called at once with kNotLeader for each body and patch is never called.
  virtual void append(std::vector<common::Bytes> bodies, PatchFn patch, DoneFn done) = 0;

  // Entries in [from_index, min(committed_index, from_index + max_count - 1)], stopping early once max_bytes of
  // bodies are collected (at least one entry when any is committed). Only committed entries are returned.
  virtual std::vector<DLedgerEntry> read_entries(std::int64_t from_index, std::size_t max_count,
                                                 std::size_t max_bytes) const = 0;
  // Raw bytes of the data file space at pos (a RocketMQ read at PHYSICALOFFSET); nullopt if outside the log.
  virtual std::optional<common::Bytes> read_data(std::int64_t pos, std::size_t size_bytes) const = 0;

  virtual ReplicaStatus status() const = 0;

  virtual void set_commit_listener(CommitListener listener) = 0;
  virtual void set_role_listener(RoleListener listener) = 0;
};

}  // namespace rmq::store
