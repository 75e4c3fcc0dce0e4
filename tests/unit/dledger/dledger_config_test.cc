// DLedgerConfig: defaults, DLedger's own key names, and one-line errors naming the key.
#include <gtest/gtest.h>

#include "broker/dledger/dledger_config.h"

namespace rmq::dledger {
namespace {

common::JavaProperties base() {
  common::JavaProperties p;
  p.set("dLegerGroup", "RaftNode00");
  p.set("dLegerPeers", "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913");
  p.set("dLegerSelfId", "n1");
  return p;
}

void expect_error(const common::JavaProperties& p, const std::string& mentions) {
  try {
    DLedgerConfig::from_properties(p);
    ADD_FAILURE() << "accepted; expected an error mentioning " << mentions;
  } catch (const common::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(DLedgerConfig, Defaults) {
  const DLedgerConfig c = DLedgerConfig::from_properties(base());
  EXPECT_EQ(c.group, "RaftNode00");
  EXPECT_EQ(c.self_id, "n1");
  ASSERT_EQ(c.peers.size(), 3u);
  EXPECT_EQ(c.peers[2].port, 40913);
  EXPECT_FALSE(c.sync_flush);
  EXPECT_TRUE(c.pre_vote);
  EXPECT_TRUE(c.check_quorum);
  EXPECT_EQ(c.tick_interval_ms, 10);
  EXPECT_EQ(c.heartbeat_interval_ms, 100);
  EXPECT_EQ(c.election_timeout_ms, 750);
  EXPECT_EQ(c.heartbeat_ticks(), 10u);
  EXPECT_EQ(c.election_ticks(), 75u);
  EXPECT_EQ(c.max_pending_appends, 10000);
  EXPECT_EQ(c.append_timeout_ms, 2500);
  EXPECT_EQ(c.checkpoint_interval_ms, 3000);
  EXPECT_EQ(c.flush_interval_ms, 10);
  EXPECT_TRUE(c.preferred_leader_id.empty());
}

TEST(DLedgerConfig, KeysOverrideDefaults) {
  common::JavaProperties p = base();
  p.set("flushDiskType", "SYNC_FLUSH");
  p.set("preferredLeaderId", "n2;n0");
  p.set("heartBeatTimeIntervalMs", "2000");
  p.set("dLedgerElectionTimeoutMs", "6000");
  p.set("dLedgerTickIntervalMs", "20");
  p.set("maxPendingRequestsNum", "5");
  p.set("maxWaitAckTimeMs", "100");
  p.set("peerPushThrottlePoint", "1048576");
  p.set("maxBatchPushSize", "4096");
  p.set("dLedgerEnablePreVote", "false");
  p.set("dLedgerEnableCheckQuorum", "FALSE");
  const DLedgerConfig c = DLedgerConfig::from_properties(p);
  EXPECT_TRUE(c.sync_flush);
  EXPECT_EQ(c.preferred_leader_id, "n2");
  EXPECT_EQ(c.heartbeat_ticks(), 100u);
  EXPECT_EQ(c.election_ticks(), 300u);
  EXPECT_EQ(c.max_pending_appends, 5);
  EXPECT_EQ(c.append_timeout_ms, 100);
  EXPECT_EQ(c.max_inflight_bytes, 1048576);
  EXPECT_EQ(c.max_append_bytes, 4096);
  EXPECT_FALSE(c.pre_vote);
  EXPECT_FALSE(c.check_quorum);
}

TEST(DLedgerConfig, ErrorsNameTheKey) {
  common::JavaProperties p = base();
  p.set("dLegerGroup", " ");
  expect_error(p, "dLegerGroup");
  p = base();
  p.set("dLegerSelfId", "n5");
  expect_error(p, "dLegerSelfId=n5");
  p = base();
  p.set("dLegerPeers", "n0-127.0.0.1:40911;n0-127.0.0.1:40912");
  expect_error(p, "dLegerPeers");
  p = base();
  p.set("preferredLeaderId", "n9");
  expect_error(p, "preferredLeaderId=n9");
  p = base();
  p.set("flushDiskType", "SOMETIMES");
  expect_error(p, "flushDiskType");
  p = base();
  p.set("maxWaitAckTimeMs", "12x");
  expect_error(p, "maxWaitAckTimeMs=12x");
  p = base();
  p.set("maxPendingRequestsNum", "0");
  expect_error(p, "maxPendingRequestsNum=0");
  p = base();
  p.set("heartBeatTimeIntervalMs", "1000");
  expect_error(p, "heartBeatTimeIntervalMs=1000");
  p = base();
  p.set("dLedgerTickIntervalMs", "200");
  expect_error(p, "dLedgerTickIntervalMs=200");
  p = base();
  p.set("dLedgerEnablePreVote", "yes");
  expect_error(p, "dLedgerEnablePreVote");
}

}  // namespace
}  // namespace rmq::dledger
