#include "tests/sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/raft/raft_core.h"
#include "tests/sim/safety_checker.h"
#include "tests/sim/sim_network.h"

namespace rmq::raft::sim {
namespace {

constexpr std::int64_t kTickMs = 10;
constexpr std::uint32_t kElectionTimeoutTicks = 10;
constexpr std::uint32_t kHeartbeatTicks = 2;
constexpr std::int64_t kFaultPhaseMs = 10000;
// After the heal: a few election rounds (each at most 2 election timeouts plus pre-vote) and catch-up.
constexpr std::int64_t kConvergeBoundMs = 8000;
constexpr std::int64_t kLivenessCheckEveryMs = 20;
// After convergence, a leadership transfer under client load must complete within this time. The target may
// first have to catch up a backlog (with one-entry appends that takes seconds), hence more than a few timeouts.
constexpr std::int64_t kTransferBoundMs = 5000;
constexpr std::size_t kTraceSteps = 50;

enum class EventKind : std::uint8_t {
  kTick, kDeliver, kPersisted, kPropose, kPartition, kCrash, kRestart, kTransfer, kHeal, kCheckLiveness, kPause,
  kCheckTransfer,
};

struct Event {
  std::int64_t time_ms = 0;
  std::uint64_t seq = 0;
  EventKind kind = EventKind::kTick;
  NodeId node = kNoNode;
  std::uint64_t aux = 0;
  Message msg;
};

struct EventLater {
  bool operator()(const Event& a, const Event& b) const {
    return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.seq > b.seq;
  }
};

enum class TraceKind : std::uint8_t {
  kDeliver, kPropose, kPersist, kRole, kCrash, kRestart, kPartition, kHeal, kTransfer, kNote, kFsyncFailed, kPause,
};

// One step of the trace, kept compact and formatted only when a run fails (or in verbose mode).
struct TraceRec {
  std::int64_t time_ms = 0;
  TraceKind kind = TraceKind::kNote;
  NodeId node = kNoNode;
  Message header;  // without entries
  Index first = 0, last = 0;
  std::uint64_t a = 0, b = 0, c = 0;
  std::string note;
};

struct Node {
  NodeId id = kNoNode;
  bool up = true;
  std::uint64_t life = 0;
  std::unique_ptr<MemoryLogStorage> disk = std::make_unique<MemoryLogStorage>();
  std::unique_ptr<RaftCore> core;
  bool persisting = false;
  Batch pending;
  // Paused (SIGSTOP) until this time: nothing runs, messages and completed writes wait for it.
  std::int64_t paused_until_ms = 0;
  // This node's clock: one tick every tick_ms of simulated time (clock drift when it differs between nodes).
  std::int64_t tick_ms = kTickMs;
  // What the simulator last observed of the core, to see changes.
  Index last_commit = 0;
  Role last_role = Role::kFollower;
  Term last_term = 0;
  Index next_apply = 1;
  NodeId last_transferee = kNoNode;
};

struct Proposal {
  NodeId node;
  std::uint64_t life;
  Index index;
  Term term;
};

struct Acked {
  std::uint64_t id;
  Index index;
  Term term;
};

class Simulator {
 public:
  Simulator(const Scenario& scenario, bool verbose);
  SimResult run();

 private:
  // --- setup
  Config node_config(NodeId id);
  void draw_parameters();

  // --- events
  void schedule(std::int64_t at_ms, EventKind kind, NodeId node = kNoNode, std::uint64_t aux = 0,
                Message msg = {});
  void handle(Event& e);
  void on_tick(NodeId id);
  void on_deliver(Event& e);
  void on_persisted(NodeId id, std::uint64_t life);
  void on_propose();
  void on_partition();
  void on_crash();
  void on_restart(NodeId id, std::uint64_t life);
  void on_transfer();
  void on_heal();
  void on_check_liveness();
  void on_pause();
  void start_transfer_check();
  void on_check_transfer();
  // A node-specific event that arrives while its node is paused waits until the pause ends.
  bool defer_if_paused(Event& e);

  // --- the runtime loop of one node
  void after_input(Node& n);
  void pump(Node& n);
  void send_all(Node& n, const std::vector<Message>& msgs, bool after_persist);
  void apply(Node& n, const std::vector<Entry>& entries);
  void complete_batch(Node& n, Batch& b);
  void fail_batch(Node& n, Batch& b);
  void crash(Node& n);
  void restart(Node& n);
  template <typename F>
  void guard(Node& n, F&& f);

