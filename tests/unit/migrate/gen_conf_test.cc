// plan_gen_conf and render_broker_conf against the upgrade guide (section 1.1): the guide's example flags
// must give the guide's broker-n0.conf key for key, and n1, n2 the same with their own id, port and store.
// Also: the refusals of missing or malformed options, one per test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "migrate/gen_conf.h"
#include "tests/unit/migrate/gen_conf_test_util.h"

namespace rmq::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using gen_conf_testing::guide_options;
using gen_conf_testing::plan_error;
using gen_conf_testing::read_back;

// The guide's conf/dledger/broker-n0.conf, verbatim.
constexpr const char* kGuideBrokerN0 = R"(brokerClusterName = RaftCluster
brokerName=RaftNode00
listenPort=30911
namesrvAddr=127.0.0.1:9876
storePathRootDir=/tmp/rmqstore/node00
storePathCommitLog=/tmp/rmqstore/node00/commitlog
enableDLegerCommitLog=true
dLegerGroup=RaftNode00
dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913
## must be unique
dLegerSelfId=n0
sendMessageThreadPoolNums=16
)";

TEST(GenConfGuideTest, NodeZeroHasTheGuidesKeysAndValuesInOrder) {
  const GenConfPlan plan = plan_gen_conf(guide_options());
  const common::JavaProperties guide = read_back(kGuideBrokerN0);
  const common::JavaProperties ours = read_back(plan.files.at(0).text);
  EXPECT_EQ(ours.keys_in_order(), guide.keys_in_order());
  for (const std::string& key : guide.keys_in_order()) EXPECT_EQ(ours.get(key), guide.get(key)) << key;
}

TEST(GenConfGuideTest, NodesOneAndTwoDifferOnlyInIdPortAndStore) {
  const GenConfPlan plan = plan_gen_conf(guide_options());
  ASSERT_EQ(plan.files.size(), 3u);
  const common::JavaProperties guide = read_back(kGuideBrokerN0);
  const char* ids[] = {"n0", "n1", "n2"};
  const char* ports[] = {"30911", "30921", "30931"};
  const char* roots[] = {"/tmp/rmqstore/node00", "/tmp/rmqstore/node01", "/tmp/rmqstore/node02"};
  for (std::size_t i = 0; i < 3; ++i) {
    const common::JavaProperties node = read_back(plan.files[i].text);
    EXPECT_EQ(node.keys_in_order(), guide.keys_in_order());
    for (const std::string& key : guide.keys_in_order()) {
      if (key == "dLegerSelfId") {
        EXPECT_EQ(node.get(key), ids[i]);
      } else if (key == "listenPort") {
        EXPECT_EQ(node.get(key), ports[i]);
      } else if (key == "storePathRootDir") {
        EXPECT_EQ(node.get(key), roots[i]);
      } else if (key == "storePathCommitLog") {
        EXPECT_EQ(node.get(key), std::string(roots[i]) + "/commitlog");
      } else {
        EXPECT_EQ(node.get(key), guide.get(key)) << "node " << ids[i] << " key " << key;
      }
    }
  }
}

TEST(GenConfGuideTest, FilesAreNamedByPeerIdUnderOut) {
  const GenConfPlan plan = plan_gen_conf(guide_options());
  ASSERT_EQ(plan.files.size(), 3u);
  EXPECT_EQ(plan.files[0].path, "conf/dledger/broker-n0.conf");
  EXPECT_EQ(plan.files[1].path, "conf/dledger/broker-n1.conf");
  EXPECT_EQ(plan.files[2].path, "conf/dledger/broker-n2.conf");
}

TEST(GenConfGuideTest, GuideExampleHasNoNotesOrWarnings) {
  const GenConfPlan plan = plan_gen_conf(guide_options());
  EXPECT_THAT(plan.notes, IsEmpty());
  EXPECT_THAT(plan.warnings, IsEmpty());
}

TEST(GenConfGuideTest, RenderedTextKeepsTheGuidesComment) {
  EXPECT_THAT(plan_gen_conf(guide_options()).files.at(0).text, HasSubstr("## must be unique\ndLegerSelfId=n0\n"));
}

