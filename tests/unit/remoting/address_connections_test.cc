// AddressConnections (serverMaxConnectionsPerAddress): counts per source address, refuses at the limit,
// frees slots on release, keeps addresses apart.
#include "broker/remoting/address_connections.h"

#include <gtest/gtest.h>

namespace rmq::remoting {
namespace {

TEST(AddressConnections, RefusesAtTheLimitPerAddress) {
  AddressConnections counts;
  EXPECT_TRUE(counts.try_acquire("10.0.0.1", 2));
  EXPECT_TRUE(counts.try_acquire("10.0.0.1", 2));
  EXPECT_FALSE(counts.try_acquire("10.0.0.1", 2));
  EXPECT_EQ(counts.count("10.0.0.1"), 2);
  EXPECT_TRUE(counts.try_acquire("10.0.0.2", 2));  // another address has its own slots
  counts.release("10.0.0.1");
  EXPECT_EQ(counts.count("10.0.0.1"), 1);
  EXPECT_TRUE(counts.try_acquire("10.0.0.1", 2));
  counts.release("10.0.0.1");
  counts.release("10.0.0.1");
  EXPECT_EQ(counts.count("10.0.0.1"), 0);
  EXPECT_FALSE(counts.try_acquire("10.0.0.3", 0));
  EXPECT_EQ(counts.count("10.0.0.3"), 0);
}

}  // namespace
}  // namespace rmq::remoting
