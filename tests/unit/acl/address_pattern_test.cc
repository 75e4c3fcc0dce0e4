// The whiteRemoteAddress forms of upstream's RemoteAddressStrategyFactory (4.x).
#include "broker/acl/address_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::acl {
namespace {

AddressPattern must_parse(const std::string& text) {
  std::string error;
  auto p = AddressPattern::parse(text, &error);
  EXPECT_TRUE(p) << text << ": " << error;
  return p ? *p : AddressPattern();
}

std::string parse_error(const std::string& text) {
  std::string error;
  EXPECT_FALSE(AddressPattern::parse(text, &error)) << text << " should be refused";
  return error;
}

TEST(AclAddressPattern, StarMatchesEverything) {
  for (const char* text : {"*", "*.*.*.*"}) {
    const AddressPattern p = must_parse(text);
    EXPECT_TRUE(p.matches("127.0.0.1")) << text;
    EXPECT_TRUE(p.matches("10.255.0.3")) << text;
  }
}

TEST(AclAddressPattern, TrailingStarCoversTheRest) {
  const AddressPattern p = must_parse("192.168.0.*");
  EXPECT_TRUE(p.matches("192.168.0.1"));
  EXPECT_TRUE(p.matches("192.168.0.255"));
  EXPECT_FALSE(p.matches("192.168.1.1"));
  EXPECT_FALSE(p.matches("10.168.0.1"));
  const AddressPattern two = must_parse("192.168.*");
  EXPECT_TRUE(two.matches("192.168.7.9"));
  EXPECT_FALSE(two.matches("192.169.7.9"));
}

TEST(AclAddressPattern, RangeInTheLastOctetIncludesBothEnds) {
  const AddressPattern p = must_parse("192.168.1.1-100");
  EXPECT_FALSE(p.matches("192.168.1.0"));
  EXPECT_TRUE(p.matches("192.168.1.1"));
  EXPECT_TRUE(p.matches("192.168.1.50"));
  EXPECT_TRUE(p.matches("192.168.1.100"));
  EXPECT_FALSE(p.matches("192.168.1.101"));
  EXPECT_FALSE(p.matches("192.168.2.50"));
}

TEST(AclAddressPattern, BraceListAndCommaList) {
  const AddressPattern braces = must_parse("192.168.1.{1,2}");
  EXPECT_TRUE(braces.matches("192.168.1.1"));
  EXPECT_TRUE(braces.matches("192.168.1.2"));
  EXPECT_FALSE(braces.matches("192.168.1.3"));
  EXPECT_FALSE(braces.matches("192.168.1.12"));
  const AddressPattern list = must_parse("192.168.1.1,10.0.0.7");
  EXPECT_TRUE(list.matches("192.168.1.1"));
  EXPECT_TRUE(list.matches("10.0.0.7"));
  EXPECT_FALSE(list.matches("10.0.0.8"));
}

TEST(AclAddressPattern, ExactAddress) {
  const AddressPattern p = must_parse("127.0.0.1");
  EXPECT_TRUE(p.matches("127.0.0.1"));
  EXPECT_FALSE(p.matches("127.0.0.2"));
  EXPECT_FALSE(p.matches("127.0.0.10"));
}

TEST(AclAddressPattern, EmptyPatternAdmitsNothing) {
  const AddressPattern p = must_parse("");
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.matches("127.0.0.1"));
  EXPECT_FALSE(AddressPattern().matches("127.0.0.1"));
}

TEST(AclAddressPattern, UnreadablePatternsAreRefused) {
  EXPECT_NE(parse_error("192.168.1.300").find("192.168.1.300"), std::string::npos);
  parse_error("192.168.1.100-1");  // low above high
  parse_error("192.168.1");        // fewer than 4 octets without '*'
  parse_error("1.2.3.4.5");
  parse_error("192.168.1.{1,2");
  parse_error("192.168.1.1,,192.168.1.2");
}

TEST(AclAddressPattern, NotAnAddressNeverMatchesAnIpv4Pattern) {
  const AddressPattern p = must_parse("192.168.0.*");
  EXPECT_FALSE(p.matches("192.168.0"));
  EXPECT_FALSE(p.matches("::1"));
  EXPECT_FALSE(p.matches(""));
}

TEST(AclAddressPattern, StripPort) {
  EXPECT_EQ(strip_port("127.0.0.1:51234"), "127.0.0.1");
  EXPECT_EQ(strip_port("[::1]:51234"), "::1");
  EXPECT_EQ(strip_port("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(strip_port("::1"), "::1");
}

}  // namespace
}  // namespace rmq::acl
