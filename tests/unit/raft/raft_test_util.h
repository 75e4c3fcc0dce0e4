// Helpers for driving Raft cores by hand in unit tests: a node is a core over a MemoryLogStorage, and a
// TestCluster delivers messages between nodes synchronously, with per-link cuts. Persistence is immediate:
// draining a node writes its batch to storage, collects its messages (those that may go before the write
// first) and calls advance().
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/raft/raft_core.h"

namespace rmq::raft::testing {

inline Config make_config(NodeId id, std::vector<NodeId> voters, bool pre_vote = false,
                          bool check_quorum = false) {
  Config c;
  c.id = id;
  c.voters = std::move(voters);
  c.election_timeout_ticks = 10;
  c.heartbeat_interval_ticks = 1;
  c.seed = 42;
  c.pre_vote = pre_vote;
  c.check_quorum = check_quorum;
  return c;
}

inline Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

inline Entry entry(Index index, Term term, const std::string& data = "") {
  return Entry{index, term, EntryType::kNormal, bytes_of(data)};
}

// Writes a batch the way a runtime does: entries (with truncation), hard state.
inline void persist(MemoryLogStorage& storage, const Batch& b) {
  storage.append(b.entries);
  if (b.hard_state) storage.set_hard_state(*b.hard_state);
}

struct TestNode {
  std::unique_ptr<MemoryLogStorage> storage = std::make_unique<MemoryLogStorage>();
  std::unique_ptr<RaftCore> core;
  std::vector<Entry> applied;

  // Handles every pending batch; returns the messages it produced.
  std::vector<Message> drain() {
    std::vector<Message> out;
    while (core->has_ready()) {
      Batch b = core->ready();
      for (Message& m : b.messages_before_persist) out.push_back(std::move(m));
      persist(*storage, b);
      for (Message& m : b.messages) out.push_back(std::move(m));
      for (const Entry& e : b.committed_entries) applied.push_back(e);
      core->advance(b);
    }
    return out;
  }
};

// A node whose storage already holds `log` and `hs`, e.g. to set up a scenario from the paper.
inline TestNode make_node(const Config& config, const std::vector<Entry>& log = {}, HardState hs = {}) {
  TestNode n;
  n.storage->append(log);
  n.storage->set_hard_state(hs);
  n.core = std::make_unique<RaftCore>(config, *n.storage);
  return n;
}

class TestCluster {
 public:
  explicit TestCluster(std::size_t size, bool pre_vote = false, bool check_quorum = false) {
    for (NodeId id = 1; id <= size; ++id) ids_.push_back(id);
    for (NodeId id : ids_) {
      Config c = make_config(id, ids_, pre_vote, check_quorum);
      c.seed = 1000 + id;
      configs_[id] = c;
      nodes_[id] = make_node(c);
    }
  }

  TestNode& node(NodeId id) { return nodes_.at(id); }
  RaftCore& core(NodeId id) { return *nodes_.at(id).core; }
  const std::vector<NodeId>& ids() const { return ids_; }
  Config& config(NodeId id) { return configs_.at(id); }

  void cut(NodeId a, NodeId b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void isolate(NodeId a) {
    for (NodeId b : ids_) {
      if (a != b) cut(a, b);
    }
  }
  void heal() { cut_.clear(); }
  // Drops every message of this type (until allowed again).
  void drop_type(MessageType t) { dropped_types_.insert(t); }
  void allow_type(MessageType t) { dropped_types_.erase(t); }

  // Drops every message for which `keep` returns false (until cleared with an empty function).
  void set_filter(std::function<bool(const Message&)> keep) { filter_ = std::move(keep); }

  // Replaces a node by one whose storage holds `log` and `hs` (to set up a scenario from the paper).
  void reset_node(NodeId id, const std::vector<Entry>& log, HardState hs) {
    nodes_[id] = make_node(configs_.at(id), log, hs);
  }

  // Restarts a node from its storage (a crash that loses nothing that was made durable).
  void restart(NodeId id) {
    TestNode& n = nodes_.at(id);
    n.core.reset();
    n.applied.clear();
    n.core = std::make_unique<RaftCore>(configs_.at(id), *n.storage);
  }

  // Delivers messages until the network is quiet. Returns how many were delivered.
  std::size_t deliver_all(std::size_t max_rounds = 10000) {
    std::size_t delivered = 0;
    for (std::size_t round = 0; round < max_rounds; ++round) {
      std::vector<Message> in_flight;
      for (NodeId id : ids_) {
        for (Message& m : nodes_.at(id).drain()) in_flight.push_back(std::move(m));
      }
      if (in_flight.empty()) return delivered;
      for (const Message& m : in_flight) {
        if (cut_.count({m.from, m.to}) || dropped_types_.count(m.type)) continue;
        if (filter_ && !filter_(m)) continue;
        sent_.push_back(m);
        nodes_.at(m.to).core->step(m);
        ++delivered;
      }
    }
    ADD_FAILURE() << "network did not quiesce";
    return delivered;
  }

  void tick_all(int ticks = 1) {
    for (int i = 0; i < ticks; ++i) {
      for (NodeId id : ids_) core(id).tick();
      deliver_all();
    }
  }

  // Makes `id` leader by campaigning and delivering.
  void elect(NodeId id) {
    core(id).campaign();
    deliver_all();
    ASSERT_EQ(core(id).role(), Role::kLeader) << "node " << id << " did not win";
  }

  NodeId leader() const {
    NodeId found = kNoNode;
    for (const auto& [id, n] : nodes_) {
      if (n.core->role() == Role::kLeader) {
        if (found == kNoNode || n.core->term() > nodes_.at(found).core->term()) found = id;
      }
    }
    return found;
  }

  // Every message delivered so far, in order.
  const std::vector<Message>& sent() const { return sent_; }
  void clear_sent() { sent_.clear(); }

 private:
  std::vector<NodeId> ids_;
  std::map<NodeId, Config> configs_;
  std::map<NodeId, TestNode> nodes_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::set<MessageType> dropped_types_;
  std::function<bool(const Message&)> filter_;
  std::vector<Message> sent_;
};

// Messages of one type in a list.
inline std::vector<Message> of_type(const std::vector<Message>& msgs, MessageType t) {
  std::vector<Message> out;
  std::copy_if(msgs.begin(), msgs.end(), std::back_inserter(out), [t](const Message& m) { return m.type == t; });
  return out;
}

}  // namespace rmq::raft::testing
