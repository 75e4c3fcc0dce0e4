// broker.conf parsing: upstream keys and defaults, precedence of -n / file / NAMESRV_ADDR, warnings for unknown
// keys, one-line errors naming key and file for bad values.
#include <gtest/gtest.h>

#include "broker/server/broker_config.h"

namespace rmq::server {
namespace {

BrokerConfigLoad parse(const std::string& text, std::optional<std::string> cli = std::nullopt,
                       std::optional<std::string> env = std::nullopt) {
  return parse_broker_config(common::JavaProperties::parse(text, "conf/broker.conf"), "conf/broker.conf", cli, env);
}

TEST(BrokerConfigTest, DefaultsAreTheUpstreamOnes) {
  auto load = parse("brokerIP1=10.0.0.5\n");
  const BrokerConfig& c = load.config;
  EXPECT_EQ(c.broker_cluster_name, "DefaultCluster");
  EXPECT_FALSE(c.broker_name.empty());  // the host name
  EXPECT_EQ(c.broker_id, 0);
  EXPECT_EQ(c.listen_port, 10911);
  EXPECT_EQ(c.ha_listen_port, 10912);
  EXPECT_EQ(c.mapped_file_size_commit_log, 1073741824);
  EXPECT_EQ(c.mapped_file_size_consume_queue, 6000000);
  EXPECT_FALSE(c.sync_flush);
  EXPECT_EQ(c.flush_interval_commit_log_ms, 500);
  EXPECT_EQ(c.sync_flush_timeout_ms, 5000);
  EXPECT_EQ(c.max_message_size, 4194304);
  EXPECT_TRUE(c.auto_create_topic_enable);
  EXPECT_TRUE(c.auto_create_subscription_group);
  EXPECT_EQ(c.default_topic_queue_nums, 8);
  EXPECT_EQ(c.broker_permission, 6);
  EXPECT_TRUE(c.long_polling_enable);
  EXPECT_EQ(c.register_name_server_period_ms, 30000);
  EXPECT_EQ(c.flush_consumer_offset_interval_ms, 5000);
  EXPECT_EQ(c.max_transfer_count_on_message_in_memory, 32);
  EXPECT_EQ(c.max_transfer_bytes_on_message_in_memory, 262144);
  EXPECT_EQ(c.message_delay_level, "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h");
  EXPECT_TRUE(c.store_path_root_dir.ends_with("/store"));
  EXPECT_EQ(c.store_host_address(), "10.0.0.5:10911");
  EXPECT_FALSE(c.enable_dleger_commit_log);
  EXPECT_TRUE(load.warnings.empty());
}

TEST(BrokerConfigTest, KeysFromTheFileAreApplied) {
  auto load = parse(
      "brokerClusterName = C1\nbrokerName=broker-a\nbrokerId=1\nbrokerIP1=192.168.1.9\nlistenPort=20911\n"
      "storePathRootDir=/data/store\nstorePathCommitLog=/data/cl\nflushDiskType=SYNC_FLUSH\n"
      "mappedFileSizeCommitLog=1048576\nautoCreateTopicEnable=false\ndefaultTopicQueueNums=4\n"
      "brokerRole=SLAVE\nmessageDelayLevel=1s 2s\nenableDLegerCommitLog=false\ndLegerGroup=g\n"
      "dLegerPeers=n0-127.0.0.1:40911\ndLegerSelfId=n0\nhaListenPort=30912\n");
  const BrokerConfig& c = load.config;
  EXPECT_EQ(c.broker_cluster_name, "C1");
  EXPECT_EQ(c.broker_name, "broker-a");
  EXPECT_EQ(c.broker_id, 1);
  EXPECT_EQ(c.listen_port, 20911);
  EXPECT_EQ(c.ha_listen_port, 30912);
  EXPECT_EQ(c.store_path_root_dir, "/data/store");
  EXPECT_TRUE(c.sync_flush);
  EXPECT_EQ(c.mapped_file_size_commit_log, 1048576);
  EXPECT_FALSE(c.auto_create_topic_enable);
  EXPECT_EQ(c.broker_role, BrokerRole::kSlave);
  EXPECT_EQ(c.dleger_self_id, "n0");
  const auto store = c.store_config();
  EXPECT_EQ(store.commitlog_dir, "/data/cl");
  EXPECT_TRUE(store.sync_flush);
  EXPECT_EQ(store.delay_level_ms, (std::vector<std::int64_t>{1000, 2000}));
  EXPECT_EQ(store.store_host.ip, (common::Bytes{192, 168, 1, 9}));
  EXPECT_EQ(store.store_host.port, 20911);
}

TEST(BrokerConfigTest, NamesrvAddrPrecedenceIsCommandLineThenFileThenEnvironment) {
  EXPECT_EQ(parse("brokerIP1=1.2.3.4\n", std::nullopt, "env:1").config.namesrv_addr, "env:1");
  EXPECT_EQ(parse("brokerIP1=1.2.3.4\nnamesrvAddr=file:1\n", std::nullopt, "env:1").config.namesrv_addr, "file:1");
  EXPECT_EQ(parse("namesrvAddr=file:1\nbrokerIP1=1.2.3.4\n", "cli:1", "env:1").config.namesrv_addr, "cli:1");
  auto c = parse("brokerIP1=1.2.3.4\nnamesrvAddr=a:1; b:2 ;\n").config;
  EXPECT_EQ(c.namesrv_addresses(), (std::vector<std::string>{"a:1", "b:2"}));
}

TEST(BrokerConfigTest, UnknownKeysGiveOneWarningEachAndAreNotFatal) {
  auto load = parse("brokerIP1=1.2.3.4\nnoSuchKey=1\nlistenPrt=1\ndeleteWhen=04\n");
  ASSERT_EQ(load.warnings.size(), 2u);
  EXPECT_NE(load.warnings[0].find("noSuchKey"), std::string::npos);
  EXPECT_NE(load.warnings[0].find("conf/broker.conf:2"), std::string::npos);
  EXPECT_NE(load.warnings[1].find("listenPrt"), std::string::npos);
}

TEST(BrokerConfigTest, DLedgerRuntimeKeysAreNotUnknown) {
  // Read by dledger::DLedgerConfig in DLedger mode: no "unknown key ... ignored" about them.
  auto load = parse("brokerIP1=1.2.3.4\nheartBeatTimeIntervalMs=200\ndLedgerElectionTimeoutMs=1500\n"
                    "dLedgerEnableCheckQuorum=true\nmaxWaitAckTimeMs=1000\ndLedgerMaxApplyBytes=1024\n"
                    "dLedgerElectionTimeoutMsX=1\n");
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_NE(load.warnings[0].find("dLedgerElectionTimeoutMsX"), std::string::npos);
}

TEST(BrokerConfigTest, BadValuesNameTheKeyAndTheFile) {
  for (const char* text : {"listenPort=abc\n", "flushDiskType=SOMETIMES\n", "autoCreateTopicEnable=yes\n",
                           "brokerIP1=not-an-ip\n", "messageDelayLevel=1x\n", "mappedFileSizeCommitLog=-1\n",
                           "brokerRole=KING\n", "listenPort=70000\n"}) {
    try {
      parse(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const common::ConfigError& e) {
      const std::string message = e.what();
      const std::string key = std::string(text).substr(0, std::string(text).find('='));
      EXPECT_NE(message.find(key), std::string::npos) << message;
      EXPECT_NE(message.find("conf/broker.conf"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(BrokerConfigTest, RegisterPeriodIsClampedLikeJava) {
  EXPECT_EQ(parse("brokerIP1=1.2.3.4\nregisterNameServerPeriod=1000\n").config.register_name_server_period_ms, 10000);
  EXPECT_EQ(parse("brokerIP1=1.2.3.4\nregisterNameServerPeriod=600000\n").config.register_name_server_period_ms, 60000);
}

TEST(BrokerConfigTest, PrintedConfigListsEffectiveValues) {
  auto c = parse("brokerIP1=1.2.3.4\nlistenPort=12345\n").config;
  const std::string text = c.to_properties_text();
  EXPECT_NE(text.find("listenPort=12345\n"), std::string::npos);
  EXPECT_NE(text.find("flushDiskType=ASYNC_FLUSH\n"), std::string::npos);
  EXPECT_NE(text.find("brokerClusterName=DefaultCluster\n"), std::string::npos);
}

}  // namespace
}  // namespace rmq::server
