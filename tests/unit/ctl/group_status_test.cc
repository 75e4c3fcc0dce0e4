// The health rules of `rmqctl status` (ctl/group_status.h) on hand-written answers, with the DLedger fields as
// the broker writes them (broker/server/dledger_runtime_info.h): the contract between the two ends.
#include <gtest/gtest.h>

#include "broker/server/dledger_runtime_info.h"
#include "ctl/group_status.h"

namespace rmq::ctl {
namespace {

RuntimeInfo dledger_info(const std::string& self, store::ReplicaRole role, std::int64_t term, const std::string& leader,
                         std::int64_t end, std::int64_t committed, std::int64_t max_offset, const std::string& broker_role,
                         std::int64_t broker_id) {
  store::ReplicaStatus s;
  s.self_id = self;
  s.role = role;
  s.term = term;
  s.leader_id = leader;
  s.end_index = end;
  s.committed_index = committed;
  s.begin_index = 0;
  store::StoreStats stats;
  stats.divided_commitlog_offset = 1048576;
  RuntimeInfo info;
  for (const auto& [k, v] : server::dledger_runtime_fields(s, stats)) info.table[k] = v;
  info.table["brokerName"] = "RaftNode00";
  info.table["brokerRole"] = broker_role;
  info.table["brokerId"] = std::to_string(broker_id);
  info.table["commitLogMaxOffset"] = std::to_string(max_offset);
  info.table["dispatchBehindBytes"] = "100";
  info.table["bootTimestamp"] = "1";
  return info;
}

NodeAnswer answer(const std::string& id, int port, std::optional<RuntimeInfo> info) {
  NodeAnswer a;
  a.target = {id, "127.0.0.1:" + std::to_string(port), "RaftNode00", std::nullopt};
  a.info = std::move(info);
  if (!a.info) a.error = "connection refused";
  return a;
}

NamesrvAnswer registered(const std::map<std::int64_t, std::string>& ids) {
  NamesrvAnswer n;
  n.asked = true;
  n.cluster = ClusterInfo{};
  n.cluster->broker_addrs["RaftNode00"] = ids;
  n.cluster->clusters["RaftCluster"] = {"RaftNode00"};
  return n;
}

StatusOptions options() {
  StatusOptions o;
  o.namesrv = {"127.0.0.1:9876"};
  o.max_lag_entries = 100;
  return o;
}

std::vector<NodeAnswer> healthy_group() {
  using store::ReplicaRole;
  return {answer("n0", 30911, dledger_info("n0", ReplicaRole::kLeader, 3, "n0", 500, 500, 2000, "SYNC_MASTER", 0)),
          answer("n1", 30921, dledger_info("n1", ReplicaRole::kFollower, 3, "n0", 490, 490, 1900, "SLAVE", 2)),
          answer("n2", 30931, dledger_info("n2", ReplicaRole::kFollower, 3, "n0", 500, 500, 2000, "SLAVE", 3))};
}

const auto kAllRegistered =
    std::map<std::int64_t, std::string>{{0, "127.0.0.1:30911"}, {2, "127.0.0.1:30921"}, {3, "127.0.0.1:30931"}};

TEST(GroupStatus, HealthyDLedgerGroup) {
  const GroupStatus s = evaluate_status(healthy_group(), registered(kAllRegistered), options());
  EXPECT_TRUE(s.healthy()) << s.problems.front();
  EXPECT_EQ(s.mode, "dledger");
  EXPECT_EQ(s.leader_id, "n0");
  ASSERT_EQ(s.nodes.size(), 3u);
  const NodeStatus& n1 = s.nodes[1];
  EXPECT_EQ(n1.role, "FOLLOWER");
  EXPECT_EQ(n1.term, 3);
  EXPECT_EQ(n1.leader_id, "n0");
  EXPECT_EQ(n1.ledger_end_index, 490);
  EXPECT_EQ(n1.committed_index, 490);
  EXPECT_EQ(n1.divided_offset, 1048576);
  EXPECT_EQ(n1.max_physical_offset, 1900);
  EXPECT_EQ(n1.dispatched_offset, 1800);
  EXPECT_EQ(n1.lag_entries, 10);
  EXPECT_EQ(n1.lag_bytes, 100);
  EXPECT_EQ(n1.registered, true);
  EXPECT_FALSE(s.nodes[0].lag_entries.has_value()) << "the leader has no lag";

  const nlohmann::json j = status_to_json(s);
  EXPECT_EQ(j["healthy"], true);
  EXPECT_EQ(j["nodes"][1]["ledgerEndIndex"], 490);
  EXPECT_EQ(j["nodes"][1]["lagEntries"], 10);
  EXPECT_TRUE(j["nodes"][1]["pid"].is_null());
  EXPECT_NE(render_status_text(s).find("healthy: leader n0"), std::string::npos);
}

TEST(GroupStatus, FollowerLaggingMoreThanMaxLag) {
  auto answers = healthy_group();
  answers[2] = answer("n2", 30931,
                      dledger_info("n2", store::ReplicaRole::kFollower, 3, "n0", 399, 399, 1000, "SLAVE", 3));
  const GroupStatus s = evaluate_status(answers, registered(kAllRegistered), options());
  ASSERT_EQ(s.problems.size(), 1u);
  EXPECT_NE(s.problems[0].find("follower n2 lags 101 entries"), std::string::npos) << s.problems[0];
  StatusOptions looser = options();
  looser.max_lag_entries = 101;
  EXPECT_TRUE(evaluate_status(answers, registered(kAllRegistered), looser).healthy());
}

TEST(GroupStatus, NoLeaderAndCandidates) {
  using store::ReplicaRole;
  std::vector<NodeAnswer> answers = {
      answer("n0", 30911, std::nullopt),
      answer("n1", 30921, dledger_info("n1", ReplicaRole::kCandidate, 4, "", 500, 500, 2000, "SLAVE", 2)),
      answer("n2", 30931, dledger_info("n2", ReplicaRole::kFollower, 3, "", 500, 500, 2000, "SLAVE", 3))};
  const GroupStatus s = evaluate_status(answers, registered({}), options());
  EXPECT_FALSE(s.healthy());
  EXPECT_TRUE(s.leader_id.empty());
  std::string all;
  for (const auto& p : s.problems) all += p + "\n";
  EXPECT_NE(all.find("node n0 (127.0.0.1:30911) does not answer: connection refused"), std::string::npos) << all;
  EXPECT_NE(all.find("no leader"), std::string::npos) << all;
  EXPECT_NE(all.find("node n1 is CANDIDATE"), std::string::npos) << all;
  EXPECT_FALSE(s.nodes[0].reachable);
  EXPECT_NE(render_status_text(s).find("DOWN"), std::string::npos);
}

TEST(GroupStatus, LeaderNotYetWritableOrNotRegistered) {
  auto answers = healthy_group();
  answers[0] = answer("n0", 30911,
                      dledger_info("n0", store::ReplicaRole::kLeader, 3, "n0", 500, 499, 2000, "SLAVE", 1));
  // Registered under its follower id only, as before its promotion.
  const GroupStatus s = evaluate_status(
      answers, registered({{1, "127.0.0.1:30911"}, {2, "127.0.0.1:30921"}, {3, "127.0.0.1:30931"}}), options());
  std::string all;
  for (const auto& p : s.problems) all += p + "\n";
  EXPECT_NE(all.find("leader n0 is not writable yet"), std::string::npos) << all;
  EXPECT_NE(all.find("leader n0 (127.0.0.1:30911) is not registered at the name server as brokerId 0"),
            std::string::npos)
      << all;

  NamesrvAnswer silent;
  silent.asked = true;
  silent.error = "127.0.0.1:9876: connection refused";
  const GroupStatus t = evaluate_status(healthy_group(), silent, options());
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_NE(t.problems[0].find("name server does not answer"), std::string::npos);
}

TEST(GroupStatus, TwoLeadersInOneTermAreAProblemAStaleOneIsNot) {
  using store::ReplicaRole;
  auto answers = healthy_group();
  // A deposed leader that has not heard of term 4 yet: the highest term wins, and it is not FOLLOWER.
  answers[0] = answer("n0", 30911, dledger_info("n0", ReplicaRole::kLeader, 3, "n0", 500, 500, 2000, "SLAVE", 1));
  answers[1] = answer("n1", 30921, dledger_info("n1", ReplicaRole::kLeader, 4, "n1", 501, 501, 2100, "SYNC_MASTER", 0));
  const GroupStatus s = evaluate_status(
      answers, registered({{0, "127.0.0.1:30921"}, {1, "127.0.0.1:30911"}, {3, "127.0.0.1:30931"}}), options());
  EXPECT_EQ(s.leader_id, "n1");
  std::string all;
  for (const auto& p : s.problems) all += p + "\n";
  EXPECT_NE(all.find("node n0 is LEADER, not FOLLOWER"), std::string::npos) << all;
  EXPECT_EQ(all.find("two leaders"), std::string::npos) << all;
}

TEST(GroupStatus, TargetsFromTheNameServer) {
  ClusterInfo info;
  info.broker_addrs["RaftNode00"] = {{0, "a:1"}, {2, "b:2"}};
  info.broker_addrs["Other"] = {{0, "c:3"}};
  info.clusters["RaftCluster"] = {"RaftNode00"};
  const auto targets = targets_from_cluster(info, "RaftCluster");
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].address, "a:1");
  EXPECT_EQ(targets[1].broker_name, "RaftNode00");
  EXPECT_TRUE(targets_from_cluster(info, "Nope").empty());
}

}  // namespace
}  // namespace rmq::ctl
