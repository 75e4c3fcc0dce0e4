// The Raft safety properties (paper Figure 3), checked against everything the simulator observes.
//
// The checker keeps a history of every commit ever observed on any node: index -> the entry and the lowest
// term in which some node saw it committed. Against it, after every simulator step:
//  - Election Safety: at most one leader per term;
//  - Log Matching: two durable entries with the same index and term have the same content and the same
//    previous term (by induction, identical logs up to there);
//  - Leader Completeness: a new leader of term T holds every entry committed in a term below T;
//  - committed entries never change or disappear: whenever a node's commit index covers an index, its entry
//    there equals the history's, and entries a node applies equal the history's;
//  - commit indexes never go back within one life of a node, and a restart starts at or above the commit
//    index that was durable;
//  - the runtime's promise (batch.h): a granted vote goes out only once the vote is durable, and an append
//    acknowledgement only once the entries it acknowledges are (checked when the simulated runtime sends).
// The first violation is kept; the simulator stops there and prints it with its trace.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/raft/log_storage.h"
#include "broker/raft/raft_log.h"
#include "broker/raft/raft_types.h"

namespace rmq::raft::sim {

class SafetyChecker {
 public:
  const std::optional<std::string>& violation() const { return violation_; }
  void fail(std::string what) {
    if (!violation_) violation_ = std::move(what);
  }

  // A node was observed in `role` at `term` (after any step). Checks election safety and, the first time a
  // node leads a term, leader completeness against `log`.
  void observe_role(NodeId id, Role role, Term term, const RaftLog& log);
  // A node's commit index was observed moving from `from` (exclusive) to `to`, while the node was in `term`.
  void observe_commit(NodeId id, Term term, Index from, Index to, const RaftLog& log);
  // The runtime made `written` durable on the node whose durable log is now `disk`.
  void observe_durable_append(NodeId id, const std::vector<Entry>& written, const MemoryLogStorage& disk);
  // Node `id`, whose durable state is `disk`, sends `m` as a message that waits for persistence.
  void check_promise_durable(NodeId id, const Message& m, const MemoryLogStorage& disk);
  // The node handed `e` to its state machine.
  void observe_apply(NodeId id, const Entry& e);
  // Every durable log, up to its durable commit index, against the history (end of run).
  void check_durable_log(NodeId id, const MemoryLogStorage& disk);

  std::size_t committed_count() const { return history_.size(); }
  std::size_t leader_terms() const { return leaders_.size(); }

 private:
  struct Committed {
    Entry entry;
    Term first_seen_in_term = 0;
  };
  void check_committed(NodeId id, Term term, const Entry& e, const char* how);

  std::optional<std::string> violation_;
  std::map<Term, NodeId> leaders_;
  std::vector<Committed> history_;  // history_[i] is index i + 1; committed indexes form a prefix
  struct DurableKey {
    Index index;
    Term term;
    bool operator<(const DurableKey& o) const { return index != o.index ? index < o.index : term < o.term; }
  };
  struct DurableValue {
    Term prev_term;
    EntryType type;
    Bytes data;
  };
  std::map<DurableKey, DurableValue> durable_;
};

}  // namespace rmq::raft::sim
