// Configuration of one Raft core.
//
// Time is counted in ticks: the runtime calls RaftCore::tick() at a fixed interval of its choosing (DLedger's
// state thread ticks every 10 ms), so every timeout here is a number of ticks, never milliseconds. The
// election timeout is randomized per election in [election_timeout_ticks, 2 * election_timeout_ticks) from
// `seed`; the runtime passes a different seed per node and per start (the simulator derives it from its seed).
//
// The three `unsafe_` switches break Raft on purpose. They exist only so that tests can prove the simulator
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
  // preferredLeaderId: while it is an active follower that keeps up (it holds everything committed), the
  // leader hands leadership to it. A transfer that times out is retried at once if the preferred node caught up
  // part of the way, otherwise after preferred_leader_retry_ticks (so a preferred node that cannot take over does
  // not keep the group refusing proposals).
  NodeId preferred_leader_id = kNoNode;
  std::uint32_t preferred_leader_retry_ticks = 0;  // 0: 5 x election_timeout_ticks
  // A leadership transfer refuses proposals, brings the transferee up to the leader's last index, sends it
  // TimeoutNow (again every heartbeat until it takes over) and gives up once the transferee made no progress
  // for this many ticks, or after 4 times this many in all (so proposals are refused for a bounded time).
  std::uint32_t transfer_timeout_ticks = 0;  // 0: election_timeout_ticks

  // Flow control, per follower. An append message carries at most max_append_bytes of entries (at least one
  // entry, however large). At most max_inflight_msgs appends are unacknowledged at a time, and a new one is sent
  // only while the unacknowledged bytes are below max_inflight_bytes, so the leader's memory and the network
  // queue for a slow follower stay below max_inflight_bytes + max_append_bytes.
  std::size_t max_append_bytes = 1 << 20;
  std::size_t max_inflight_msgs = 256;
  std::size_t max_inflight_bytes = 32u << 20;
  // Proposals are refused (kTooManyUncommitted) while the leader's uncommitted entries would exceed this many
  // bytes (0: no limit, which lets a leader whose followers are gone grow without bound); a single proposal
  // larger than this is still accepted when nothing else is uncommitted. The DLedger counterpart is
  // LEADER_PENDING_FULL (maxPendingRequestsNum = 10000 requests; 64 MiB is that many 6.5 KiB messages).
  std::size_t max_uncommitted_bytes = 64u << 20;
  // Committed entries handed to the runtime per batch, in bytes (at least one entry).
  std::size_t max_apply_bytes = 64u << 20;

  // The last index the runtime's state machine has applied; on restart only later entries are handed out
  // (and never entries below LogStorage::first_index(), which no longer exist).
  Index applied_index = 0;

  // Test-only, see above. unsafe_count_previous_term_replicas commits an entry of an earlier term as soon as a
  // majority holds it (what DLedger 0.3.1.2 does, storage.md 8.8 item 6; Raft paper Figure 8 shows why that
  // loses committed entries). unsafe_vote_before_persist leaves the vote out of the hard state handed to the
  // runtime, so vote responses go out without the vote being durable and a restart forgets it.
  // unsafe_leader_counts_unwritten makes the leader count its own entries towards the commit as soon as it
  // appends them, before the runtime reports them durable; since its appends go out before its own write
  // (Batch::messages_before_persist), an entry can then be committed with fewer durable copies than a
  // majority, and a leader crash loses it.
  bool unsafe_count_previous_term_replicas = false;
  bool unsafe_vote_before_persist = false;
  bool unsafe_leader_counts_unwritten = false;
  bool allow_unsafe_for_tests = false;

  // Empty when the configuration is usable, otherwise what is wrong with it.
  std::string validate() const;
};

}  // namespace rmq::raft
