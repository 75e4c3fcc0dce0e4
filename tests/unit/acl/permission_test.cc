// Permission bits and checks as upstream's org.apache.rocketmq.acl.common.Permission defines them (4.x).
#include "broker/acl/permission.h"

#include <gtest/gtest.h>

namespace rmq::acl {
namespace {

TEST(AclPermission, ParsesTheFourUpstreamTexts) {
  EXPECT_EQ(parse_perm("DENY"), Perm{1});
  EXPECT_EQ(parse_perm("PUB"), Perm{4});
  EXPECT_EQ(parse_perm("SUB"), Perm{8});
  EXPECT_EQ(parse_perm("PUB|SUB"), Perm{12});
  EXPECT_EQ(parse_perm("SUB|PUB"), Perm{12});
  EXPECT_EQ(parse_perm(" SUB "), Perm{8});
  EXPECT_FALSE(parse_perm("pub"));
  EXPECT_FALSE(parse_perm("PUBLISH"));
  EXPECT_FALSE(parse_perm("PUB|"));
  EXPECT_FALSE(parse_perm(""));
}

TEST(AclPermission, OwnedDenyRefusesEverything) {
  EXPECT_FALSE(perm_allows(kPub, kDeny));
  EXPECT_FALSE(perm_allows(kSub, kDeny));
  EXPECT_FALSE(perm_allows(kAny, kDeny));
}

TEST(AclPermission, NeededBitsMustBeOwned) {
  EXPECT_TRUE(perm_allows(kPub, kPub));
  EXPECT_FALSE(perm_allows(kPub, kSub));
  EXPECT_TRUE(perm_allows(kSub, kSub));
  EXPECT_FALSE(perm_allows(kSub, kPub));
  EXPECT_TRUE(perm_allows(kPub, kPub | kSub));
  EXPECT_TRUE(perm_allows(kSub, kPub | kSub));
  EXPECT_TRUE(perm_allows(kAny, kPub));
  EXPECT_TRUE(perm_allows(kAny, kSub));
}

TEST(AclPermission, AdminCodes) {
  for (int code : {17, 25, 215, 200, 207}) EXPECT_TRUE(needs_admin(code)) << code;  // upstream ADMIN_CODE
  for (int code : {10, 11, 12, 14, 15, 34, 35, 36, 38, 310, 320, 105}) EXPECT_FALSE(needs_admin(code)) << code;
}

}  // namespace
}  // namespace rmq::acl