  // --- helpers
  Node& node(NodeId id) { return nodes_.at(id - 1); }
  NodeId leader() const;
  NodeId random_node() { return static_cast<NodeId>(rand_.uniform(ids_.size()) + 1); }
  std::int64_t uniform_ms(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rand_.uniform(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  std::optional<std::string> liveness_gap() const;
  void trace(TraceRec r);
  std::string format(const TraceRec& r) const;
  std::string report(const std::string& violation) const;

  Scenario scenario_;
  bool verbose_;
  Rand rand_;
  std::vector<Node> nodes_;
  std::vector<NodeId> ids_;
  SimNetwork network_;
  SafetyChecker checker_;
  std::vector<Event> queue_;
  std::uint64_t next_seq_ = 0;
  std::int64_t now_ms_ = 0;
  bool healed_ = false;
  // The transfer check after convergence: its target, the term it started in, when it started, whether done.
  NodeId transfer_target_ = kNoNode;
  Term transfer_from_term_ = 0;
  std::int64_t transfer_start_ms_ = -1;
  bool transfer_done_ = false;
  bool done_ = false;
  std::int64_t heal_ms_ = 0;
  std::optional<std::string> liveness_failure_;

  // Drawn per run from the seed.
  std::int64_t persist_min_ms_ = 0, persist_max_ms_ = 3, slow_persist_ms_ = 40;
  double slow_persist_probability_ = 0.02;
  double checkpoint_probability_ = 0.5;
  std::int64_t propose_every_max_ms_ = 20;
  std::size_t max_append_bytes_ = 1 << 20;
  std::size_t max_inflight_msgs_ = 64;
  std::size_t max_inflight_bytes_ = 1 << 20;
  std::size_t max_uncommitted_bytes_ = 0;
  NodeId preferred_leader_ = kNoNode;
  double fsync_failure_probability_ = 0;
  double partial_persist_probability_ = 0;
  double long_partition_probability_ = 0;
  bool pauses_ = false;

  std::uint64_t next_proposal_id_ = 1;
  std::map<std::uint64_t, Proposal> pending_;
  std::vector<Acked> acked_;
  std::deque<TraceRec> trace_;
  SimStats stats_;
};

Simulator::Simulator(const Scenario& scenario, bool verbose)
    : scenario_(scenario),
      verbose_(verbose),
      rand_(scenario.seed * 0x2545F4914F6CDD1Dull + 0x9E3779B97F4A7C15ull),
      network_({}, {}) {
  for (int i = 1; i <= scenario_.nodes; ++i) ids_.push_back(static_cast<NodeId>(i));
  network_ = SimNetwork(ids_, {});
  draw_parameters();
  nodes_.resize(ids_.size());
  for (NodeId id : ids_) {
    Node& n = node(id);
    n.id = id;
    n.core = std::make_unique<RaftCore>(node_config(id), *n.disk);
    // Clock drift: each node's ticks run up to 30% fast or 40% slow (election timeouts and leases differ).
    if (pauses_ && rand_.chance(0.7)) n.tick_ms = uniform_ms(7, 14);
  }
}

void Simulator::draw_parameters() {
  NetworkProfile p;
  p.drop_probability = 0.001 * static_cast<double>(rand_.uniform(80));
  p.duplicate_probability = 0.001 * static_cast<double>(rand_.uniform(40));
  p.min_delay_ms = 1;
  p.max_delay_ms = 1 + static_cast<std::int64_t>(rand_.uniform(8));
  p.long_delay_probability = 0.001 * static_cast<double>(rand_.uniform(40));
  p.long_delay_max_ms = 150;
  network_.set_profile(p);
  persist_max_ms_ = static_cast<std::int64_t>(rand_.uniform(6));
  slow_persist_probability_ = 0.001 * static_cast<double>(rand_.uniform(100));
  checkpoint_probability_ = 0.1 * static_cast<double>(1 + rand_.uniform(10));
  propose_every_max_ms_ = 10 + static_cast<std::int64_t>(rand_.uniform(40));
  const std::size_t entry = kEntryHeaderBytes + 8;
  // Small appends (one or three entries) half the time: catching up then takes many round trips, which is
  // where flow control and commit counting are exercised hardest.
  const std::size_t append_choices[] = {1, 1, 3 * entry, 1 << 20};
  max_append_bytes_ = append_choices[rand_.uniform(4)];
  // Windows small enough to fill, but large enough that a follower's throughput stays above the clients'
  // (otherwise it falls behind without bound and no finite convergence time after the heal holds).
  const std::size_t inflight_choices[] = {4, 8, 64};
  max_inflight_msgs_ = max_append_bytes_ == 1 ? 8 + 56 * rand_.uniform(2) : inflight_choices[rand_.uniform(3)];
  max_inflight_bytes_ = rand_.chance(0.3) ? 8 * entry : (1 << 20);
  // Backpressure as in production (DLedger's maxPendingRequestsNum): a leader refuses proposals while too
  // much is uncommitted, so its followers cannot fall behind without bound.
  max_uncommitted_bytes_ = (32 + rand_.uniform(200)) * entry;
  if (scenario_.mix == FaultMix::kAll && rand_.chance(0.3)) preferred_leader_ = random_node();
  const bool crashes = scenario_.mix == FaultMix::kCrashes || scenario_.mix == FaultMix::kAll;
  const bool partitions = scenario_.mix == FaultMix::kPartitions || scenario_.mix == FaultMix::kAll;
  pauses_ = scenario_.mix == FaultMix::kPauses || scenario_.mix == FaultMix::kAll;
  // A failed fsync (the runtime reports the batch failed) and a crash in the middle of a batch's write.
  if (crashes) fsync_failure_probability_ = 0.001 * static_cast<double>(rand_.uniform(30));
  if (crashes) partial_persist_probability_ = 0.5;
  // Partitions that outlast many election timeouts (a minority that keeps (pre-)campaigning for seconds).
  if (partitions) long_partition_probability_ = 0.1 + 0.1 * static_cast<double>(rand_.uniform(3));
}

Config Simulator::node_config(NodeId id) {
  Config c;
  c.id = id;
  c.voters = ids_;
  c.election_timeout_ticks = kElectionTimeoutTicks;
  c.heartbeat_interval_ticks = kHeartbeatTicks;
  c.seed = rand_.next();
  c.pre_vote = true;
  c.check_quorum = true;
  c.preferred_leader_id = preferred_leader_;
  c.max_append_bytes = max_append_bytes_;
  c.max_inflight_msgs = max_inflight_msgs_;
  c.max_inflight_bytes = max_inflight_bytes_;
  c.max_uncommitted_bytes = max_uncommitted_bytes_;
  c.unsafe_count_previous_term_replicas = scenario_.unsafe_count_previous_term_replicas;
  c.unsafe_vote_before_persist = scenario_.unsafe_vote_before_persist;
  c.unsafe_leader_counts_unwritten = scenario_.unsafe_leader_counts_unwritten;
  c.allow_unsafe_for_tests = scenario_.any_unsafe();
  return c;
}

void Simulator::schedule(std::int64_t at_ms, EventKind kind, NodeId node_id, std::uint64_t aux, Message msg) {
  Event e;
  e.time_ms = at_ms;
  e.seq = next_seq_++;
  e.kind = kind;
  e.node = node_id;
  e.aux = aux;
  e.msg = std::move(msg);
  queue_.push_back(std::move(e));
  std::push_heap(queue_.begin(), queue_.end(), EventLater{});
}

SimResult Simulator::run() {
  for (NodeId id : ids_) schedule(uniform_ms(0, node(id).tick_ms - 1), EventKind::kTick, id);
  schedule(uniform_ms(0, propose_every_max_ms_), EventKind::kPropose);
  if (scenario_.mix == FaultMix::kPartitions || scenario_.mix == FaultMix::kAll) {
    schedule(uniform_ms(100, 800), EventKind::kPartition);
  }
  if (scenario_.mix == FaultMix::kCrashes || scenario_.mix == FaultMix::kAll) {
    schedule(uniform_ms(100, 600), EventKind::kCrash);
  }
  if (scenario_.mix == FaultMix::kAll) schedule(uniform_ms(300, 1500), EventKind::kTransfer);
  if (pauses_) schedule(uniform_ms(100, 1000), EventKind::kPause);
  schedule(kFaultPhaseMs, EventKind::kHeal);

  while (!queue_.empty() && !done_) {
    std::pop_heap(queue_.begin(), queue_.end(), EventLater{});
    Event e = std::move(queue_.back());
    queue_.pop_back();
    now_ms_ = e.time_ms;
    ++stats_.events;
    handle(e);
    if (checker_.violation() || liveness_failure_) break;
  }

  SimResult result;
  stats_.sim_time_ms = now_ms_;
  stats_.committed_entries = checker_.committed_count();
  stats_.leader_terms = checker_.leader_terms();
  stats_.proposals_acked = acked_.size();
  if (!checker_.violation() && !liveness_failure_) {
    for (const Node& n : nodes_) checker_.check_durable_log(n.id, *n.disk);
  }
  if (checker_.violation() || liveness_failure_) {
    result.ok = false;
    result.violation = checker_.violation() ? *checker_.violation() : *liveness_failure_;
    result.report = report(result.violation);
  } else if (!done_) {
    result.ok = false;
    result.violation = "the run ended without reaching the liveness check";
    result.report = report(result.violation);
  }
  result.stats = stats_;
  return result;
}

void Simulator::handle(Event& e) {
  if (defer_if_paused(e)) return;
  switch (e.kind) {
    case EventKind::kTick: on_tick(e.node); break;
    case EventKind::kDeliver: on_deliver(e); break;
    case EventKind::kPersisted: on_persisted(e.node, e.aux); break;
    case EventKind::kPropose: on_propose(); break;
    case EventKind::kPartition: on_partition(); break;
    case EventKind::kCrash: on_crash(); break;
    case EventKind::kRestart: on_restart(e.node, e.aux); break;
    case EventKind::kTransfer: on_transfer(); break;
    case EventKind::kHeal: on_heal(); break;
    case EventKind::kCheckLiveness: on_check_liveness(); break;
    case EventKind::kPause: on_pause(); break;
    case EventKind::kCheckTransfer: on_check_transfer(); break;
  }
}

bool Simulator::defer_if_paused(Event& e) {
  NodeId id = kNoNode;
  if (e.kind == EventKind::kTick || e.kind == EventKind::kPersisted) id = e.node;
  if (e.kind == EventKind::kDeliver) id = e.msg.to;
  if (id == kNoNode) return false;
  Node& n = node(id);
  if (now_ms_ >= n.paused_until_ms) return false;
  if (e.kind == EventKind::kTick) {
    // A stopped process does not tick; its timer fires once when it resumes.
    schedule(n.paused_until_ms, EventKind::kTick, id);
  } else {
    schedule(n.paused_until_ms, e.kind, e.node, e.aux, std::move(e.msg));
  }
  return true;
}

template <typename F>
void Simulator::guard(Node& n, F&& f) {
  try {
    f();
  } catch (const InvariantError& err) {
    checker_.fail("core of node " + std::to_string(n.id) + " threw: " + err.what());
  }
}

// --- events ---------------------------------------------------------------------------------------------

void Simulator::on_tick(NodeId id) {
  Node& n = node(id);
  schedule(now_ms_ + n.tick_ms, EventKind::kTick, id);
  if (!n.up) return;
  guard(n, [&] { n.core->tick(); });
  after_input(n);
}

void Simulator::on_deliver(Event& e) {
  Node& n = node(e.msg.to);
  if (!n.up || !network_.link_up(e.msg.from, e.msg.to)) return;
  ++stats_.messages_delivered;
  TraceRec r;
  r.kind = TraceKind::kDeliver;
  r.node = n.id;
  r.header = e.msg;
  r.header.entries.clear();
  if (!e.msg.entries.empty()) {
    r.first = e.msg.entries.front().index;
    r.last = e.msg.entries.back().index;
    r.a = e.msg.entries.back().term;
  }
  trace(std::move(r));
  guard(n, [&] { n.core->step(e.msg); });
  after_input(n);
}

void Simulator::on_persisted(NodeId id, std::uint64_t life) {
  Node& n = node(id);
  if (!n.up || n.life != life || !n.persisting) return;  // the node crashed meanwhile: the write was lost
  n.persisting = false;
  Batch b = std::move(n.pending);
  if (!healed_ && rand_.chance(fsync_failure_probability_)) {  // disks heal with everything else
    fail_batch(n, b);
  } else {
    complete_batch(n, b);
  }
  if (n.up) after_input(n);
}

void Simulator::on_propose() {
  if (now_ms_ < kFaultPhaseMs || (transfer_start_ms_ >= 0 && !transfer_done_)) {
    schedule(now_ms_ + uniform_ms(1, propose_every_max_ms_), EventKind::kPropose);
  }
  // Clients mostly find the leader; sometimes they ask a random node (which refuses unless it leads).
  NodeId target = leader();
  if (target == kNoNode || rand_.chance(0.2)) target = random_node();
  Node& n = node(target);
  if (!n.up || now_ms_ < n.paused_until_ms) return;  // a paused node's clients time out
  const std::size_t count = rand_.chance(0.2) ? 1 + rand_.uniform(5) : 1;
  std::vector<Bytes> data;
  const std::uint64_t first_id = next_proposal_id_;
  for (std::size_t i = 0; i < count; ++i) {
    Bytes d(8);
    common::store_u64_be(d.data(), next_proposal_id_++);
    data.push_back(std::move(d));
  }
  ProposeResult res;
  guard(n, [&] { res = n.core->propose_many(std::move(data)); });
  if (res.status == ProposeStatus::kAccepted) {
    stats_.proposals_accepted += count;
    for (std::size_t i = 0; i < count; ++i) pending_[first_id + i] = {n.id, n.life, res.index + i, res.term};
    TraceRec r;
    r.kind = TraceKind::kPropose;
    r.node = n.id;
    r.first = res.index;
    r.last = res.index + count - 1;
    r.a = res.term;
    trace(std::move(r));
  }
  after_input(n);
}

void Simulator::on_partition() {
  if (now_ms_ >= kFaultPhaseMs) return;
  // Most partitions last a few election timeouts; some last seconds.
  schedule(now_ms_ + (rand_.chance(long_partition_probability_) ? uniform_ms(1000, 3000) : uniform_ms(50, 500)),
           EventKind::kPartition);
  network_.heal();
  ++stats_.partitions;
  std::string what;
  const std::uint64_t kind = rand_.uniform(6);
  if (kind == 0) {
    what = "healed";
  } else if (kind == 1) {  // random halves
    std::vector<NodeId> side;
    for (NodeId id : ids_) {
      if (rand_.chance(0.5)) side.push_back(id);
    }
    network_.split(side);
    what = "split off {";
    for (NodeId id : side) what += std::to_string(id) + " ";
    what += "}";
  } else if (kind == 2) {  // the leader cut off, alone or with one other node
    NodeId l = leader();
    if (l == kNoNode) l = random_node();
    std::vector<NodeId> side = {l};
    if (ids_.size() >= 5 && rand_.chance(0.5)) {
      const NodeId other = random_node();
      if (other != l) side.push_back(other);
    }
    network_.split(side);
    what = "leader " + std::to_string(l) + " cut off" + (side.size() > 1 ? " with " + std::to_string(side[1]) : "");
  } else if (kind == 3) {  // a bridge (3 nodes) or ring (5 nodes): each node sees a different majority
    std::vector<NodeId> order = ids_;
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rand_.uniform(i)]);
    network_.ring(order);
    what = "ring";
    for (NodeId id : order) what += " " + std::to_string(id);
  } else if (kind == 4) {  // one-way links
    const NodeId a = random_node(), b = random_node();
    if (a != b) network_.block(a, b);
    what = "one-way block " + std::to_string(a) + "->" + std::to_string(b);
  } else {  // the leader can send but not receive
    NodeId l = leader();
    if (l == kNoNode) l = random_node();
    for (NodeId id : ids_) {
      if (id != l) network_.block(id, l);
    }
    what = "leader " + std::to_string(l) + " deaf";
  }
  TraceRec r;
  r.kind = TraceKind::kPartition;
  r.note = what;
  trace(std::move(r));
}

void Simulator::on_crash() {
  if (now_ms_ >= kFaultPhaseMs) return;
  schedule(now_ms_ + uniform_ms(50, 400), EventKind::kCrash);
  NodeId victim = leader();
  if (victim == kNoNode || rand_.chance(0.5)) victim = random_node();
  Node& n = node(victim);
  if (!n.up) return;
  crash(n);
  // Half the time a supervisor restarts the process at once; otherwise the machine is away for a while.
  const std::int64_t down_ms = rand_.chance(0.5) ? uniform_ms(1, 20) : uniform_ms(100, 1500);
  schedule(now_ms_ + down_ms, EventKind::kRestart, victim, n.life);
}

void Simulator::on_restart(NodeId id, std::uint64_t life) {
  Node& n = node(id);
  if (n.up || n.life != life) return;
  restart(n);
}

void Simulator::on_transfer() {
  if (now_ms_ >= kFaultPhaseMs) return;
  schedule(now_ms_ + uniform_ms(300, 1500), EventKind::kTransfer);
  const NodeId l = leader();
  if (l == kNoNode || now_ms_ < node(l).paused_until_ms) return;
  const NodeId to = random_node();
  Node& n = node(l);
  bool started = false;
  guard(n, [&] { started = n.core->transfer_leadership(to); });
  if (started) {
    TraceRec r;
    r.kind = TraceKind::kTransfer;
    r.node = l;
    r.a = to;
    trace(std::move(r));
  }
  after_input(n);
}

void Simulator::on_pause() {
  if (now_ms_ >= kFaultPhaseMs) return;
  schedule(now_ms_ + uniform_ms(200, 1500), EventKind::kPause);
  NodeId victim = leader();
  if (victim == kNoNode || rand_.chance(0.5)) victim = random_node();
  Node& n = node(victim);
  if (!n.up || now_ms_ < n.paused_until_ms) return;
  // Short stalls (a GC pause, a slow disk holding the process) and ones longer than the election timeout.
  const std::int64_t ms = rand_.chance(0.5) ? uniform_ms(5, 80) : uniform_ms(150, 1500);
  n.paused_until_ms = now_ms_ + ms;
  TraceRec r;
  r.kind = TraceKind::kPause;
  r.node = n.id;
  r.a = static_cast<std::uint64_t>(ms);
  trace(std::move(r));
}

void Simulator::on_heal() {
  healed_ = true;
  heal_ms_ = now_ms_;
  network_.heal();
  NetworkProfile p = network_.profile();
  p.drop_probability = 0;
  network_.set_profile(p);
  TraceRec r;
  r.kind = TraceKind::kHeal;
  trace(std::move(r));
  for (Node& n : nodes_) {
    n.paused_until_ms = std::min(n.paused_until_ms, now_ms_);
    if (!n.up) restart(n);
  }
  schedule(now_ms_ + kLivenessCheckEveryMs, EventKind::kCheckLiveness);
}

void Simulator::on_check_liveness() {
  std::optional<std::string> gap = liveness_gap();
  if (!gap) {
    stats_.converge_ms = now_ms_ - heal_ms_;
    start_transfer_check();
    return;
  }
  if (now_ms_ - heal_ms_ >= kConvergeBoundMs) {
    liveness_failure_ = "liveness: " + std::to_string(kConvergeBoundMs) + " ms after the faults healed, " + *gap;
    return;
  }
  schedule(now_ms_ + kLivenessCheckEveryMs, EventKind::kCheckLiveness);
}

void Simulator::start_transfer_check() {
  const NodeId l = leader();
  if (ids_.size() < 2 || l == kNoNode) {
    done_ = true;
    return;
  }
  // Hand leadership to a follower while clients keep proposing at the fault phase's rate: the simulator asks
  // for a transfer (again whenever one times out, as an operator would) to the preferred leader if there is
  // one (the core itself only hands over to it once it keeps up: a slow preferred node may never), otherwise
  // to a random follower. Even a far-behind target must get there: each attempt stops proposals until the
  // target made no progress for a timeout.
  NodeId target = preferred_leader_;
  if (target == kNoNode || target == l) {
    do {
      target = random_node();
    } while (target == l);
  }
  transfer_target_ = target;
  transfer_from_term_ = node(l).core->term();
  transfer_start_ms_ = now_ms_;
  TraceRec r;
  r.kind = TraceKind::kNote;
  r.note = "check: leader " + std::to_string(l) + " transfers to " + std::to_string(target) + " under load";
  trace(std::move(r));
  Node& n = node(l);
  ++stats_.transfer_attempts;
  guard(n, [&] { n.core->transfer_leadership(target); });
  after_input(n);
  schedule(now_ms_ + uniform_ms(1, propose_every_max_ms_), EventKind::kPropose);
  schedule(now_ms_ + kLivenessCheckEveryMs, EventKind::kCheckTransfer);
}

void Simulator::on_check_transfer() {
  if (transfer_done_) {
    stats_.transfer_ms = now_ms_ - transfer_start_ms_;
    done_ = true;
    return;
  }
  if (now_ms_ - transfer_start_ms_ >= kTransferBoundMs) {
    liveness_failure_ = "liveness: a leadership transfer to node " + std::to_string(transfer_target_) +
                        " requested under load did not complete within " + std::to_string(kTransferBoundMs) +
                        " ms (" + std::to_string(stats_.transfer_attempts) + " attempts)";
    return;
  }
  // A transfer that timed out (the target was slower than Config::transfer_timeout_ticks) is asked for again,
  // as an operator or the preferred-leader rule would.
  const NodeId l = leader();
  if (l != kNoNode && l != transfer_target_ && node(l).core->lead_transferee() == kNoNode &&
      now_ms_ >= node(l).paused_until_ms) {
    Node& n = node(l);
    ++stats_.transfer_attempts;
    guard(n, [&] { n.core->transfer_leadership(transfer_target_); });
    after_input(n);
  }
  schedule(now_ms_ + kLivenessCheckEveryMs, EventKind::kCheckTransfer);
}

std::optional<std::string> Simulator::liveness_gap() const {
  Term max_term = 0;
  for (const Node& n : nodes_) {
    if (!n.up) return "node " + std::to_string(n.id) + " is down";
    max_term = std::max(max_term, n.core->term());
  }
  bool have_leader = false;
  for (const Node& n : nodes_) have_leader |= n.core->role() == Role::kLeader && n.core->term() == max_term;
  if (!have_leader) return "no leader in term " + std::to_string(max_term);
  for (const Acked& a : acked_) {
    for (const Node& n : nodes_) {
      const std::optional<Term> t = n.core->log().maybe_term(a.index);
      if (n.core->commit_index() < a.index || !t || *t != a.term) {
        return "acknowledged proposal " + std::to_string(a.id) + " (" + std::to_string(a.index) + "@t" +
               std::to_string(a.term) + ") is not committed on node " + std::to_string(n.id) + " (commit " +
               std::to_string(n.core->commit_index()) + ", last " + std::to_string(n.core->log().last_index()) +
               ")";
      }
    }
  }
  return std::nullopt;
}

// --- the runtime loop -----------------------------------------------------------------------------------

void Simulator::after_input(Node& n) {
  if (!n.up || checker_.violation()) return;
  const RaftCore& core = *n.core;
  if (core.role() != n.last_role || core.term() != n.last_term) {
    n.last_role = core.role();
    n.last_term = core.term();
    TraceRec r;
    r.kind = TraceKind::kRole;
    r.node = n.id;
    r.a = static_cast<std::uint64_t>(core.role());
    r.b = core.term();
    trace(std::move(r));
    checker_.observe_role(n.id, core.role(), core.term(), core.log());
    if (transfer_start_ms_ >= 0 && n.id == transfer_target_ && core.role() == Role::kLeader &&
        core.term() > transfer_from_term_) {
      transfer_done_ = true;
    }
  }
  if (core.lead_transferee() != n.last_transferee) {
    TraceRec r;
    r.kind = TraceKind::kNote;
    r.note = "node " + std::to_string(n.id) +
             (core.lead_transferee() != kNoNode ? " starts a transfer to " + std::to_string(core.lead_transferee())
                                                : " ends its transfer to " + std::to_string(n.last_transferee));
    trace(std::move(r));
    n.last_transferee = core.lead_transferee();
  }
  if (core.commit_index() != n.last_commit) {
    checker_.observe_commit(n.id, core.term(), n.last_commit, core.commit_index(), core.log());
    n.last_commit = core.commit_index();
  }
  pump(n);
}

void Simulator::pump(Node& n) {
  if (!n.up || checker_.violation()) return;
  if (n.persisting) {
    // A batch's write is in progress: a leader's heartbeats and appends go out anyway, and entries that
    // became committed and are durable here are applied anyway (batch.h).
    std::vector<Message> early;
    std::vector<Entry> committed;
    guard(n, [&] {
      early = n.core->take_messages_before_persist();
      committed = n.core->take_committed_entries();
    });
    send_all(n, early, /*after_persist=*/false);
    apply(n, committed);
    return;
  }
  if (!n.core->has_ready()) return;
  Batch b;
  guard(n, [&] { b = n.core->ready(); });
  if (checker_.violation()) return;
  send_all(n, b.messages_before_persist, /*after_persist=*/false);
  apply(n, b.committed_entries);
  if (checker_.violation()) return;
  if (b.must_sync) {
    // Durable writes take time; the core keeps running meanwhile and the batch completes later.
    std::int64_t delay = uniform_ms(persist_min_ms_, persist_max_ms_);
    if (rand_.chance(slow_persist_probability_)) delay += uniform_ms(slow_persist_ms_ / 2, 3 * slow_persist_ms_);
    n.persisting = true;
    n.pending = std::move(b);
    schedule(now_ms_ + delay, EventKind::kPersisted, n.id, n.life);
    return;
  }
  complete_batch(n, b);
  if (!checker_.violation()) after_input(n);  // pumps again
}

void Simulator::send_all(Node& n, const std::vector<Message>& msgs, bool after_persist) {
  for (const Message& m : msgs) {
    // The runtime's contract: an acknowledgement or a vote goes out only once what it promises is durable.
    // (Not for the unsafe builds: they must be caught by the end-to-end safety properties instead.)
    if (after_persist && !scenario_.any_unsafe()) checker_.check_promise_durable(n.id, m, *n.disk);
    if (!after_persist && m.type != MessageType::kAppend && m.type != MessageType::kHeartbeat &&
        m.type != MessageType::kTimeoutNow) {
      checker_.fail("node " + std::to_string(n.id) + " may send before persisting: " + describe(m));
    }
    if (checker_.violation()) return;
    for (std::int64_t delay : network_.delays_for(m.from, m.to, rand_)) {
      schedule(now_ms_ + delay, EventKind::kDeliver, m.to, 0, m);
    }
  }
}

void Simulator::apply(Node& n, const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    if (e.index != n.next_apply) {
      checker_.fail("node " + std::to_string(n.id) + " applied " + std::to_string(e.index) + " but expected " +
                    std::to_string(n.next_apply));
      return;
    }
    if (e.index > n.disk->last_index() || n.disk->all()[e.index - 1] != e) {
      checker_.fail("node " + std::to_string(n.id) + " was handed " + std::to_string(e.index) +
                    " to apply before it was durable");
      return;
    }
    ++n.next_apply;
    checker_.observe_apply(n.id, e);
    if (checker_.violation()) return;
    if (e.type == EntryType::kNormal && e.data.size() == 8) {
      const std::uint64_t id = common::load_u64_be(e.data.data());
      auto it = pending_.find(id);
      if (it != pending_.end() && it->second.node == n.id && it->second.life == n.life &&
          it->second.index == e.index && it->second.term == e.term) {
        acked_.push_back({id, e.index, e.term});
        pending_.erase(it);
      }
    }
  }
}

void Simulator::complete_batch(Node& n, Batch& b) {
  MemoryLogStorage& disk = *n.disk;
  if (!b.entries.empty()) {
    const Index first = b.entries.front().index;
    if (b.truncate_from_index != 0 ? (b.truncate_from_index != first || disk.last_index() < first)
                                   : first != disk.last_index() + 1) {
      checker_.fail("node " + std::to_string(n.id) + " batch writes from " + std::to_string(first) +
                    " with truncate_from_index " + std::to_string(b.truncate_from_index) + " over a disk ending at " +
                    std::to_string(disk.last_index()));
      return;
    }
    disk.append(b.entries);
    checker_.observe_durable_append(n.id, b.entries, disk);
  }
  if (b.hard_state) {
    HardState hs = *b.hard_state;
    // Term and vote are written with every batch; the commit index only sometimes (a periodic checkpoint).
    if (!rand_.chance(checkpoint_probability_)) hs.commit_index = disk.hard_state().commit_index;
    hs.commit_index = std::min(hs.commit_index, disk.last_index());
    disk.set_hard_state(hs);
  }
  if (!b.entries.empty() || b.hard_state) {
    TraceRec r;
    r.kind = TraceKind::kPersist;
    r.node = n.id;
    if (!b.entries.empty()) {
      r.first = b.entries.front().index;
      r.last = b.entries.back().index;
    }
    r.a = disk.hard_state().term;
    r.b = disk.hard_state().vote;
    r.c = disk.hard_state().commit_index;
    trace(std::move(r));
  }
  send_all(n, b.messages, /*after_persist=*/true);
  if (checker_.violation()) return;
  guard(n, [&] { n.core->advance(b); });
}

void Simulator::fail_batch(Node& n, Batch& b) {
  // The fsync failed: the store durably ends where it last synced (before this batch; the truncation the
  // batch asked for may or may not have happened), b.messages are never sent.
  if (b.truncate_from_index != 0 && rand_.chance(0.5)) n.disk->truncate_from(b.truncate_from_index);
  ++stats_.fsync_failures;
  TraceRec r;
  r.kind = TraceKind::kFsyncFailed;
  r.node = n.id;
  if (!b.entries.empty()) {
    r.first = b.entries.front().index;
    r.last = b.entries.back().index;
  }
  trace(std::move(r));
  if (rand_.chance(0.5)) {
    // The runtime reports it to the core, which writes the same entries and hard state again.
    guard(n, [&] { n.core->persist_failed(b); });
    return;
  }
  // Or the runtime stops the node, and a supervisor restarts it.
  crash(n);
  schedule(now_ms_ + uniform_ms(1, 200), EventKind::kRestart, n.id, n.life);
}

void Simulator::crash(Node& n) {
  ++stats_.crashes;
  if (n.persisting && rand_.chance(partial_persist_probability_)) {
    // The crash hit in the middle of the write: a prefix of the entries is durable (after any truncation the
    // batch asked for), and the hard state only if all of them are.
    const Batch& b = n.pending;
    const std::size_t k = rand_.uniform(b.entries.size() + 1);
    if (k > 0) {
      std::vector<Entry> prefix(b.entries.begin(), b.entries.begin() + static_cast<std::ptrdiff_t>(k));
      n.disk->append(prefix);
      checker_.observe_durable_append(n.id, prefix, *n.disk);
    } else if (b.truncate_from_index != 0 && rand_.chance(0.5)) {
      n.disk->truncate_from(b.truncate_from_index);
    }
    if (k == b.entries.size() && b.hard_state && rand_.chance(0.5)) {
      HardState hs = *b.hard_state;
      hs.commit_index = std::min(hs.commit_index, n.disk->last_index());
      n.disk->set_hard_state(hs);
    }
    TraceRec r;
    r.kind = TraceKind::kNote;
    r.node = n.id;
    r.note = "node " + std::to_string(n.id) + " crash leaves " + std::to_string(k) + " of " +
             std::to_string(b.entries.size()) + " entries of its batch durable";
    trace(std::move(r));
  }
  n.up = false;
  n.paused_until_ms = 0;
  ++n.life;
  n.core.reset();
  n.persisting = false;
  n.pending = Batch{};
  TraceRec r;
  r.kind = TraceKind::kCrash;
  r.node = n.id;
  trace(std::move(r));
}

void Simulator::restart(Node& n) {
  n.up = true;
  ++n.life;
  n.persisting = false;
  const HardState durable = n.disk->hard_state();
  TraceRec r;
  r.kind = TraceKind::kRestart;
  r.node = n.id;
  r.a = durable.term;
  r.b = durable.vote;
  r.c = durable.commit_index;
  r.last = n.disk->last_index();
  trace(std::move(r));
  checker_.check_durable_log(n.id, *n.disk);
  guard(n, [&] { n.core = std::make_unique<RaftCore>(node_config(n.id), *n.disk); });
  if (checker_.violation()) {
    n.up = false;
    return;
  }
  if (n.core->commit_index() < durable.commit_index) {
    checker_.fail("node " + std::to_string(n.id) + " restarted with commit index " +
                  std::to_string(n.core->commit_index()) + " below the durable " +
                  std::to_string(durable.commit_index));
    return;
  }
  n.last_commit = n.core->commit_index();
  n.last_role = n.core->role();
  n.last_term = n.core->term();
  n.next_apply = 1;
  after_input(n);
}

NodeId Simulator::leader() const {
  NodeId found = kNoNode;
  Term best = 0;
  for (const Node& n : nodes_) {
    if (n.up && n.core->role() == Role::kLeader && (found == kNoNode || n.core->term() > best)) {
      found = n.id;
      best = n.core->term();
    }
  }
  return found;
}

// --- trace and report -----------------------------------------------------------------------------------

void Simulator::trace(TraceRec r) {
  r.time_ms = now_ms_;
  if (verbose_) std::printf("%s\n", format(r).c_str());
  trace_.push_back(std::move(r));
  if (trace_.size() > kTraceSteps) trace_.pop_front();
}

std::string Simulator::format(const TraceRec& r) const {
  std::string s = "[" + std::to_string(r.time_ms) + " ms] ";
  switch (r.kind) {
    case TraceKind::kDeliver: {
      Message m = r.header;
      s += "deliver " + describe(m);
      if (r.last != 0) {
        s += " entries=[" + std::to_string(r.first) + ".." + std::to_string(r.last) + "]@t" + std::to_string(r.a);
      }
      break;
    }
    case TraceKind::kPropose:
      s += "node " + std::to_string(r.node) + " accepts proposal [" + std::to_string(r.first) + ".." +
           std::to_string(r.last) + "]@t" + std::to_string(r.a);
      break;
    case TraceKind::kPersist:
      s += "node " + std::to_string(r.node) + " durable:";
      if (r.last != 0) s += " entries [" + std::to_string(r.first) + ".." + std::to_string(r.last) + "]";
      s += " term=" + std::to_string(r.a) + " vote=" + std::to_string(r.b) + " commit=" + std::to_string(r.c);
      break;
    case TraceKind::kRole:
      s += "node " + std::to_string(r.node) + " is " + to_string(static_cast<Role>(r.a)) + " in term " +
           std::to_string(r.b);
      break;
    case TraceKind::kCrash:
      s += "node " + std::to_string(r.node) + " crashes";
      break;
    case TraceKind::kRestart:
      s += "node " + std::to_string(r.node) + " restarts: term=" + std::to_string(r.a) + " vote=" +
           std::to_string(r.b) + " commit=" + std::to_string(r.c) + " last=" + std::to_string(r.last);
      break;
    case TraceKind::kPartition:
      s += "network: " + r.note;
      break;
    case TraceKind::kHeal:
      s += "faults heal: all nodes up, no partitions, no loss";
      break;
    case TraceKind::kTransfer:
      s += "node " + std::to_string(r.node) + " transfers leadership to " + std::to_string(r.a);
      break;
    case TraceKind::kNote:
      s += r.note;
      break;
    case TraceKind::kFsyncFailed:
      s += "node " + std::to_string(r.node) + " fsync failed";
      if (r.last != 0) s += " for entries [" + std::to_string(r.first) + ".." + std::to_string(r.last) + "]";
      break;
    case TraceKind::kPause:
      s += "node " + std::to_string(r.node) + " paused for " + std::to_string(r.a) + " ms";
      break;
  }
  return s;
}

std::string Simulator::report(const std::string& violation) const {
  std::string s = "SIMULATION FAILED: " + violation + "\n";
  s += "scenario: " + scenario_.describe() + "\n";
  s += "replay:   " + scenario_.replay_command() + "\n";
  s += "at " + std::to_string(now_ms_) + " ms simulated, after " + std::to_string(stats_.events) + " events\n";
  s += "last " + std::to_string(trace_.size()) + " steps:\n";
  for (const TraceRec& r : trace_) s += "  " + format(r) + "\n";
  s += "nodes:\n";
  for (const Node& n : nodes_) {
    s += "  node " + std::to_string(n.id) + ": ";
    if (!n.up || !n.core) {
      s += "down";
    } else if (now_ms_ < n.paused_until_ms) {
      s += "paused";
    } else {
      s += std::string(to_string(n.core->role())) + " term=" + std::to_string(n.core->term()) +
           " vote=" + std::to_string(n.core->vote()) + " leader=" + std::to_string(n.core->leader_id()) +
           " commit=" + std::to_string(n.core->commit_index()) + " last=" +
           std::to_string(n.core->log().last_index()) + "@t" + std::to_string(n.core->log().last_term());
    }
    s += "; durable last=" + std::to_string(n.disk->last_index()) + " term=" +
         std::to_string(n.disk->hard_state().term) + " vote=" + std::to_string(n.disk->hard_state().vote) +
         " commit=" + std::to_string(n.disk->hard_state().commit_index) + "\n";
  }
  return s;
}

}  // namespace

SimResult run_simulation(const Scenario& scenario, bool verbose) {
  Simulator sim(scenario, verbose);
  return sim.run();
}

}  // namespace rmq::raft::sim
