// The core's output: everything one round of the runtime loop must do (etcd raft's Ready).
//
// The runtime loop is:
//   if (core.has_ready()) {
//     Batch b = core.ready();
//     0. send b.messages_before_persist now, and hand b.committed_entries to the applier now (both may run
//        in parallel with step 1 and do not depend on its outcome);
//     1. write: if (b.truncate_from_index) discard durable entries >= it; append b.entries; write b.hard_state;
//        if (b.must_sync) make all of it durable (fsync file and directory);
//     2. once step 1 is durable: send b.messages;
//     3. core.advance(b).
//   }
//   While step 1 is in progress the runtime keeps calling tick(), step() and propose(), and after each of them
//   sends core.take_messages_before_persist() (a leader's heartbeats and appends must not wait for a slow disk)
//   and may apply core.take_committed_entries() (entries that became committed meanwhile and are durable
//   here). The next ready() waits for advance().
//   If step 1 fails (a failed fsync), the runtime does not send b.messages and calls core.persist_failed(b)
//   instead of advance(b), after making its store durably end where it last synced (after a failed fsync
//   Linux marks the pages clean, so fsyncing again proves nothing); the next batch writes the same entries
//   (with truncate_from_index if the store still holds some of them) and the hard state again. A runtime
//   that cannot do that stops the node instead; the restarted core is built from what is durable.
//   A runtime may ignore the take_*() calls: what they would hand out then comes with the next batch.
//
// Why the split. What goes in `messages` (vote and pre-vote requests and responses, append and heartbeat
// acknowledgements, rejections) may promise that step 1 is durable: a vote response or an append
// acknowledgement that goes out before its hard state or entries are durable can be forgotten by a crash,
// and that breaks Raft (Config::unsafe_vote_before_persist demonstrates it). What goes in
// `messages_before_persist` (a leader's appends, heartbeats and TimeoutNow) promises nothing about this
// node's disk: a leader may send entries it has not written yet (Raft thesis 10.2.1), because it counts its
// own copy towards the commit only once advance() reports it durable (Config::unsafe_leader_counts_unwritten
// demonstrates what goes wrong otherwise). So the leader's fsync and its followers' fsyncs overlap, and a
// slow disk does not delay heartbeats.
//
// Apply apart from advance: committed_entries (and take_committed_entries()) only ever hold entries that an
// earlier batch made durable on this node, so applying them never waits for this batch's write, and advance()
// does not wait for applying: the core counts an entry as applied once it is handed out. The runtime applies
// them in index order, each exactly once per life of the core (after a restart, from Config::applied_index).
//
// If the node crashes before advance(), the batch is simply lost: the restarted core is built from whatever
// step 1 made durable (any prefix of the entries, in order, and the hard state only after them). Only
// messages_before_persist may have gone out, and no other node depends on this node's disk for those.
#pragma once

#include <optional>
#include <vector>

#include "broker/raft/raft_types.h"

namespace rmq::raft {

// Volatile state the runtime may want to react to (become master, redirect clients to the leader).
struct SoftState {
  Role role = Role::kFollower;
  NodeId leader_id = kNoNode;
  Term term = 0;

  bool operator==(const SoftState&) const = default;
};

// A follower the leader cannot replicate to because it needs entries below the leader's
// LogStorage::first_index() (deleted expired files). Reported once when it starts; Progress says it since.
struct FollowerNeedsDeletedEntries {
  NodeId follower = kNoNode;
  Index next_index = 0;   // the first entry the follower needs (its log ends at next_index - 1)
  Index first_index = 0;  // the first entry the leader still holds

  bool operator==(const FollowerNeedsDeletedEntries&) const = default;
};

struct Batch {
  // Step 0: may go out at once (a leader's appends, heartbeats and TimeoutNow).
  std::vector<Message> messages_before_persist;

  // Step 1: durable writes. truncate_from_index != 0 means the durable log holds entries at or after it that a
  // new leader replaced (or that a failed write left behind); it is always entries.front().index. Entries are
  // written before the hard state.
  Index truncate_from_index = 0;
  std::vector<Entry> entries;
  // Set when term, vote or commit index changed since the last batch. Term and vote must be durable before
  // step 2; the commit index may be persisted lazily (DLedger's `checkpoint`, every 3 s): an older value only
  // means that more entries are handed out for applying again after a restart. Never persist a commit index
  // above the last durable entry: a restart treats that as a log that lost committed entries and refuses.
  std::optional<HardState> hard_state;
  // Entries or term/vote to make durable before sending `messages`.
  bool must_sync = false;

  // Step 2: only after step 1 is durable.
  std::vector<Message> messages;

  // Entries known committed and not yet handed out, in index order. All of them are already durable on this
  // node (written by an earlier batch), so they may be applied at once (step 0).
  std::vector<Entry> committed_entries;
  Index commit_index = 0;

  SoftState soft_state;
  bool soft_state_changed = false;

  // Leader: followers that just started needing entries this node no longer holds (log it once; the state
  // lasts until the follower's disk is restored from a peer). See Progress::needs_deleted_entries().
  std::vector<FollowerNeedsDeletedEntries> followers_needing_deleted_entries;
};

}  // namespace rmq::raft
