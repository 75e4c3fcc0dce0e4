// The broker's reaction to Raft roles (broker/server/dledger_role_handler.h) over a fake replicator: brokerId
// per role, the leader's wait for commit and dispatch, immediate demotion, re-registration on every change.
#include "broker/server/dledger_role_handler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/server/fake_dledger_replicator.h"

namespace rmq::server {
namespace {

using store::ReplicaRole;
using store::ReplicaStatus;

ReplicaStatus status_of(ReplicaRole role, std::int64_t term, const std::string& leader, std::int64_t committed = 5,
                        std::int64_t end = 5) {
  ReplicaStatus s;
  s.role = role;
  s.term = term;
  s.leader_id = leader;
  s.self_id = "n2";
  s.committed_index = committed;
  s.end_index = end;
  s.begin_index = 0;
  return s;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

// Records what the hooks saw, in order.
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> calls;
  std::atomic<std::int64_t> dispatch_behind{0};
  BrokerRoleState* role = nullptr;

  void add(std::string call) {
    std::lock_guard lock(mutex);
    calls.push_back(std::move(call));
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mutex);
    return calls;
  }
  std::size_t count(const std::string& call) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count(calls.begin(), calls.end(), call));
  }
  DLedgerRoleHooks hooks() {
    DLedgerRoleHooks h;
    h.dispatch_behind_bytes = [this] { return dispatch_behind.load(); };
    h.before_master = [this] { add("before_master"); };
    h.on_slave = [this](std::int64_t id) { add("on_slave " + std::to_string(id)); };
    h.on_master = [this] { add("on_master"); };
    // What the name servers would be told: the id and role at the moment of registration.
    h.register_now = [this] {
      const auto s = role->get();
      add("register " + std::to_string(s.broker_id) + (s.is_slave() ? " SLAVE" : " MASTER"));
    };
    return h;
  }
};

TEST(FollowerBrokerId, SelfIdNumberPlusOne) {
  EXPECT_EQ(follower_broker_id("n0"), 1);
  EXPECT_EQ(follower_broker_id("n1"), 2);
  EXPECT_EQ(follower_broker_id("n2"), 3);
  EXPECT_EQ(follower_broker_id("a12"), 13);
  EXPECT_EQ(follower_broker_id("n"), std::nullopt);
  EXPECT_EQ(follower_broker_id("7"), std::nullopt);
  EXPECT_EQ(follower_broker_id("n-1"), std::nullopt);
  EXPECT_EQ(follower_broker_id("n1x"), std::nullopt);
  EXPECT_EQ(follower_broker_id(""), std::nullopt);
}

TEST(DLedgerRoleHandler, RejectsSelfIdWithoutNumber) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  EXPECT_THROW(DLedgerRoleHandler(replicator, role, "node", recorder.hooks()), std::invalid_argument);
}

TEST(DLedgerRoleHandler, FollowerRegistersAsSelfIdPlusOneAtOnce) {
  test_support::FakeDLedgerReplicator replicator;
  replicator.set_status(status_of(ReplicaRole::kFollower, 3, "n0"));
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  DLedgerRoleHandler handler(replicator, role, "n2", recorder.hooks());
  handler.start();  // the status at start is acted on without waiting for an event
  ASSERT_TRUE(eventually([&] { return recorder.count("register 3 SLAVE") == 1; }));
  EXPECT_EQ(role.broker_id(), 3);
  EXPECT_TRUE(role.is_slave());
  EXPECT_FALSE(role.writable());
  EXPECT_EQ(recorder.snapshot(), (std::vector<std::string>{"on_slave 3", "register 3 SLAVE"}));
  EXPECT_TRUE(replicator.has_role_listener());
  handler.shutdown();
  EXPECT_FALSE(replicator.has_role_listener());
}

TEST(DLedgerRoleHandler, EveryFollowerEventReRegisters) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  DLedgerRoleHandler handler(replicator, role, "n1", recorder.hooks());
  handler.start();
  ASSERT_TRUE(eventually([&] { return recorder.count("register 2 SLAVE") == 1; }));
  replicator.fire(status_of(ReplicaRole::kFollower, 4, "n0"));
  ASSERT_TRUE(eventually([&] { return recorder.count("register 2 SLAVE") == 2; }));
  replicator.fire(status_of(ReplicaRole::kFollower, 5, "n2"));
  ASSERT_TRUE(eventually([&] { return recorder.count("register 2 SLAVE") == 3; }));
  EXPECT_EQ(recorder.count("on_slave 2"), 3u);
}

TEST(DLedgerRoleHandler, CandidateThatIsAlreadyAFollowerDoesNothing) {
  test_support::FakeDLedgerReplicator replicator;
  replicator.set_status(status_of(ReplicaRole::kFollower, 3, "n0"));
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  DLedgerRoleHandler handler(replicator, role, "n2", recorder.hooks());
  handler.start();
  ASSERT_TRUE(eventually([&] { return handler.handled_events() == 1; }));
  replicator.fire(status_of(ReplicaRole::kCandidate, 4, ""));
  ASSERT_TRUE(eventually([&] { return handler.handled_events() == 2; }));
  EXPECT_EQ(recorder.count("register 3 SLAVE"), 1u);
  EXPECT_EQ(role.broker_id(), 3);
}

