// The values the Raft core exchanges with its runtime: log entries, the hard state that must survive a crash,
// and the messages nodes send each other.
//
// Indexes start at 1; index 0 with term 0 is the empty log's sentinel (the Raft paper's convention). DLedger
// numbers entries from 0, so the runtime that maps the core onto the DLedger entry store uses
// dledger_index = raft_index - 1. Terms start at 0 for a node that never voted or saw a leader.
//
// Message fields are shared between message types the way etcd's raftpb.Message shares them; the table on
// Message says which field means what for which type. A field a type does not use is left at its default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/common/bytes.h"

namespace rmq::raft {

using common::Bytes;

using NodeId = std::uint64_t;
using Term = std::uint64_t;
using Index = std::uint64_t;

// "No node": no vote cast, no leader known. Real node ids are never 0.
inline constexpr NodeId kNoNode = 0;

// kNoop is the entry every new leader appends at the start of its term (Raft paper section 8), so that entries
// of earlier terms get committed by the current-term rule. The runtime turns its empty body into a valid
// commitlog record on a reserved system topic before it writes it, so the store stays readable by the Java
// broker; the core never looks inside data.
enum class EntryType : std::uint8_t { kNormal = 0, kNoop = 1 };

struct Entry {
  Index index = 0;
  Term term = 0;
  EntryType type = EntryType::kNormal;
  Bytes data;

  bool operator==(const Entry&) const = default;
};

// What flow control counts for an entry: the payload plus a fixed header, so that a stream of empty entries
// is bounded too. 48 is the DLedger entry header (storage.md 5.2).
inline constexpr std::size_t kEntryHeaderBytes = 48;
inline std::size_t entry_size_bytes(const Entry& e) { return kEntryHeaderBytes + e.data.size(); }

// The state that must be durable before the node acts on it (Raft Figure 2 "persistent state"), plus the
// commit index, which may be persisted lazily: the core never lowers the commit index below the one it was
// restarted with, so persisting an older value is safe and persisting none (0) is too.
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;       // the candidate voted for in `term`, or kNoNode
  Index commit_index = 0;

  bool operator==(const HardState&) const = default;
};

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };

enum class MessageType : std::uint8_t {
  kAppend,             // AppendEntries request; with no entries it still carries the commit index
  kAppendResponse,
  kHeartbeat,          // leader liveness and commit index; no log check
  kHeartbeatResponse,
  kVote,               // RequestVote
  kVoteResponse,
  kPreVote,            // "would you vote for me in term+1?"; changes no term and no vote
  kPreVoteResponse,
  kTimeoutNow,         // leadership transfer: "start an election now, skipping pre-vote"
};

// Field use per type ("-" = unused):
//
//  type              term             log_term          log_index        commit_index   entries  reject / hints
//  Append            leader's term    prev entry term   prev entry index leader commit  entries  -
//  AppendResponse    follower's term  -                 success: last index matched      -       reject=true on a
//                                                       reject: the rejected prev index          log mismatch;
//                                                                                                hint_index and
//                                                                                                hint_term (below)
//  Heartbeat         leader's term    -                 -                min(match, commit) -    -
//  HeartbeatResponse follower's term  -                 -                -              -        -
//  Vote / PreVote    candidate term   last log term     last log index   -              -        transfer
//                    (PreVote: the term it would campaign in)
//  Vote/PreVoteResp  granted: the request's term; rejected: the voter's term               reject
//  TimeoutNow        leader's term    -                 -                -              -        -
//
// Reject hints on AppendResponse: if the follower's log is shorter than the prev index, hint_term = 0 and
// hint_index = its last index + 1. Otherwise hint_term = the term of its entry at the prev index and
// hint_index = the first index (above its commit index) holding that term. The leader then skips a whole term
// per round trip instead of one entry.
struct Message {
  MessageType type = MessageType::kAppend;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Term log_term = 0;
  Index log_index = 0;
  Index commit_index = 0;
  std::vector<Entry> entries;
  bool reject = false;
  Index hint_index = 0;
  Term hint_term = 0;
  // Vote and PreVote sent because of TimeoutNow: voters answer even inside their leader lease.
  bool transfer = false;

  bool operator==(const Message&) const = default;
};

const char* to_string(Role role);
const char* to_string(MessageType type);
const char* to_string(EntryType type);
// One line for traces and test failures, e.g. "Append 1->2 t3 prev=(5,2) commit=4 entries=[6..8]".
std::string describe(const Message& m);

}  // namespace rmq::raft
