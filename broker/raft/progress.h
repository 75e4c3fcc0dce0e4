// What a leader knows about one follower: how much of its log matches, where to send from next, and how
// fast it may send (the flow-control state machine of etcd raft's tracker.Progress).
//
//  - kProbe: the leader does not know where the follower's log diverges. It sends one append at a time and
//    waits for the answer (or a heartbeat response) before the next, moving next_index back on each rejection.
//  - kReplicate: the follower accepted an append, so its log matches up to match_index. The leader streams
//    appends optimistically (next_index runs ahead of match_index), bounded by the Inflights window.
//
// A follower whose next entry is below the leader's first index (the leader deleted it with an expired file)
// cannot be replicated to at all: needs_deleted_entries() says so, nothing is sent but heartbeats, and the
// leader reports it once (Batch::followers_needing_deleted_entries) instead of probing in a loop.
//
// A rejection in kReplicate drops back to kProbe. All of this is volatile leader state (Raft Figure 2):
// a new leader starts every follower in kProbe with next_index = its last index + 1 and match_index = 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "broker/raft/inflights.h"
#include "broker/raft/raft_types.h"

namespace rmq::raft {

class Progress {
 public:
  enum class State : std::uint8_t { kProbe, kReplicate };

  Progress(Index next_index, std::size_t max_inflight_msgs, std::size_t max_inflight_bytes)
      : next_index_(next_index), inflights_(max_inflight_msgs, max_inflight_bytes) {}

  State state() const { return state_; }
  Index match_index() const { return match_index_; }
  Index next_index() const { return next_index_; }
  const Inflights& inflights() const { return inflights_; }
  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool active) { recent_active_ = active; }
  // The follower needs entries below the leader's first index; see above. Cleared once an append can be sent.
  bool needs_deleted_entries() const { return needs_deleted_entries_; }
  void set_needs_deleted_entries(bool needs) { needs_deleted_entries_ = needs; }

  // Whether the leader must hold further appends back: in kProbe after one was sent and not yet answered, in
  // kReplicate while the in-flight window is full.
  bool paused() const;

  void become_probe();
  void become_replicate();

  // The leader sent an append ending at `last_index` with `entry_count` entries of `size_bytes` in total.
  void on_append_sent(Index last_index, std::size_t entry_count, std::size_t size_bytes);
  // The follower acknowledged its log matches up to `index` (freeing in-flight messages up to it). False if
  // the acknowledgement is stale.
  bool maybe_update(Index index);
  // The follower rejected the append whose previous index was `rejected`; `next_probe` is where the leader's
  // hint lookup says to try next. False if the rejection is stale (answers an append no longer relevant).
  bool maybe_decrease_to(Index rejected, Index next_probe);
  // A heartbeat response arrived: the follower is alive, so a probe whose answer was lost may be resent.
  void on_heartbeat_response() { probe_sent_ = false; }
  // Called once per election timeout on the leader. A window that stayed full without any acknowledgement for
  // that long has lost messages (or their answers): fall back to probing from match_index + 1. Returns whether
  // it did. This, not freeing window slots on heartbeats, is what keeps the window a hard bound.
  bool check_stalled();
  // For the leader's own entry: it counts itself only up to what is durable.
  void set_match_for_self(Index durable_index);

 private:
  State state_ = State::kProbe;
  Index match_index_ = 0;
  Index next_index_;
  bool probe_sent_ = false;
  bool recent_active_ = false;
  bool acked_since_check_ = false;
  bool needs_deleted_entries_ = false;
  Inflights inflights_;
};

}  // namespace rmq::raft
