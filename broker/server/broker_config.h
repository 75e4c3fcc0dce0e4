// The broker's configuration: broker.conf (Java properties, as `mqbroker -c` reads it) mapped onto the
// upstream BrokerConfig / MessageStoreConfig / NettyServerConfig keys with upstream defaults.
//
// Why keys and defaults are copied exactly: an operator's existing broker.conf must mean here what it means
// to the Java broker (DESIGN.md 1). Unknown keys are not fatal (Java ignores them silently; we print one
// warning each so that typos are visible). A value that does not parse is fatal: the broker refuses to start
// with one line naming the key and the file (exit 2), rather than guessing.
// Nothing here touches the disk except load(); no state survives a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "broker/common/java_properties.h"
#include "broker/remoting/server_limits.h"
#include "broker/remoting/tls_settings.h"
#include "broker/store/message_store.h"

namespace rmq::server {

inline constexpr const char* kDefaultMessageDelayLevel = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

enum class BrokerRole { kAsyncMaster, kSyncMaster, kSlave };

struct BrokerConfig {
  // BrokerConfig
  std::string broker_cluster_name = "DefaultCluster";
  std::string broker_name;             // default: the host name
  std::int64_t broker_id = 0;
  std::string broker_ip1;              // default: first non-loopback IPv4, else 127.0.0.1
  std::string broker_ip2;              // default: broker_ip1 (HA address)
  std::string namesrv_addr;            // ';'-separated; -n, then broker.conf, then env NAMESRV_ADDR
  bool auto_create_topic_enable = true;
  bool auto_create_subscription_group = true;
  std::int32_t default_topic_queue_nums = 8;
  std::int32_t broker_permission = 6;
  bool cluster_topic_enable = true;
  bool broker_topic_enable = true;
  bool trace_topic_enable = false;
  std::string msg_trace_topic_name = "RMQ_SYS_TRACE_TOPIC";
  std::int32_t send_message_thread_pool_nums = 1;   // 4.9.x default: 1 (sendMessageThreadPoolNums)
  std::int32_t pull_message_thread_pool_nums = 16 + 2 * 2;  // 16 + 2 * processors; see broker_config.cc
  bool long_polling_enable = true;
  std::int64_t short_polling_time_mills = 1000;
  std::int64_t register_name_server_period_ms = 30000;  // clamped to [10000, 60000] like Java
  std::int64_t flush_consumer_offset_interval_ms = 5000;
  std::int32_t max_transfer_count_on_message_in_memory = 32;
  std::int64_t max_transfer_bytes_on_message_in_memory = 262144;
  std::string region_id = "DefaultRegion";
  bool trace_on = true;
  bool reject_transaction_message = false;

  // NettyServerConfig
  std::int32_t listen_port = 10911;
  // serverChannelMaxIdleTimeSeconds, serverMaxConnections, ... (broker/remoting/server_limits.h)
  remoting::ServerLimits server_limits;
  // tls.server.* (the client port and the VIP port) and tls.enable / tls.client.* (this broker's own
  // connections to name servers and to the other brokers): upstream's names (broker/remoting/tls_settings.h).
  remoting::TlsSettings tls;

  // MessageStoreConfig
  std::string store_path_root_dir;     // default: $HOME/store
  std::string store_path_commit_log;   // default: <root>/commitlog
  std::int64_t mapped_file_size_commit_log = 1073741824;
  std::int64_t mapped_file_size_consume_queue = 6000000;
  bool sync_flush = false;             // flushDiskType=SYNC_FLUSH
  std::int64_t flush_interval_commit_log_ms = 500;
  std::int64_t sync_flush_timeout_ms = 5000;
  std::int32_t max_message_size = 4194304;
  std::string message_delay_level = kDefaultMessageDelayLevel;
  BrokerRole broker_role = BrokerRole::kAsyncMaster;
  bool message_index_enable = true;
  bool check_crc_on_recover = true;
  std::string delete_when = "04";
  std::int32_t file_reserved_time_hours = 72;
  // Topic, queue and disk limits (man rmq-broker(8), "Topic, queue and disk limits").
  std::int32_t max_topic_queue_nums = 1024;            // maxTopicQueueNums: read/write queues of one topic
  std::int32_t auto_create_topic_max_nums = 10000;     // autoCreateTopicMaxNums: no send auto-create beyond
  std::int32_t auto_create_subscription_group_max_nums = 10000;  // autoCreateSubscriptionGroupMaxNums: likewise
  std::int32_t disk_space_warning_level_ratio = 90;    // diskSpaceWarningLevelRatio (percent used)
  std::int32_t ha_listen_port = 10912;  // default listenPort + 1

