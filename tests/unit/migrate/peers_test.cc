// The DLedger peer list parser and the group rules (migrate/peers.h): what is accepted, how it is
// normalized, and one test per refusal with the message an operator sees.
#include "migrate/peers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/common/java_properties.h"

namespace rmq::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string parse_error(std::string_view text) {
  try {
    parse_peers(text);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string group_error(const std::vector<Peer>& peers, bool allow_two_nodes) {
  try {
    check_peer_group(peers, allow_two_nodes);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ParsePeersTest, GuideExample) {
  EXPECT_THAT(parse_peers("n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913"),
              ElementsAre(Peer{"n0", "127.0.0.1", 40911}, Peer{"n1", "127.0.0.1", 40912},
                          Peer{"n2", "127.0.0.1", 40913}));
}

TEST(ParsePeersTest, HostnamesWithDashesAndCase) {
  EXPECT_THAT(parse_peers("n0-Broker-A.example.com:40911;n1-broker-b:40911"),
              ElementsAre(Peer{"n0", "broker-a.example.com", 40911}, Peer{"n1", "broker-b", 40911}));
}

TEST(ParsePeersTest, KeepsGivenOrder) {
  EXPECT_THAT(parse_peers("n2-h2:1;n0-h0:1;n1-h1:1"),
              ElementsAre(Peer{"n2", "h2", 1}, Peer{"n0", "h0", 1}, Peer{"n1", "h1", 1}));
}

TEST(ParsePeersTest, ToleratesSpacesAndTrailingSemicolon) {
  EXPECT_EQ(format_peers(parse_peers(" n0-10.0.0.1:40911 ; n1-10.0.0.2:40911;\n")),
            "n0-10.0.0.1:40911;n1-10.0.0.2:40911");
}

TEST(ParsePeersTest, FormatNormalizes) {
  EXPECT_EQ(format_peers(parse_peers("n0-HOST-A:1;n1-host-b:2")), "n0-host-a:1;n1-host-b:2");
}

TEST(ParsePeersTest, RefusesEmptyList) { EXPECT_THAT(parse_error("  "), HasSubstr("peer list is empty")); }

TEST(ParsePeersTest, RefusesEmptyEntry) {
  EXPECT_THAT(parse_error("n0-h:1;;n1-h:2"), HasSubstr("has an empty entry"));
}

TEST(ParsePeersTest, RefusesEntryWithoutDash) {
  EXPECT_EQ(parse_error("n0127.0.0.1:40911"),
            "peer \"n0127.0.0.1:40911\" is not ID-HOST:PORT (e.g. n0-127.0.0.1:40911)");
}

TEST(ParsePeersTest, RefusesEntryWithoutPort) {
  EXPECT_THAT(parse_error("n0-127.0.0.1"), HasSubstr("is not ID-HOST:PORT"));
}

TEST(ParsePeersTest, RefusesIdWithoutNumber) {
  EXPECT_EQ(parse_error("node-127.0.0.1:40911"),
            "peer \"node-127.0.0.1:40911\": id \"node\" is not a letter followed by an integer (e.g. n0)");
}

TEST(ParsePeersTest, RefusesIdStartingWithDigit) {
  EXPECT_THAT(parse_error("0n-127.0.0.1:40911"), HasSubstr("id \"0n\" is not a letter followed by an integer"));
}

TEST(ParsePeersTest, RefusesEmptyId) {
  EXPECT_THAT(parse_error("-127.0.0.1:40911"), HasSubstr("id \"\" is not a letter followed by an integer"));
}

TEST(ParsePeersTest, RefusesRepeatedId) {
  EXPECT_EQ(parse_error("n0-127.0.0.1:40911;n0-127.0.0.1:40912"), "peer id \"n0\" appears twice");
}

TEST(ParsePeersTest, RefusesBadIpv4) {
  EXPECT_EQ(parse_error("n0-256.0.0.1:40911"),
            "peer \"n0-256.0.0.1:40911\": host \"256.0.0.1\" is not an IPv4 address or hostname");
}

TEST(ParsePeersTest, RefusesShortIpv4) {
  EXPECT_THAT(parse_error("n0-127.0.1:40911"), HasSubstr("host \"127.0.1\" is not an IPv4 address or hostname"));
}

TEST(ParsePeersTest, RefusesHostWithUnderscore) {
  EXPECT_THAT(parse_error("n0-bad_host:40911"), HasSubstr("host \"bad_host\""));
}

TEST(ParsePeersTest, RefusesIpv6) { EXPECT_THAT(parse_error("n0-::1:40911"), HasSubstr("host \"::1\"")); }

TEST(ParsePeersTest, RefusesEmptyHost) { EXPECT_THAT(parse_error("n0-:40911"), HasSubstr("host \"\"")); }

TEST(ParsePeersTest, RefusesPortZero) {
  EXPECT_EQ(parse_error("n0-127.0.0.1:0"), "peer \"n0-127.0.0.1:0\": port \"0\" is not a port (1..65535)");
}

TEST(ParsePeersTest, RefusesPortAboveRange) {
  EXPECT_THAT(parse_error("n0-127.0.0.1:65536"), HasSubstr("port \"65536\" is not a port (1..65535)"));
}

TEST(ParsePeersTest, RefusesNonNumericPort) {
  EXPECT_THAT(parse_error("n0-127.0.0.1:40x11"), HasSubstr("port \"40x11\" is not a port"));
}

TEST(ParsePeersTest, RefusesDuplicateAddress) {
  EXPECT_EQ(parse_error("n0-127.0.0.1:40911;n1-127.0.0.1:40911"),
            "peers n0 and n1 have the same address 127.0.0.1:40911");
}

TEST(ParsePeersTest, DuplicateAddressIgnoresHostCase) {
  EXPECT_THAT(parse_error("n0-Host-A:40911;n1-host-a:40911"), HasSubstr("same address host-a:40911"));
}

TEST(PeerGroupTest, ThreePeersPassWithoutWarnings) {
  EXPECT_THAT(check_peer_group(parse_peers("n0-h0:1;n1-h1:1;n2-h2:1"), false), IsEmpty());
}

TEST(PeerGroupTest, OnePeerIsAlwaysRefused) {
  EXPECT_EQ(group_error(parse_peers("n0-127.0.0.1:40911"), true),
            "a DLedger group needs at least 3 peers to fail over; got 1");
}

TEST(PeerGroupTest, TwoPeersRefusedWithoutFlag) {
  EXPECT_THAT(group_error(parse_peers("n0-127.0.0.1:40911;n1-127.0.0.1:40912"), false),
              HasSubstr("got 2 (pass --allow-two-nodes"));
}

TEST(PeerGroupTest, TwoPeersWithFlagWarnTheyCannotFailOver) {
  EXPECT_THAT(check_peer_group(parse_peers("n0-127.0.0.1:40911;n1-127.0.0.1:40912"), true),
              ElementsAre(HasSubstr("two nodes cannot fail over")));
}

TEST(PeerGroupTest, RefusesLoopbackMixedWithOtherHosts) {
  EXPECT_EQ(group_error(parse_peers("n0-127.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911"), false),
            "peers mix loopback and other hosts (n0 on 127.0.0.1, n1 on 10.0.0.2): the other machines cannot "
            "reach a loopback address");
}

TEST(PeerGroupTest, RefusesLocalhostMixedWithOtherHosts) {
  EXPECT_THAT(group_error(parse_peers("n0-broker-a:40911;n1-localhost:40911;n2-broker-c:40911"), false),
              HasSubstr("peers mix loopback and other hosts"));
}

TEST(PeerGroupTest, RefusesTwoLoopbackNamesForOneAddress) {
  EXPECT_EQ(group_error(parse_peers("n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-localhost:40912"), false),
            "peers n1 (127.0.0.1:40912) and n2 (localhost:40912) are the same address: both are loopback");
}

TEST(HostTest, Ipv4Literals) {
  EXPECT_TRUE(is_ipv4_literal("127.0.0.1"));
  EXPECT_TRUE(is_ipv4_literal("0.0.0.0"));
  EXPECT_TRUE(is_ipv4_literal("255.255.255.255"));
  EXPECT_FALSE(is_ipv4_literal("256.1.1.1"));
  EXPECT_FALSE(is_ipv4_literal("1.2.3"));
  EXPECT_FALSE(is_ipv4_literal("1.2.3.4.5"));
  EXPECT_FALSE(is_ipv4_literal("01.2.3.4"));
  EXPECT_FALSE(is_ipv4_literal("1..3.4"));
}

TEST(HostTest, Hostnames) {
  EXPECT_TRUE(is_hostname("localhost"));
  EXPECT_TRUE(is_hostname("broker-a.example.com"));
  EXPECT_TRUE(is_hostname("a1"));
  EXPECT_FALSE(is_hostname("-broker"));
  EXPECT_FALSE(is_hostname("broker-"));
  EXPECT_FALSE(is_hostname("broker..a"));
  EXPECT_FALSE(is_hostname("1.2.3"));
  EXPECT_FALSE(is_hostname(std::string(64, 'a')));
  EXPECT_FALSE(is_hostname(""));
}

TEST(HostTest, LoopbackIsOneMachine) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("LOCALHOST"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("127.example.com"));
  EXPECT_EQ(machine_key("127.0.0.2"), machine_key("localhost"));
  EXPECT_EQ(machine_key("Broker-A"), "broker-a");
}

TEST(ParsePortTest, AcceptsRange) {
  EXPECT_EQ(parse_port("1", "p"), 1);
  EXPECT_EQ(parse_port("65535", "p"), 65535);
}

TEST(ParsePortTest, MessageNamesWhat) {
  try {
    parse_port("99999", "--listen-port-base");
    ADD_FAILURE() << "no error";
  } catch (const common::ConfigError& e) {
    EXPECT_STREQ(e.what(), "--listen-port-base \"99999\" is not a port (1..65535)");
  }
}

}  // namespace
}  // namespace rmq::migrate
