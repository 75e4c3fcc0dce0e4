#include "tests/sim/safety_checker.h"

#include <string>

namespace rmq::raft::sim {
namespace {

std::string show(const Entry& e) {
  return std::to_string(e.index) + "@t" + std::to_string(e.term) + "(" + to_string(e.type) + "," +
         std::to_string(e.data.size()) + "B)";
}

}  // namespace

void SafetyChecker::observe_role(NodeId id, Role role, Term term, const RaftLog& log) {
  if (role != Role::kLeader) return;
  auto [it, inserted] = leaders_.emplace(term, id);
  if (!inserted) {
    if (it->second != id) {
      fail("election safety: nodes " + std::to_string(it->second) + " and " + std::to_string(id) +
           " both leader in term " + std::to_string(term));
    }
    return;
  }
  // Leader completeness, checked when the node is first seen leading this term.
  for (const Committed& c : history_) {
    if (c.first_seen_in_term >= term) continue;
    const std::optional<Term> t = log.maybe_term(c.entry.index);
    if (!t || *t != c.entry.term) {
      fail("leader completeness: node " + std::to_string(id) + " leads term " + std::to_string(term) +
           " without committed entry " + show(c.entry) + " (committed in term " +
           std::to_string(c.first_seen_in_term) + "); it has " + (t ? "term " + std::to_string(*t) : "no entry"));
      return;
    }
  }
}

void SafetyChecker::check_committed(NodeId id, Term term, const Entry& e, const char* how) {
  if (e.index == 0) {
    fail("node " + std::to_string(id) + " " + how + " index 0");
    return;
  }
  if (e.index <= history_.size()) {
    const Entry& known = history_[e.index - 1].entry;
    if (known != e) {
      fail("committed entry changed: node " + std::to_string(id) + " " + how + " " + show(e) + " but " +
           show(known) + " was committed there before");
    }
    return;
  }
  if (e.index != history_.size() + 1) {
    fail("node " + std::to_string(id) + " " + how + " " + show(e) + " past the committed prefix " +
         std::to_string(history_.size()));
    return;
  }
  history_.push_back({e, term});
}

void SafetyChecker::observe_commit(NodeId id, Term term, Index from, Index to, const RaftLog& log) {
  if (to < from) {
    fail("commit index of node " + std::to_string(id) + " went back from " + std::to_string(from) + " to " +
         std::to_string(to));
    return;
  }
  if (to == from) return;
  for (const Entry& e : log.entries(from + 1, to + 1, static_cast<std::size_t>(-1))) {
    check_committed(id, term, e, "committed");
    if (violation_) return;
  }
  // Seen in an earlier term by another node: keep the lowest.
  for (Index i = from + 1; i <= to && i <= history_.size(); ++i) {
    Committed& c = history_[i - 1];
    if (term < c.first_seen_in_term) c.first_seen_in_term = term;
  }
}

void SafetyChecker::observe_durable_append(NodeId id, const std::vector<Entry>& written,
                                           const MemoryLogStorage& disk) {
  for (const Entry& e : written) {
    const Term prev_term = disk.term(e.index - 1);
    auto [it, inserted] = durable_.emplace(DurableKey{e.index, e.term}, DurableValue{prev_term, e.type, e.data});
    if (!inserted && (it->second.prev_term != prev_term || it->second.type != e.type || it->second.data != e.data)) {
      fail("log matching: node " + std::to_string(id) + " holds " + show(e) + " after term " +
           std::to_string(prev_term) + ", another node holds a different entry with the same index and term");
      return;
    }
  }
}

void SafetyChecker::check_promise_durable(NodeId id, const Message& m, const MemoryLogStorage& disk) {
  const HardState hs = disk.hard_state();
  if (m.type == MessageType::kVoteResponse && !m.reject) {
    if (hs.term < m.term || (hs.term == m.term && hs.vote != m.to)) {
      fail("node " + std::to_string(id) + " grants its vote in term " + std::to_string(m.term) + " to " +
           std::to_string(m.to) + " while its durable term is " + std::to_string(hs.term) + " and vote " +
           std::to_string(hs.vote));
    }
  } else if (m.type == MessageType::kAppendResponse && !m.reject) {
    if (disk.last_index() < m.log_index) {
      fail("node " + std::to_string(id) + " acknowledges entries up to " + std::to_string(m.log_index) +
           " while its durable log ends at " + std::to_string(disk.last_index()));
    }
  }
}

void SafetyChecker::observe_apply(NodeId id, const Entry& e) {
  if (e.index > history_.size()) {
    fail("node " + std::to_string(id) + " applied " + show(e) + " that no node was seen committing");
    return;
  }
  check_committed(id, 0, e, "applied");
}

void SafetyChecker::check_durable_log(NodeId id, const MemoryLogStorage& disk) {
  const Index commit = std::min<Index>(disk.hard_state().commit_index, disk.last_index());
  for (Index i = 1; i <= commit; ++i) {
    if (i > history_.size()) {
      fail("node " + std::to_string(id) + " has durable commit index " + std::to_string(commit) +
           " past anything seen committed");
      return;
    }
    if (disk.all()[i - 1] != history_[i - 1].entry) {
      fail("durable log of node " + std::to_string(id) + " differs from the committed history at " +
           std::to_string(i));
      return;
    }
  }
}

}  // namespace rmq::raft::sim