  bool slave_read_enable = false;                    // slaveReadEnable (pull_suggest.h)
  std::int32_t access_message_in_memory_max_ratio = 40;  // accessMessageInMemoryMaxRatio, percent of RAM

  // DLedger mode (enableDLegerCommitLog=true): the three keys are checked by dledger_mode_config.h at load.
  bool enable_dleger_commit_log = false;
  std::string dleger_group;
  std::string dleger_peers;
  std::string dleger_self_id;
  // Our key (upstream syncs every 10 s, fixed): how often a follower copies the leader's topics, groups,
  // consumer and delay offsets (slave_synchronize.h).
  std::int64_t slave_sync_interval_ms = 3000;  // slaveSyncIntervalMills
  // Our keys: a follower forwards sends to the leader and relays the answer (send_forwarder.h), at most
  // max_inflight at once, each waited for up to timeout_ms.
  bool dleger_forward_sends = true;                 // dLegerForwardSends
  std::int32_t dleger_forward_max_inflight = 1024;  // dLegerForwardMaxInflight
  std::int64_t dleger_forward_timeout_ms = 3000;    // dLegerForwardTimeoutMills

  // ACL (broker/acl/, man rmq-broker(8) "ACL"). aclEnable: every request is checked against plainAclFile
  // (default: plain_acl.yml beside the -c file; upstream's is ${ROCKETMQ_HOME}/conf/plain_acl.yml).
  // accessKey/secretKey (ours): the admin account this broker signs its name-server registrations with.
  bool acl_enable = false;
  std::string plain_acl_file;
  std::string access_key;
  std::string secret_key;  // printed as *** by -p

  // Where the config came from, for error messages and -p.
  std::string source_name;

  std::string store_host_address() const { return broker_ip1 + ":" + std::to_string(listen_port); }
  std::string ha_server_address() const { return broker_ip2 + ":" + std::to_string(ha_listen_port); }
  std::filesystem::path config_dir() const { return std::filesystem::path(store_path_root_dir) / "config"; }
  std::vector<std::string> namesrv_addresses() const;
  // The store's view of the config; throws ConfigError when messageDelayLevel does not parse.
  store::StoreConfig store_config() const;
  // Every key with its effective value, as `mqbroker -p` prints them ("key=value" lines).
  std::string to_properties_text() const;
};

struct BrokerConfigLoad {
  BrokerConfig config;
  std::vector<std::string> warnings;  // one line per unknown key
};

// Applies `properties` over the defaults. `namesrv_override` is `-n` (wins over the file, which wins over
// the environment's NAMESRV_ADDR, given as `env_namesrv`). Throws common::ConfigError with one line naming
// the key and the source for a value that does not parse.
BrokerConfigLoad parse_broker_config(const common::JavaProperties& properties, const std::string& source_name,
                                     const std::optional<std::string>& namesrv_override,
                                     const std::optional<std::string>& env_namesrv);

// The first non-loopback IPv4 address of this host, else "127.0.0.1".
std::string default_broker_ip();
// gethostname(), else "localhost".
std::string local_host_name();
// Parses "a.b.c.d" into the 4 address bytes and the port into a HostAddress; nullopt if not IPv4.
std::optional<store::HostAddress> ipv4_host(const std::string& ip, std::int32_t port);

}  // namespace rmq::server
