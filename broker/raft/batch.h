// The core's output: everything one round of the runtime loop must do, in order (etcd raft's Ready).
//
// The runtime loop is:
//   if (core.has_ready()) {
//     Batch b = core.ready();
//     1. write: if (b.truncate_from_index) discard durable entries >= it; append b.entries; write b.hard_state;
//        if (b.must_sync) make all of it durable (fsync file and directory) now;
//     2. send b.messages;
//     3. apply b.committed_entries in order;
//     4. core.advance(b);
//   }
// Nothing in step 2 may happen before step 1 is durable: a vote response or an append acknowledgement that
// goes out before its hard state or entries are durable can be forgotten by a crash, and that breaks Raft
// (Config::unsafe_vote_before_persist demonstrates it). Between ready() and advance() the runtime may keep
// calling tick(), step() and propose() (persistence can be asynchronous); the next ready() waits for advance().
//
// If the node crashes before advance(), the batch is simply lost: the restarted core is built from whatever
// step 1 made durable, and since nothing was sent before that, no other node depends on the rest.
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

struct Batch {
  // Step 1: durable writes. truncate_from_index != 0 means the durable log holds entries at or after it that a
  // new leader replaced; it is always entries.front().index. Entries are written before the hard state.
  Index truncate_from_index = 0;
  std::vector<Entry> entries;
  // Set when term, vote or commit index changed since the last batch. Term and vote must be durable before
  // step 2; the commit index may be persisted lazily (DLedger's `checkpoint`, every 3 s): an older value only
  // means that more entries are handed out for applying again after a restart.
  std::optional<HardState> hard_state;
  // Entries or term/vote to make durable before sending.
  bool must_sync = false;

  // Step 2.
  std::vector<Message> messages;

  // Step 3: entries known committed and not yet handed out, in index order. They are durable once step 1 is.
  std::vector<Entry> committed_entries;
  Index commit_index = 0;

  SoftState soft_state;
  bool soft_state_changed = false;
};

}  // namespace rmq::raft
