// gen-conf --from: what an old Master-Slave broker.conf carries into the DLedger configs and what it loses,
// with the note an operator reads for each change (gen_conf.h, "--from").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "migrate/gen_conf.h"
#include "tests/unit/migrate/gen_conf_test_util.h"

namespace rmq::migrate {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using gen_conf_testing::plan_error;
using gen_conf_testing::read_back;

// An upstream 2m-2s-async master, as conf/2m-2s-async/broker-a.properties writes it, plus the usual edits.
constexpr const char* kOldMaster = R"(brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
deleteWhen=04
fileReservedTime=48
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=10.0.0.9:9876
listenPort=10911
storePathRootDir=/data/rocketmq/store
storePathCommitLog=/data/rocketmq/store/commitlog
storePathConsumeQueue=/data/rocketmq/store/consumequeue
brokerIP1=10.0.0.1
haListenPort=10912
mappedFileSizeCommitLog=1073741824
sendMessageThreadPoolNums=8
autoCreateTopicEnable=false
)";

constexpr const char* kThreeHosts = "n0-10.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911";

// --from old.conf with nothing else that the old config could supply.
GenConfOptions from_options(const char* old_text = kOldMaster) {
  GenConfOptions options;
  options.peers = kThreeHosts;
  options.store_root = "/data/dledger";
  options.out_dir = "conf/dledger";
  options.default_send_thread_count = 4;
  options.from = common::JavaProperties::parse(old_text, "old.conf");
  options.from_name = "old.conf";
  return options;
}

TEST(GenConfFromTest, IdentityComesFromTheOldConfig) {
  const common::JavaProperties n0 = read_back(plan_gen_conf(from_options()).files.at(0).text);
  EXPECT_EQ(n0.get("brokerClusterName"), "DefaultCluster");
  EXPECT_EQ(n0.get("brokerName"), "broker-a");
  EXPECT_EQ(n0.get("dLegerGroup"), "broker-a");
  EXPECT_EQ(n0.get("namesrvAddr"), "10.0.0.9:9876");
}

TEST(GenConfFromTest, TuningKeysCarryOverInFileOrderAfterTheGuideKeys) {
  const common::JavaProperties n1 = read_back(plan_gen_conf(from_options()).files.at(1).text);
  const std::vector<std::string>& keys = n1.keys_in_order();
  const std::vector<std::string> tail(keys.end() - 5, keys.end());
  EXPECT_THAT(tail, ElementsAre("deleteWhen", "fileReservedTime", "flushDiskType", "mappedFileSizeCommitLog",
                                "autoCreateTopicEnable"));
  EXPECT_EQ(n1.get("deleteWhen"), "04");
  EXPECT_EQ(n1.get("mappedFileSizeCommitLog"), "1073741824");
  EXPECT_EQ(n1.get("autoCreateTopicEnable"), "false");
}

TEST(GenConfFromTest, RoleIdentityPathAndPortKeysAreReplacedOrDropped) {
  const common::JavaProperties n2 = read_back(plan_gen_conf(from_options()).files.at(2).text);
  EXPECT_FALSE(n2.contains("brokerId"));
  EXPECT_FALSE(n2.contains("brokerRole"));
  EXPECT_FALSE(n2.contains("brokerIP1"));
  EXPECT_FALSE(n2.contains("haListenPort"));
  EXPECT_FALSE(n2.contains("storePathConsumeQueue"));
  EXPECT_EQ(n2.get("storePathRootDir"), "/data/dledger/node02");
  EXPECT_EQ(n2.get("storePathCommitLog"), "/data/dledger/node02/commitlog");
  EXPECT_EQ(n2.get("enableDLegerCommitLog"), "true");
  EXPECT_EQ(n2.get("dLegerSelfId"), "n2");
}

TEST(GenConfFromTest, EachDroppedKeyIsNotedWithItsLine) {
  const GenConfPlan plan = plan_gen_conf(from_options());
  EXPECT_THAT(plan.notes, Contains("old.conf:6: brokerRole=ASYNC_MASTER dropped: DLedger elects roles"));
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:3: brokerId=0 dropped")));
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:10: storePathRootDir=/data/rocketmq/store replaced")));
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:12: storePathConsumeQueue=/data/rocketmq/store/consumequeue "
                                             "dropped")));
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:13: brokerIP1=10.0.0.1 dropped")));
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:14: haListenPort=10912 dropped")));
}

TEST(GenConfFromTest, CarriedKeysAreListed) {
  EXPECT_THAT(plan_gen_conf(from_options()).notes,
              Contains("old.conf: carried over deleteWhen, fileReservedTime, flushDiskType, mappedFileSizeCommitLog, "
                       "autoCreateTopicEnable"));
}

TEST(GenConfFromTest, OldListenPortIsKeptAsTheBase) {
  const GenConfPlan plan = plan_gen_conf(from_options());
  for (const PlannedConf& file : plan.files) EXPECT_EQ(file.node.listen_port, 10911);
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:9: listenPort=10911 kept")));
}

TEST(GenConfFromTest, OldListenPortStepsOnOneHost) {
  GenConfOptions options = from_options();
  options.peers = gen_conf_testing::kGuidePeers;
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(plan.files.at(0).node.listen_port, 10911);
  EXPECT_EQ(plan.files.at(1).node.listen_port, 10921);
  EXPECT_EQ(plan.files.at(2).node.listen_port, 10931);
}

TEST(GenConfFromTest, OldListenPortIsCheckedForCollisions) {
  GenConfOptions options = from_options();
  options.peers = "n0-10.0.0.1:10912;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  EXPECT_EQ(plan_error(options),
            "port 10912 is used twice on 10.0.0.1: n0's DLedger port and n0's haListenPort (listenPort+1)");
}

