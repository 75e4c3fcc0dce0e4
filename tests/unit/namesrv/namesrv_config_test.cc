// The rmq-namesrv config keys: defaults, overrides, unknown keys as warnings, bad values as errors naming
// the key and file.
#include <gtest/gtest.h>

#include "broker/namesrv/namesrv_config.h"

namespace rmq::namesrv {
namespace {

using common::JavaProperties;

TEST(NamesrvConfig, DefaultsAreUpstreams) {
  const NamesrvConfig config = default_namesrv_config();
  EXPECT_EQ(config.listen_port, 9876);
  EXPECT_EQ(config.scan_not_active_broker_interval_ms, 10'000);
  EXPECT_EQ(config.broker_channel_expired_time_ms, 120'000);
  EXPECT_EQ(config.kv_config_path.filename(), "kvConfig.json");
  EXPECT_EQ(config.kv_config_path.parent_path().filename(), "namesrv");
}

TEST(NamesrvConfig, KeysApplyAndUnknownKeysWarn) {
  const auto properties = JavaProperties::parse(
      "listenPort = 9877\nkvConfigPath=/tmp/kv.json\nscanNotActiveBrokerInterval=200\n"
      "brokerChannelExpiredTime=1000\nrocketmqHome=/opt/rocketmq\nserverSelectorThreads=3\n",
      "namesrv.conf");
  const LoadedConfig loaded = apply_namesrv_properties(default_namesrv_config(), properties, "namesrv.conf");
  EXPECT_EQ(loaded.config.listen_port, 9877);
  EXPECT_EQ(loaded.config.kv_config_path, "/tmp/kv.json");
  EXPECT_EQ(loaded.config.scan_not_active_broker_interval_ms, 200);
  EXPECT_EQ(loaded.config.broker_channel_expired_time_ms, 1000);
  EXPECT_EQ(loaded.config.server_io_threads, 3u);
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_EQ(loaded.warnings[0], "namesrv.conf:5: rocketmqHome: unknown key, ignored");
  EXPECT_EQ(format_namesrv_config(loaded.config),
            "listenPort=9877\nkvConfigPath=/tmp/kv.json\nscanNotActiveBrokerInterval=200\n"
            "brokerChannelExpiredTime=1000\nserverSelectorThreads=3\n"
            // The ACL keys (broker/acl), at their defaults: off, upstream's file name.
            "aclEnable=false\nplainAclFile=plain_acl.yml\n"
            // The connection limits (broker/remoting/server_limits.h), at their defaults.
            "serverChannelMaxIdleTimeSeconds=120\nserverMaxConnections=10000\nserverMaxConnectionsPerAddress=1000\n"
            "serverReadBufferTotalBytes=268435456\nwriteBufferHighWaterMark=1048576\n"
            "writeBufferLowWaterMark=262144\nserverWriteQueueMaxBytes=33554432\n"
            "serverWriteBufferTotalBytes=268435456\n"
            // TLS (broker/remoting/tls_settings.h), at their defaults: disabled.
            "tls.server.mode=disabled\ntls.server.certPath=\ntls.server.keyPath=\ntls.server.keyPassword=\n"
            "tls.server.need.client.auth=none\ntls.server.trustCertPath=\ntls.enable=false\n"
            "tls.client.authServer=false\ntls.client.trustCertPath=\ntls.client.certPath=\ntls.client.keyPath=\n");
}

TEST(NamesrvConfig, BadValuesNameKeyAndFile) {
  for (const char* text : {"listenPort=abc\n", "listenPort=70000\n", "listenPort=0\n",
                           "brokerChannelExpiredTime=-5\n", "scanNotActiveBrokerInterval=1.5\n"}) {
    const auto properties = JavaProperties::parse(text, "conf/namesrv.conf");
    try {
      apply_namesrv_properties(default_namesrv_config(), properties, "conf/namesrv.conf");
      FAIL() << "accepted " << text;
    } catch (const common::ConfigError& error) {
      const std::string message = error.what();
      const std::string key = std::string(text).substr(0, std::string(text).find('='));
      EXPECT_EQ(message.rfind("conf/namesrv.conf:1: " + key + ": ", 0), 0u) << message;
    }
  }
}

}  // namespace
}  // namespace rmq::namesrv