TEST(GenConfGuideTest, CommittedExampleConfigsMatchWhatGenConfWrites) {
  for (const PlannedConf& file : plan_gen_conf(guide_options()).files) {
    std::ifstream in(std::string(RMQ_SOURCE_DIR) + "/" + file.path.string(), std::ios::binary);
    ASSERT_TRUE(in) << file.path;
    const std::string committed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(committed, file.text) << file.path;
  }
}

TEST(GenConfTest, SendThreadsDefaultToTheDefaultCount) {
  GenConfOptions options = guide_options();
  options.send_thread_count.reset();
  options.default_send_thread_count = 7;
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(read_back(plan.files[0].text).get("sendMessageThreadPoolNums"), "7");
  EXPECT_THAT(plan.notes, ElementsAre(HasSubstr("sendMessageThreadPoolNums=7: the cores of this machine")));
}

TEST(GenConfTest, MachineCoreCountIsPositive) { EXPECT_GE(machine_core_count(), 1); }

TEST(GenConfTest, PeersAreNormalizedInEveryFile) {
  GenConfOptions options = guide_options();
  options.peers = " n0-127.0.0.1:40911 ; n1-LOCALHOST:40912;n2-127.0.0.1:40913;";
  for (const PlannedConf& file : plan_gen_conf(options).files) {
    EXPECT_EQ(read_back(file.text).get("dLegerPeers"), "n0-127.0.0.1:40911;n1-localhost:40912;n2-127.0.0.1:40913");
  }
}

TEST(GenConfTest, StoreRootIsNormalized) {
  GenConfOptions options = guide_options();
  options.store_root = "/data//rmqstore/";
  const common::JavaProperties n1 = read_back(plan_gen_conf(options).files.at(1).text);
  EXPECT_EQ(n1.get("storePathRootDir"), "/data/rmqstore/node01");
  EXPECT_EQ(n1.get("storePathCommitLog"), "/data/rmqstore/node01/commitlog");
}

TEST(GenConfTest, RelativeStoreRootIsAcceptedWithWarning) {
  GenConfOptions options = guide_options();
  options.store_root = "store";
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(read_back(plan.files.at(0).text).get("storePathRootDir"), "store/node00");
  EXPECT_THAT(plan.warnings, ElementsAre(HasSubstr("--store-root store is relative")));
}

TEST(GenConfTest, TwoNodesWithFlagWarn) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912";
  options.allow_two_nodes = true;
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(plan.files.size(), 2u);
  EXPECT_THAT(plan.warnings, ElementsAre(HasSubstr("two nodes cannot fail over")));
}

TEST(GenConfTest, LoopbackNamesrvWithRemotePeersWarns) {
  GenConfOptions options = guide_options();
  options.peers = "n0-10.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  EXPECT_THAT(plan_gen_conf(options).warnings, ElementsAre(HasSubstr("namesrvAddr 127.0.0.1:9876 is a loopback")));
}

TEST(GenConfTest, SeveralNameServersAreAccepted) {
  GenConfOptions options = guide_options();
  options.namesrv = "10.0.0.9:9876;ns2.example.com:9876";
  options.peers = "n0-10.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(read_back(plan.files.at(2).text).get("namesrvAddr"), "10.0.0.9:9876;ns2.example.com:9876");
  EXPECT_THAT(plan.warnings, IsEmpty());
}

TEST(GenConfTest, RenderEscapesValues) {
  NodeConf node;
  node.cluster_name = "c";
  node.broker_name = "b";
  node.store_root_dir = " leading space";
  node.carried = {{"weird key", "x\\y"}};
  node.carried_from = "old.conf";
  const common::JavaProperties back = read_back(render_broker_conf(node));
  EXPECT_EQ(back.get("storePathRootDir"), " leading space");
  EXPECT_EQ(back.get("weird key"), "x\\y");
}

TEST(GenConfRefusalTest, MissingPeers) {
  GenConfOptions options = guide_options();
  options.peers = "";
  EXPECT_THAT(plan_error(options), StartsWith("missing --peers"));
}

TEST(GenConfRefusalTest, MissingGroup) {
  GenConfOptions options = guide_options();
  options.group.reset();
  EXPECT_EQ(plan_error(options), "missing --group");
}