TEST(GenConfFromTest, ExplicitListenPortsReplaceTheOldOne) {
  GenConfOptions options = from_options();
  options.listen_port_base = 30911;
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(plan.files.at(0).node.listen_port, 30911);
  EXPECT_THAT(plan.notes, Contains("old.conf:9: listenPort=10911 replaced by --listen-port-base"));
}

TEST(GenConfFromTest, ExplicitGroupAndClusterWinWithANote) {
  GenConfOptions options = from_options();
  options.group = "RaftNode00";
  options.cluster = "RaftCluster";
  const GenConfPlan plan = plan_gen_conf(options);
  const common::JavaProperties n0 = read_back(plan.files.at(0).text);
  EXPECT_EQ(n0.get("brokerName"), "RaftNode00");
  EXPECT_EQ(n0.get("dLegerGroup"), "RaftNode00");
  EXPECT_EQ(n0.get("brokerClusterName"), "RaftCluster");
  EXPECT_THAT(plan.notes, Contains("old.conf:2: brokerName=broker-a replaced by --group RaftNode00"));
  EXPECT_THAT(plan.notes, Contains("old.conf:1: brokerClusterName=DefaultCluster replaced by --cluster RaftCluster"));
}

TEST(GenConfFromTest, ExplicitValueEqualToOldIsNotNoted) {
  GenConfOptions options = from_options();
  options.group = "broker-a";
  EXPECT_THAT(plan_gen_conf(options).notes, Not(Contains(HasSubstr("brokerName="))));
}

TEST(GenConfFromTest, OldSendThreadsCarryOver) {
  EXPECT_EQ(read_back(plan_gen_conf(from_options()).files.at(0).text).get("sendMessageThreadPoolNums"), "8");
}

TEST(GenConfFromTest, ExplicitSendThreadsWinWithANote) {
  GenConfOptions options = from_options();
  options.send_thread_count = 16;
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_EQ(read_back(plan.files.at(0).text).get("sendMessageThreadPoolNums"), "16");
  EXPECT_THAT(plan.notes, Contains("old.conf:16: sendMessageThreadPoolNums=8 replaced by --send-threads 16"));
}

TEST(GenConfFromTest, DledgerKeysOfTheOldConfigAreReplaced) {
  const GenConfPlan plan = plan_gen_conf(from_options("brokerClusterName=c\nbrokerName=b\nnamesrvAddr=ns:9876\n"
                                                      "enableDLegerCommitLog=false\ndLegerPeers=x\n"));
  const common::JavaProperties n0 = read_back(plan.files.at(0).text);
  EXPECT_EQ(n0.get("enableDLegerCommitLog"), "true");
  EXPECT_EQ(n0.get("dLegerPeers"), kThreeHosts);
  EXPECT_THAT(plan.notes, Contains(HasSubstr("old.conf:5: dLegerPeers=x replaced")));
}

TEST(GenConfFromTest, MissingBrokerNameNamesTheFile) {
  EXPECT_EQ(plan_error(from_options("brokerClusterName=c\nnamesrvAddr=ns:9876\n")),
            "missing --group (old.conf has no brokerName)");
}

TEST(GenConfFromTest, BadOldListenPortNamesFileAndLine) {
  EXPECT_EQ(plan_error(from_options("brokerClusterName=c\nbrokerName=b\nnamesrvAddr=ns:9876\nlistenPort=ten\n")),
            "old.conf:4: listenPort=ten is not a port in 3..65534");
}

TEST(GenConfFromTest, BadOldSendThreadsNamesFileAndLine) {
  EXPECT_EQ(plan_error(from_options("brokerClusterName=c\nbrokerName=b\nnamesrvAddr=ns:9876\n"
                                    "sendMessageThreadPoolNums=0\n")),
            "old.conf:4: sendMessageThreadPoolNums=0 is not a positive integer");
}

TEST(GenConfFromTest, BadOldBrokerNameNamesFileAndLine) {
  EXPECT_EQ(plan_error(from_options("brokerClusterName=c\nbrokerName=broker a\nnamesrvAddr=ns:9876\n")),
            "brokerName in old.conf:2 \"broker a\" contains whitespace or a control character");
}

TEST(GenConfFromTest, CarryOverAloneSeparatesTheKeys) {
  const CarriedSettings carried = carry_over(common::JavaProperties::parse(kOldMaster, "old.conf"), "old.conf");
  EXPECT_EQ(carried.cluster_name, "DefaultCluster");
  EXPECT_EQ(carried.broker_name, "broker-a");
  EXPECT_EQ(carried.namesrv_addr, "10.0.0.9:9876");
  EXPECT_EQ(carried.listen_port, 10911);
  EXPECT_EQ(carried.send_thread_count, 8);
  EXPECT_EQ(carried.tuning.size(), 5u);
}

TEST(GenConfFromTest, RenderedFileNamesWhereCarriedKeysCameFrom) {
  EXPECT_THAT(plan_gen_conf(from_options()).files.at(0).text, HasSubstr("\n# Carried over from old.conf\n"));
}

TEST(GenConfFromTest, WithoutCarriedKeysThereIsNoCarriedSection) {
  const GenConfPlan plan = plan_gen_conf(from_options("brokerClusterName=c\nbrokerName=b\nnamesrvAddr=ns:9876\n"));
  EXPECT_THAT(plan.files.at(0).text, Not(HasSubstr("Carried over")));
  EXPECT_THAT(plan.warnings, IsEmpty());
}

}  // namespace
}  // namespace rmq::migrate
