// rmq-broker in DLedger mode refuses to start, with exit 4 (refused, man/rmq-broker.8 EXIT STATUS) and one
// line saying how to repair it, over a DLedger store that lost entries its group committed: its checkpoint
// says entries up to DLedger index 5 were committed, but its data file holds none (a replaced disk, a
// truncated log). The Raft core refuses such a state (raft::StartRefused); a node that voted and acknowledged
// as if it had nothing to lose could let the group lose committed messages.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

TEST(DLedgerStartRefusedTest, LostCommittedEntriesExit4WithRepairHint) {
  testing::TempDir dir;
  const std::uint16_t port = test_support::free_tcp_port(true);
  std::string peers;
  for (int i = 0; i < 3; ++i) {
    peers += (i > 0 ? ";" : "") + std::string("n") + std::to_string(i) + "-127.0.0.1:" +
             std::to_string(test_support::free_tcp_port());
  }
  const auto store = dir.path() / "store";
  const auto conf = dir.path() / "broker.conf";
  std::ofstream(conf) << "brokerName=RaftNode00\nbrokerIP1=127.0.0.1\nlistenPort=" << port
                      << "\nstorePathRootDir=" << store.string() << "\nmappedFileSizeCommitLog=1048576\n"
                      << "enableDLegerCommitLog=true\ndLegerGroup=RaftNode00\ndLegerPeers=" << peers
                      << "\ndLegerSelfId=n0\n";

  // First start: the node creates its (empty) DLedger store; a clean stop.
  {
    test_support::BackgroundProcess first({RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir.path() / "1.log");
    ASSERT_TRUE(first.wait_for_port(port, std::chrono::seconds(30))) << first.log();
    ASSERT_EQ(first.stop(), 0) << first.log();
  }
  // The checkpoint (storage.md: endIndex / committedIndex lines) now claims committed entries 0..5.
  const auto checkpoint = store / "dledger-n0" / "checkpoint";
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  std::ofstream(checkpoint, std::ios::trunc) << "endIndex=5\ncommittedIndex=5\n";

  test_support::BackgroundProcess second({RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir.path() / "2.log");
  for (int i = 0; i < 600 && second.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::string log = second.log();
  EXPECT_EQ(second.exit_code(), 4) << log;
  EXPECT_NE(log.find("lost committed entries"), std::string::npos) << log;
  EXPECT_NE(log.find("restore " + (store / "dledger-n0").string() + " from a caught-up peer"), std::string::npos)
      << log;
  EXPECT_FALSE(test_support::port_accepts(port));
}

}  // namespace
}  // namespace rmq::integration
