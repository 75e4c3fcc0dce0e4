// Configuration of one Raft core.
//
// Time is counted in ticks: the runtime calls RaftCore::tick() at a fixed interval of its choosing (DLedger's
// state thread ticks every 10 ms), so every timeout here is a number of ticks, never milliseconds. The
// election timeout is randomized per election in [election_timeout_ticks, 2 * election_timeout_ticks) from
// `seed`; the runtime passes a different seed per node and per start (the simulator derives it from its seed).
//
// The two `unsafe_` switches break Raft on purpose. They exist only so that tests can prove the simulator
// detects real safety bugs ("the broken build"); a runtime must never set them, and validate() refuses them
// unless `allow_unsafe_for_tests` is set too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/raft/raft_types.h"

namespace rmq::raft {

struct Config {
  NodeId id = kNoNode;
  // Every voting member, this node included. Membership changes are not supported: the group is fixed.
  std::vector<NodeId> voters;

  // A follower that hears nothing from a leader for a randomized [T, 2T) ticks starts an election.
  std::uint32_t election_timeout_ticks = 10;
  // A leader sends heartbeats this often. Must be below the election timeout.
  std::uint32_t heartbeat_interval_ticks = 1;
  // Seeds the randomized election timeout (mixed with `id`, so equal seeds on different nodes still differ).
  std::uint64_t seed = 0;

  // Pre-vote (Raft thesis 9.6): a node first asks whether it could win before it raises its term, so a node
  // that was cut off does not disrupt the group when it comes back.
  bool pre_vote = true;
  // A leader that has not heard from a majority within an election timeout steps down; followers that heard
  // from a leader within the election timeout ignore (pre-)votes (the leader lease, thesis 4.2.3).
  bool check_quorum = true;
  // preferredLeaderId: while it is a caught-up, active follower, the leader hands leadership to it.
  NodeId preferred_leader_id = kNoNode;

  // Flow control, per follower. An append message carries at most max_append_bytes of entries (at least one
  // entry, however large). At most max_inflight_msgs appends are unacknowledged at a time, and a new one is sent
  // only while the unacknowledged bytes are below max_inflight_bytes, so the leader's memory and the network
  // queue for a slow follower stay below max_inflight_bytes + max_append_bytes.
  std::size_t max_append_bytes = 1 << 20;
  std::size_t max_inflight_msgs = 256;
  std::size_t max_inflight_bytes = 32u << 20;
  // Proposals are refused while the leader's uncommitted entries exceed this many bytes (0: no limit); the
  // DLedger counterpart is LEADER_PENDING_FULL.
  std::size_t max_uncommitted_bytes = 0;
  // Committed entries handed to the runtime per batch, in bytes (at least one entry).
  std::size_t max_apply_bytes = 64u << 20;

  // The last index the runtime's state machine has applied; on restart only later entries are handed out.
  Index applied_index = 0;

  // Test-only, see above. unsafe_count_previous_term_replicas commits an entry of an earlier term as soon as a
  // majority holds it (what DLedger 0.3.1.2 does, storage.md 8.8 item 6; Raft paper Figure 8 shows why that
  // loses committed entries). unsafe_vote_before_persist leaves the vote out of the hard state handed to the
  // runtime, so vote responses go out without the vote being durable and a restart forgets it.
  bool unsafe_count_previous_term_replicas = false;
  bool unsafe_vote_before_persist = false;
  bool allow_unsafe_for_tests = false;

  // Empty when the configuration is usable, otherwise what is wrong with it.
  std::string validate() const;
};

}  // namespace rmq::raft
