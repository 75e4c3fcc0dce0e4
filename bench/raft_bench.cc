// Proposals per second through a 3-node group of Raft cores, in memory: no I/O, no network, no threads.
// This measures the core alone (log bookkeeping, flow control, message building, commit counting, entry
// copies), the ceiling the runtime around it can reach.
//
// Each iteration the leader takes `batch` proposals (one propose() call per entry, or one propose_many()),
// then the cluster runs until every message is delivered and the batch is committed and applied on the
// leader. items_per_second is committed proposals per second; bytes_per_second counts their payload.
//
//   build-raft/raft_bench
//   build-raft/raft_bench --benchmark_filter=ProposeMany
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "broker/raft/raft_core.h"

namespace {

using rmq::raft::Batch;
using rmq::raft::Bytes;
using rmq::raft::Config;
using rmq::raft::MemoryLogStorage;
using rmq::raft::Message;
using rmq::raft::NodeId;
using rmq::raft::RaftCore;
using rmq::raft::Role;

class InMemoryCluster {
 public:
  InMemoryCluster() {
    const std::vector<NodeId> ids = {1, 2, 3};
    for (NodeId id : ids) {
      Config c;
      c.id = id;
      c.voters = ids;
      c.seed = id;
      c.max_inflight_msgs = 256;
      c.max_append_bytes = 1 << 20;
      nodes_.push_back(std::make_unique<Node>());
      nodes_.back()->core = std::make_unique<RaftCore>(c, nodes_.back()->storage);
    }
    leader().campaign();
    run();
    if (leader().role() != Role::kLeader) throw std::runtime_error("node 1 did not become leader");
  }

  RaftCore& leader() { return *nodes_[0]->core; }
  std::uint64_t applied_on_leader() const { return nodes_[0]->applied; }
  std::uint64_t log_size() const { return nodes_[0]->storage.last_index(); }

  // Runs the runtime loop on every node and delivers messages until the group is quiet.
  void run() {
    for (;;) {
      bool progress = false;
      for (auto& n : nodes_) {
        while (n->core->has_ready()) {
          progress = true;
          Batch b = n->core->ready();
          n->storage.append(b.entries);
          if (b.hard_state) n->storage.set_hard_state(*b.hard_state);
          for (Message& m : b.messages_before_persist) inbox_.push_back(std::move(m));
          for (Message& m : b.messages) inbox_.push_back(std::move(m));
          n->applied += b.committed_entries.size();
          n->core->advance(b);
        }
      }
      if (inbox_.empty() && !progress) return;
      std::vector<Message> deliver;
      deliver.swap(inbox_);
      for (const Message& m : deliver) nodes_[m.to - 1]->core->step(m);
    }
  }

 private:
  struct Node {
    MemoryLogStorage storage;
    std::unique_ptr<RaftCore> core;
    std::uint64_t applied = 0;
  };
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Message> inbox_;
};

// The in-memory log keeps every entry; start over before it grows past this many entries.
constexpr std::uint64_t kMaxLogEntries = 200'000;

template <bool kMany>
void run_proposals(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto payload_bytes = static_cast<std::size_t>(state.range(1));
  const Bytes payload(payload_bytes, 0x5A);
  auto cluster = std::make_unique<InMemoryCluster>();
  std::uint64_t committed = 0;
  for (auto _ : state) {
    if (cluster->log_size() > kMaxLogEntries) {
      state.PauseTiming();
      cluster = std::make_unique<InMemoryCluster>();
      state.ResumeTiming();
    }
    const std::uint64_t before = cluster->applied_on_leader();
    if constexpr (kMany) {
      cluster->leader().propose_many(std::vector<Bytes>(batch, payload));
    } else {
      for (std::size_t i = 0; i < batch; ++i) cluster->leader().propose(payload);
    }
    cluster->run();
    const std::uint64_t done = cluster->applied_on_leader() - before;
    if (done < batch) state.SkipWithError("a batch did not commit");
    committed += done;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(committed));
  state.SetBytesProcessed(static_cast<std::int64_t>(committed * payload_bytes));
}

void BM_Propose(benchmark::State& state) { run_proposals<false>(state); }
void BM_ProposeMany(benchmark::State& state) { run_proposals<true>(state); }

// Arguments: proposals per round, payload bytes.
BENCHMARK(BM_Propose)->ArgsProduct({{1, 8, 64, 256}, {128, 1024}});
BENCHMARK(BM_ProposeMany)->ArgsProduct({{1, 8, 64, 256}, {128, 1024}});

}  // namespace

BENCHMARK_MAIN();