TEST(DLedgerRoleHandler, LeaderBecomesIdZeroOnlyOnceCommittedAndDispatched) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  recorder.dispatch_behind.store(4096);
  DLedgerRoleHandler handler(replicator, role, "n2", recorder.hooks(), DLedgerRoleHandlerOptions{1});
  handler.start();
  // Leader of term 7 holding entries 0..9 of which 0..7 are committed.
  replicator.fire(status_of(ReplicaRole::kLeader, 7, "n2", 7, 9));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(handler.promotions(), 0u);
  EXPECT_FALSE(role.writable());
  EXPECT_NE(role.broker_id(), 0);
  // Everything committed, but the dispatcher is still behind.
  replicator.set_status(status_of(ReplicaRole::kLeader, 7, "n2", 9, 9));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(handler.promotions(), 0u);
  EXPECT_FALSE(role.writable());
  // Dispatched: now it is the master.
  recorder.dispatch_behind.store(0);
  ASSERT_TRUE(eventually([&] { return handler.promotions() == 1; }));
  ASSERT_TRUE(eventually([&] { return recorder.count("register 0 MASTER") == 1; }));
  EXPECT_EQ(role.broker_id(), 0);
  EXPECT_EQ(role.role(), BrokerRole::kSyncMaster);
  EXPECT_TRUE(role.writable());
  EXPECT_EQ(recorder.snapshot(), (std::vector<std::string>{"before_master", "on_master", "register 0 MASTER"}));
}

TEST(DLedgerRoleHandler, LeaderWithAnEmptyLogBecomesMasterAtOnce) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  recorder.dispatch_behind.store(123);  // ignored: nothing is in the log (upstream's ledgerEnd == -1 case)
  DLedgerRoleHandler handler(replicator, role, "n0", recorder.hooks());
  handler.start();
  replicator.fire(status_of(ReplicaRole::kLeader, 1, "n0", -1, -1));
  ASSERT_TRUE(eventually([&] { return recorder.count("register 0 MASTER") == 1; }));
  EXPECT_TRUE(role.writable());
}

TEST(DLedgerRoleHandler, LeaderThatStepsDownWhileWaitingNeverBecomesMaster) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  DLedgerRoleHandler handler(replicator, role, "n2", recorder.hooks(), DLedgerRoleHandlerOptions{1});
  handler.start();
  replicator.fire(status_of(ReplicaRole::kLeader, 7, "n2", 3, 9));  // never catches up
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  replicator.fire(status_of(ReplicaRole::kFollower, 8, "n1", 9, 9));
  ASSERT_TRUE(eventually([&] { return recorder.count("register 3 SLAVE") >= 1; }));
  // Even though the follower's status now looks caught up, the old term's wait has ended for good.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(handler.promotions(), 0u);
  EXPECT_EQ(recorder.count("on_master"), 0u);
  EXPECT_EQ(role.broker_id(), 3);
  EXPECT_FALSE(role.writable());
}

TEST(DLedgerRoleHandler, LeaderOfANewTermWhileWaitingIsNotPromotedByTheOldWait) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  DLedgerRoleHandler handler(replicator, role, "n2", recorder.hooks(), DLedgerRoleHandlerOptions{1});
  handler.start();
  replicator.fire(status_of(ReplicaRole::kLeader, 7, "n2", 3, 9));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Term 9 (it lost and won again): the new term's wait decides, and it is caught up.
  replicator.fire(status_of(ReplicaRole::kLeader, 9, "n2", 10, 10));
  ASSERT_TRUE(eventually([&] { return handler.promotions() == 1; }));
  EXPECT_EQ(recorder.count("register 0 MASTER"), 1u);
}

TEST(DLedgerRoleHandler, SteppingDownStopsWritesBeforeTheWorkerRuns) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  std::mutex gate;
  DLedgerRoleHooks hooks = recorder.hooks();
  auto inner_register = hooks.register_now;
  hooks.register_now = [&] {
    std::lock_guard hold(gate);  // the test holds this to keep the worker busy
    inner_register();
  };
  DLedgerRoleHandler handler(replicator, role, "n2", hooks, DLedgerRoleHandlerOptions{1});
  handler.start();
  replicator.fire(status_of(ReplicaRole::kLeader, 7, "n2", 9, 9));
  ASSERT_TRUE(eventually([&] { return recorder.count("register 0 MASTER") == 1; }));
  ASSERT_TRUE(role.writable());
  {
    std::lock_guard hold(gate);
    replicator.fire(status_of(ReplicaRole::kCandidate, 8, ""));
    // The worker cannot have re-registered yet, but no send may be stored any more.
    EXPECT_FALSE(role.writable());
    EXPECT_TRUE(role.is_slave());
  }
  ASSERT_TRUE(eventually([&] { return recorder.count("register 3 SLAVE") == 1; }));
  EXPECT_EQ(role.broker_id(), 3);
}

TEST(DLedgerRoleHandler, ShutdownEndsALeadersWait) {
  test_support::FakeDLedgerReplicator replicator;
  BrokerRoleState role(-1, BrokerRole::kSlave);
  Recorder recorder;
  recorder.role = &role;
  recorder.dispatch_behind.store(1);
  DLedgerRoleHandler handler(replicator, role, "n2", recorder.hooks());
  handler.start();
  replicator.fire(status_of(ReplicaRole::kLeader, 7, "n2", 9, 9));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  handler.shutdown();  // returns: the wait ends (a hang here fails the test by its ctest timeout)
  EXPECT_EQ(handler.promotions(), 0u);
  EXPECT_FALSE(role.writable());
}

}  // namespace
}  // namespace rmq::server
