// Listen-port layout and collision rules of gen-conf (gen_conf.h, "Ports"): a broker uses listenPort,
// listenPort-2 and listenPort+1, its DLedger member the peer's port, and no two of those may meet on one
// machine. Every loopback address is one machine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "migrate/gen_conf.h"
#include "tests/unit/migrate/gen_conf_test_util.h"

namespace rmq::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using gen_conf_testing::guide_options;
using gen_conf_testing::plan_error;

std::vector<int> listen_ports_of(const GenConfPlan& plan) {
  std::vector<int> ports;
  for (const PlannedConf& file : plan.files) ports.push_back(file.node.listen_port);
  return ports;
}

TEST(GenConfPortsTest, DefaultOnOneHostStepsByTen) {
  EXPECT_THAT(listen_ports_of(plan_gen_conf(guide_options())), ElementsAre(30911, 30921, 30931));
}

TEST(GenConfPortsTest, DefaultOnThreeHostsIsTheSamePort) {
  GenConfOptions options = guide_options();
  options.peers = "n0-10.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  options.namesrv = "10.0.0.9:9876";
  EXPECT_THAT(listen_ports_of(plan_gen_conf(options)), ElementsAre(30911, 30911, 30911));
}

TEST(GenConfPortsTest, DefaultStepsOnlyAmongNodesSharingAHost) {
  GenConfOptions options = guide_options();
  options.peers = "n0-host-a:40911;n1-host-b:40911;n2-host-a:40912";
  options.namesrv = "ns:9876";
  EXPECT_THAT(listen_ports_of(plan_gen_conf(options)), ElementsAre(30911, 30911, 30921));
}

TEST(GenConfPortsTest, LocalhostAndLoopbackIpAreOneHost) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-localhost:40912;n2-127.0.0.2:40913";
  EXPECT_THAT(listen_ports_of(plan_gen_conf(options)), ElementsAre(30911, 30921, 30931));
}

TEST(GenConfPortsTest, DefaultMovesAwayFromDledgerPorts) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:30911;n1-127.0.0.1:30912;n2-127.0.0.1:30913";
  const GenConfPlan plan = plan_gen_conf(options);
  EXPECT_THAT(listen_ports_of(plan), ElementsAre(31911, 31921, 31931));
  EXPECT_THAT(plan.notes, ElementsAre(HasSubstr("default listen ports moved to base 31911")));
}

TEST(GenConfPortsTest, ListenPortBaseSteps) {
  GenConfOptions options = guide_options();
  options.listen_port_base = 10911;
  EXPECT_THAT(listen_ports_of(plan_gen_conf(options)), ElementsAre(10911, 10921, 10931));
}

TEST(GenConfPortsTest, ListenPortsAreTakenAsGiven) {
  GenConfOptions options = guide_options();
  options.listen_ports = {20911, 21911, 22911};
  EXPECT_THAT(listen_ports_of(plan_gen_conf(options)), ElementsAre(20911, 21911, 22911));
}

TEST(GenConfPortsTest, ListenPortsCountMustMatchPeers) {
  GenConfOptions options = guide_options();
  options.listen_ports = {20911, 21911};
  EXPECT_EQ(plan_error(options), "--listen-ports has 2 ports for 3 peers");
}

TEST(GenConfPortsTest, ListenPortBaseAndListenPortsExcludeEachOther) {
  GenConfOptions options = guide_options();
  options.listen_port_base = 10911;
  options.listen_ports = {20911, 21911, 22911};
  EXPECT_EQ(plan_error(options), "--listen-port-base and --listen-ports exclude each other");
}

TEST(GenConfPortsTest, ListenPortNeedsRoomBelowForFastPort) {
  GenConfOptions options = guide_options();
  options.listen_ports = {2, 30921, 30931};
  EXPECT_THAT(plan_error(options), HasSubstr("gives n0 listenPort 2, outside 3..65534"));
}

TEST(GenConfPortsTest, ListenPortNeedsRoomAboveForHaPort) {
  GenConfOptions options = guide_options();
  options.listen_port_base = 65520;
  EXPECT_THAT(plan_error(options), HasSubstr("--listen-port-base gives n2 listenPort 65540"));
}

TEST(GenConfPortsTest, SameListenPortOnOneHostCollides) {
  GenConfOptions options = guide_options();
  options.listen_ports = {30911, 30911, 30931};
  EXPECT_EQ(plan_error(options), "port 30911 is used twice on 127.0.0.1: n0's listenPort and n1's listenPort");
}

TEST(GenConfPortsTest, HaPortMeetsNextNodesFastPort) {
  GenConfOptions options = guide_options();
  options.listen_ports = {30911, 30914, 30931};  // n0 uses 30912 (HA), n1 uses 30912 (fast)
  EXPECT_EQ(plan_error(options),
            "port 30912 is used twice on 127.0.0.1: n0's haListenPort (listenPort+1) and n1's fastListenPort "
            "(listenPort-2)");
}

TEST(GenConfPortsTest, ListenPortMeetsDledgerPort) {
  GenConfOptions options = guide_options();
  options.listen_ports = {40912, 30921, 30931};
  EXPECT_EQ(plan_error(options), "port 40912 is used twice on 127.0.0.1: n1's DLedger port and n0's listenPort");
}

TEST(GenConfPortsTest, HaPortMeetsDledgerPort) {
  GenConfOptions options = guide_options();
  options.listen_port_base = 40910;  // n0's haListenPort is 40911, n0's DLedger port
  EXPECT_THAT(plan_error(options), HasSubstr("port 40911 is used twice on 127.0.0.1: n0's DLedger port and n0's "
                                             "haListenPort (listenPort+1)"));
}

TEST(GenConfPortsTest, LoopbackAliasesWithOnePortAreOneAddress) {
  GenConfOptions options = guide_options();
  options.peers = "n0-127.0.0.1:40911;n1-localhost:40911;n2-127.0.0.1:40913";
  EXPECT_EQ(plan_error(options),
            "peers n0 (127.0.0.1:40911) and n1 (localhost:40911) are the same address: both are loopback");
}

TEST(GenConfPortsTest, SamePortsOnDifferentHostsAreFine) {
  GenConfOptions options = guide_options();
  options.peers = "n0-10.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  options.namesrv = "10.0.0.9:9876";
  options.listen_ports = {30911, 30911, 30911};
  EXPECT_THAT(plan_gen_conf(options).notes, IsEmpty());
}

TEST(GenConfPortsTest, DledgerPortMeetsListenPortOnSameRemoteHost) {
  GenConfOptions options = guide_options();
  options.peers = "n0-10.0.0.1:30912;n1-10.0.0.2:40911;n2-10.0.0.3:40911";
  options.namesrv = "10.0.0.9:9876";
  options.listen_port_base = 30911;
  EXPECT_EQ(plan_error(options),
            "port 30912 is used twice on 10.0.0.1: n0's DLedger port and n0's haListenPort (listenPort+1)");
}

TEST(GenConfPortsTest, CheckPortCollisionsAcceptsTheGuideLayout) {
  const std::vector<Peer> peers = parse_peers(gen_conf_testing::kGuidePeers);
  EXPECT_NO_THROW(check_port_collisions(peers, {30911, 30921, 30931}));
  EXPECT_THROW(check_port_collisions(peers, {30911, 30912, 30931}), common::ConfigError);
}

}  // namespace
}  // namespace rmq::migrate