TEST(GenConfRefusalTest, MissingCluster) {
  GenConfOptions options = guide_options();
  options.cluster.reset();
  EXPECT_EQ(plan_error(options), "missing --cluster");
}

TEST(GenConfRefusalTest, MissingNamesrv) {
  GenConfOptions options = guide_options();
  options.namesrv.reset();
  EXPECT_EQ(plan_error(options), "missing --namesrv");
}

TEST(GenConfRefusalTest, MissingStoreRoot) {
  GenConfOptions options = guide_options();
  options.store_root = "";
  EXPECT_THAT(plan_error(options), StartsWith("missing --store-root"));
}

TEST(GenConfRefusalTest, MissingOut) {
  GenConfOptions options = guide_options();
  options.out_dir.clear();
  EXPECT_THAT(plan_error(options), StartsWith("missing --out"));
}

TEST(GenConfRefusalTest, MalformedPeersNameTheOption) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-127.0.0.1";
  EXPECT_THAT(plan_error(options), StartsWith("--peers: peer \"n1-127.0.0.1\" is not ID-HOST:PORT"));
}

TEST(GenConfRefusalTest, BadPeerId) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;nx-127.0.0.1:40912;n2-127.0.0.1:40913";
  EXPECT_THAT(plan_error(options), HasSubstr("id \"nx\" is not a letter followed by an integer"));
}

TEST(GenConfRefusalTest, RepeatedPeerId) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n0-127.0.0.1:40912;n2-127.0.0.1:40913";
  EXPECT_EQ(plan_error(options), "--peers: peer id \"n0\" appears twice");
}

TEST(GenConfRefusalTest, BadPeerHost) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.300:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913";
  EXPECT_THAT(plan_error(options), HasSubstr("host \"127.0.0.300\" is not an IPv4 address or hostname"));
}

TEST(GenConfRefusalTest, BadPeerPort) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:70000;n1-127.0.0.1:40912;n2-127.0.0.1:40913";
  EXPECT_THAT(plan_error(options), HasSubstr("port \"70000\" is not a port (1..65535)"));
}

TEST(GenConfRefusalTest, DuplicatePeerAddress) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-127.0.0.1:40911;n2-127.0.0.1:40913";
  EXPECT_EQ(plan_error(options), "--peers: peers n0 and n1 have the same address 127.0.0.1:40911");
}

TEST(GenConfRefusalTest, OnePeer) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911";
  options.allow_two_nodes = true;
  EXPECT_THAT(plan_error(options), HasSubstr("needs at least 3 peers"));
}

TEST(GenConfRefusalTest, TwoPeersWithoutFlag) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912";
  EXPECT_THAT(plan_error(options), HasSubstr("--allow-two-nodes"));
}

TEST(GenConfRefusalTest, LoopbackMixedWithOtherHosts) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  EXPECT_THAT(plan_error(options), StartsWith("peers mix loopback and other hosts"));
}

TEST(GenConfRefusalTest, GroupWithSpace) {
  GenConfOptions options = guide_options();
  options.group = "Raft Node";
  EXPECT_EQ(plan_error(options), "--group \"Raft Node\" contains whitespace or a control character");
}

TEST(GenConfRefusalTest, EmptyCluster) {
  GenConfOptions options = guide_options();
  options.cluster = "";
  EXPECT_EQ(plan_error(options), "--cluster is empty");
}

TEST(GenConfRefusalTest, NamesrvWithoutPort) {
  GenConfOptions options = guide_options();
  options.namesrv = "127.0.0.1";
  EXPECT_EQ(plan_error(options), "--namesrv entry \"127.0.0.1\" is not HOST:PORT (e.g. 127.0.0.1:9876)");
}

TEST(GenConfRefusalTest, NamesrvWithBadPort) {
  GenConfOptions options = guide_options();
  options.namesrv = "127.0.0.1:9876;127.0.0.1:0";
  EXPECT_THAT(plan_error(options), HasSubstr("port \"0\" is not a port"));
}

TEST(GenConfRefusalTest, SendThreadsZero) {
  GenConfOptions options = guide_options();
  options.send_thread_count = 0;
  EXPECT_EQ(plan_error(options), "--send-threads must be at least 1");
}

}  // namespace
}  // namespace rmq::migrate
