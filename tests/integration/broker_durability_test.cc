// What survives a restart of the real broker: consumer offsets and topics across a clean stop (SIGTERM), every
// acknowledged message across a SIGKILL in both flush modes; and the start-up exit codes (2 config, 5 port or
// store in use).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

TEST(BrokerDurabilityTest, OffsetsAndTopicsSurviveACleanRestart) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicKeep", 2).code, rc::kSuccess);
  ASSERT_EQ(h.send("TopicKeep", 1, "x").code, rc::kSuccess);
  RemotingCommand update = remoting::make_request(code::kUpdateConsumerOffset);
  update.ext_fields.set("consumerGroup", "GID_keep");
  update.ext_fields.set("topic", "TopicKeep");
  update.ext_fields.set_int("queueId", 1);
  update.ext_fields.set_int("commitOffset", 1);
  ASSERT_EQ(h.call(update).code, rc::kSuccess);
  ASSERT_EQ(h.stop_broker(), 0) << h.broker_log();
  ASSERT_TRUE(std::filesystem::exists(h.store_dir() / "config" / "consumerOffset.json"));
  EXPECT_FALSE(std::filesystem::exists(h.store_dir() / "abort")) << "a clean stop removes the abort file";

  h.start_broker();
  RemotingCommand query = remoting::make_request(code::kQueryConsumerOffset);
  query.ext_fields.set("consumerGroup", "GID_keep");
  query.ext_fields.set("topic", "TopicKeep");
  query.ext_fields.set_int("queueId", 1);
  auto offset = h.call(query);
  ASSERT_EQ(offset.code, rc::kSuccess);
  EXPECT_EQ(offset.ext_fields.get("offset"), "1");
  // The topic came back from topics.json (two queues, so queue 1 is valid), and the message from the store.
  auto records = h.pull_until("GID_keep", "TopicKeep", 1, 0, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(BrokerHarness::body_text(records[0]), "x");
  ASSERT_EQ(h.send("TopicKeep", 1, "y").ext_fields.get("queueOffset"), "1");
}

// Sends from several threads while the broker is SIGKILLed; every message that was acknowledged must be there
// after the restart (message_store.h crash contract).
void acked_messages_survive_sigkill(const std::string& flush_conf) {
  BrokerHarness h(flush_conf);
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicCrash", 2).code, rc::kSuccess);
  std::mutex mutex;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> sent_total{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      auto conn = h.connect_broker();
      for (int i = 0; !stop.load(); ++i) {
        const std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto result = conn->invoke_sync(BrokerHarness::send_request("TopicCrash", t % 2, body), 3000);
        if (!result.ok()) return;  // the broker is gone
        if (result.response.code == rc::kSuccess) {
          std::lock_guard lock(mutex);
          acked.insert(body);
        }
        ++sent_total;
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (sent_total.load() < 400 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  h.kill_broker();
  stop = true;
  for (auto& s : senders) s.join();
  ASSERT_GE(acked.size(), 300u);

  h.start_broker();
  std::set<std::string> found;
  for (int queue = 0; queue < 2; ++queue) {
    RemotingCommand max_request = remoting::make_request(code::kGetMaxOffset);
    max_request.ext_fields.set("topic", "TopicCrash");
    max_request.ext_fields.set_int("queueId", queue);
    const auto max = h.call(max_request).ext_fields.get_int64("offset").value_or(0);
    for (const auto& r : h.pull_until("GID_crash", "TopicCrash", queue, 0, static_cast<std::size_t>(max))) {
      found.insert(BrokerHarness::body_text(r));
    }
  }
  std::size_t missing = 0;
  for (const auto& body : acked) {
    if (found.count(body) == 0) ++missing;
  }
  EXPECT_EQ(missing, 0u) << missing << " of " << acked.size() << " acknowledged messages lost\n" << h.broker_log();
}

TEST(BrokerDurabilityTest, AckedMessagesSurviveSigkillWithAsyncFlush) {
  acked_messages_survive_sigkill("flushDiskType=ASYNC_FLUSH\n");
}

TEST(BrokerDurabilityTest, AckedMessagesSurviveSigkillWithSyncFlush) {
  acked_messages_survive_sigkill("flushDiskType=SYNC_FLUSH\n");
}

TEST(BrokerDurabilityTest, StartupExitCodes) {
  testing::TempDir dir;
  auto run = [&](const std::string& conf_text, const std::string& name) {
    const auto conf = dir.path() / (name + ".conf");
    std::ofstream(conf) << conf_text;
    test_support::BackgroundProcess p({RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir.path() / (name + ".log"));
    for (int i = 0; i < 600 && p.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return std::make_pair(p.exit_code(), p.log());
  };
  const std::uint16_t port = test_support::free_tcp_port(true);
  const std::string base = "brokerIP1=127.0.0.1\nlistenPort=" + std::to_string(port) + "\nstorePathRootDir=" +
                           (dir.path() / "store").string() + "\nmappedFileSizeCommitLog=1048576\n";
  auto [bad_code, bad_log] = run(base + "listenPort=abc\n", "bad");
  EXPECT_EQ(bad_code, 2) << bad_log;
  EXPECT_NE(bad_log.find("listenPort"), std::string::npos) << bad_log;
  auto [dledger_code, dledger_log] = run(base + "enableDLegerCommitLog=true\n", "dledger");
  EXPECT_EQ(dledger_code, 2) << dledger_log;
  // DLedger mode without its group keys: refused at load, naming the key.
  EXPECT_NE(dledger_log.find("key dLegerGroup"), std::string::npos) << dledger_log;

  // A running broker holds the store lock and the port: a second one on the same store exits 5.
  const auto conf = dir.path() / "ok.conf";
  std::ofstream(conf) << base;
  test_support::BackgroundProcess first({RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir.path() / "ok.log");
  ASSERT_TRUE(first.wait_for_port(port, std::chrono::seconds(30))) << first.log();
  auto [locked_code, locked_log] = run(base, "second");
  EXPECT_EQ(locked_code, 5) << locked_log;
  EXPECT_EQ(first.stop(), 0) << first.log();
}

}  // namespace
}  // namespace rmq::integration
