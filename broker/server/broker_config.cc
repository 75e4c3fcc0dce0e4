// broker.conf -> BrokerConfig (see broker_config.h). One table of known keys, each with its parser, so that
// the accepted keys, the -p listing and the error messages cannot drift apart.
#include "broker/server/broker_config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>

#include "broker/dledger/dledger_config.h"
#include "broker/remoting/ext_fields.h"
#include "broker/server/delay_levels.h"
#include "broker/server/dledger_mode_config.h"

namespace rmq::server {
namespace {

using common::ConfigError;

constexpr std::int64_t kMaxLong = INT64_MAX;
constexpr std::int64_t kMaxInt = INT32_MAX;
// Threads of one pool: far more than any machine uses, far fewer than the process can create (1,000,000 was
// an abort when thread creation failed).
constexpr std::int64_t kMaxThreads = 1024;
// Intervals and timeouts in milliseconds: at most one day.
constexpr std::int64_t kMaxIntervalMs = 86'400'000;

std::string trim(const std::string& text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

[[noreturn]] void bad_value(const std::string& source, const std::string& key, const std::string& value,
                            const std::string& expected) {
  throw ConfigError(source + ": key " + key + ": value '" + value + "' is not " + expected);
}

std::int64_t parse_long(const std::string& source, const std::string& key, const std::string& raw) {
  const auto value = remoting::parse_java_long(trim(raw));
  if (!value) bad_value(source, key, raw, "an integer");
  return *value;
}

std::int32_t parse_int(const std::string& source, const std::string& key, const std::string& raw) {
  const std::int64_t value = parse_long(source, key, raw);
  if (value < INT32_MIN || value > INT32_MAX) bad_value(source, key, raw, "a 32-bit integer");
  return static_cast<std::int32_t>(value);
}

void check_range(const std::string& source, const std::string& key, const std::string& raw, std::int64_t value,
                 std::int64_t min_value, std::int64_t max_value) {
  if (value < min_value || value > max_value) {
    bad_value(source, key, trim(raw), "in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]");
  }
}

// deleteWhen: the hours of the day at which expired files are deleted, "04" or "01;13" (UtilAll.isItTimeToDo
// parses each as an int and compares it with the hour; one that is not 0..23 never matches).
void check_delete_when(const std::string& source, const std::string& value) {
  std::stringstream in(value);
  std::string hour;
  bool any = false;
  while (std::getline(in, hour, ';')) {
    const auto parsed = remoting::parse_java_long(trim(hour));
    if (!parsed || *parsed < 0 || *parsed > 23) {
      bad_value(source, "deleteWhen", value, "hours of the day in [0, 23] separated by ';' (e.g. 04 or 01;13)");
    }
    any = true;
  }
  if (!any) bad_value(source, "deleteWhen", value, "hours of the day in [0, 23] separated by ';' (e.g. 04 or 01;13)");
}

// namesrvAddr: HOST:PORT[;HOST:PORT...], each port in [1, 65535] (what the Java client and broker split it
// into); checked after -n and NAMESRV_ADDR have been applied, since all three end up in the same place.
void check_namesrv_addr(const std::string& source, const std::string& value) {
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ';')) {
    item = trim(item);
    if (item.empty()) continue;
    const std::size_t colon = item.rfind(':');
    const std::string host = colon == std::string::npos ? item : item.substr(0, colon);
    const bool host_ok = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char ch) {
      return std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
    });
    const auto port = colon == std::string::npos ? std::nullopt : remoting::parse_java_long(item.substr(colon + 1));
    if (!host_ok || !port || *port < 1 || *port > 65535) {
      bad_value(source, "namesrvAddr", value,
                "HOST:PORT[;HOST:PORT...] with ports in [1, 65535] ('" + item + "' is not)");
    }
  }
}

bool parse_bool(const std::string& source, const std::string& key, const std::string& raw) {
  std::string lower = trim(raw);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true") return true;
  if (lower == "false") return false;
  bad_value(source, key, raw, "true or false");
}

struct KeySpec {
  std::function<void(BrokerConfig&, const std::string& value)> apply;
  std::function<std::string(const BrokerConfig&)> show;
};

using KeyTable = std::map<std::string, KeySpec>;

template <typename T>
std::string show_value(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else {
    return std::to_string(value);
  }
}

const KeyTable& key_table(const std::string& source) {
  // The source name is baked into the parsers' messages; build a table per call (cheap, a few dozen keys).
  static thread_local KeyTable table;
  static thread_local std::string table_source;
  if (!table.empty() && table_source == source) return table;
  table.clear();
  table_source = source;
  auto str = [&](const std::string& key, std::string BrokerConfig::*field) {
    table[key] = {[field](BrokerConfig& c, const std::string& v) { c.*field = trim(v); },
                  [field](const BrokerConfig& c) { return c.*field; }};
  };
  // Every numeric key has a range (man rmq-broker(8), CONFIGURATION): a value outside it is exit 2 naming the
  // key, the value and the range, never a crash or a broker that starts and then refuses work.
  auto i32 = [&](const std::string& key, std::int32_t BrokerConfig::*field, std::int64_t min_value,
                 std::int64_t max_value) {
    table[key] = {[field, key, source, min_value, max_value](BrokerConfig& c, const std::string& v) {
                    const std::int32_t parsed = parse_int(source, key, v);
                    check_range(source, key, v, parsed, min_value, max_value);
                    c.*field = parsed;
                  },
                  [field](const BrokerConfig& c) { return show_value(c.*field); }};
  };
  auto i64 = [&](const std::string& key, std::int64_t BrokerConfig::*field, std::int64_t min_value,
                 std::int64_t max_value) {
    table[key] = {[field, key, source, min_value, max_value](BrokerConfig& c, const std::string& v) {
                    const std::int64_t parsed = parse_long(source, key, v);
                    check_range(source, key, v, parsed, min_value, max_value);
                    c.*field = parsed;
                  },
                  [field](const BrokerConfig& c) { return show_value(c.*field); }};
  };
  auto boolean = [&](const std::string& key, bool BrokerConfig::*field) {
    table[key] = {[field, key, source](BrokerConfig& c, const std::string& v) { c.*field = parse_bool(source, key, v); },
                  [field](const BrokerConfig& c) { return show_value(c.*field); }};
  };
  str("brokerClusterName", &BrokerConfig::broker_cluster_name);
  str("brokerName", &BrokerConfig::broker_name);
  i64("brokerId", &BrokerConfig::broker_id, 0, kMaxLong);
  str("brokerIP1", &BrokerConfig::broker_ip1);
  str("brokerIP2", &BrokerConfig::broker_ip2);
  str("namesrvAddr", &BrokerConfig::namesrv_addr);
  boolean("autoCreateTopicEnable", &BrokerConfig::auto_create_topic_enable);
  boolean("autoCreateSubscriptionGroup", &BrokerConfig::auto_create_subscription_group);
  i32("defaultTopicQueueNums", &BrokerConfig::default_topic_queue_nums, 1, 65535);
  i32("brokerPermission", &BrokerConfig::broker_permission, 0, 7);  // PermName bits: 4 read, 2 write, 1 inherit
  boolean("clusterTopicEnable", &BrokerConfig::cluster_topic_enable);
  boolean("brokerTopicEnable", &BrokerConfig::broker_topic_enable);
  boolean("traceTopicEnable", &BrokerConfig::trace_topic_enable);
  str("msgTraceTopicName", &BrokerConfig::msg_trace_topic_name);
  i32("sendMessageThreadPoolNums", &BrokerConfig::send_message_thread_pool_nums, 1, kMaxThreads);
  i32("pullMessageThreadPoolNums", &BrokerConfig::pull_message_thread_pool_nums, 1, kMaxThreads);
  boolean("longPollingEnable", &BrokerConfig::long_polling_enable);
  i64("shortPollingTimeMills", &BrokerConfig::short_polling_time_mills, 1, kMaxIntervalMs);
  i64("registerNameServerPeriod", &BrokerConfig::register_name_server_period_ms, 1, kMaxIntervalMs);
  i64("flushConsumerOffsetInterval", &BrokerConfig::flush_consumer_offset_interval_ms, 1, kMaxIntervalMs);
  i32("maxTransferCountOnMessageInMemory", &BrokerConfig::max_transfer_count_on_message_in_memory, 1, 65535);
  i64("maxTransferBytesOnMessageInMemory", &BrokerConfig::max_transfer_bytes_on_message_in_memory, 1, kMaxInt);
  str("regionId", &BrokerConfig::region_id);
  boolean("traceOn", &BrokerConfig::trace_on);
  boolean("rejectTransactionMessage", &BrokerConfig::reject_transaction_message);
  i32("listenPort", &BrokerConfig::listen_port, 1, 65535);
  str("storePathRootDir", &BrokerConfig::store_path_root_dir);
  str("storePathCommitLog", &BrokerConfig::store_path_commit_log);
  i64("mappedFileSizeCommitLog", &BrokerConfig::mapped_file_size_commit_log, 4096, kMaxInt);  // a Java int
  i64("mappedFileSizeConsumeQueue", &BrokerConfig::mapped_file_size_consume_queue, 20, kMaxInt);  // a Java int
  table["flushDiskType"] = {[source](BrokerConfig& c, const std::string& v) {
                              const std::string t = trim(v);
                              if (t == "ASYNC_FLUSH") c.sync_flush = false;
                              else if (t == "SYNC_FLUSH") c.sync_flush = true;
                              else bad_value(source, "flushDiskType", v, "ASYNC_FLUSH or SYNC_FLUSH");
                            },
                            [](const BrokerConfig& c) { return std::string(c.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH"); }};
  i64("flushIntervalCommitLog", &BrokerConfig::flush_interval_commit_log_ms, 1, kMaxIntervalMs);
  i64("syncFlushTimeout", &BrokerConfig::sync_flush_timeout_ms, 1, kMaxIntervalMs);
  i32("maxMessageSize", &BrokerConfig::max_message_size, 1, 1 << 30);
  table["messageDelayLevel"] = {[source](BrokerConfig& c, const std::string& v) {
                                  try {
                                    (void)parse_delay_levels(trim(v));
                                  } catch (const std::exception& e) {
                                    throw ConfigError(source + ": key messageDelayLevel: " + e.what());
                                  }
                                  c.message_delay_level = trim(v);
                                },
                                [](const BrokerConfig& c) { return c.message_delay_level; }};
  table["brokerRole"] = {[source](BrokerConfig& c, const std::string& v) {
                           const std::string t = trim(v);
                           if (t == "ASYNC_MASTER") c.broker_role = BrokerRole::kAsyncMaster;
                           else if (t == "SYNC_MASTER") c.broker_role = BrokerRole::kSyncMaster;
                           else if (t == "SLAVE") c.broker_role = BrokerRole::kSlave;
                           else bad_value(source, "brokerRole", v, "ASYNC_MASTER, SYNC_MASTER or SLAVE");
                         },
                         [](const BrokerConfig& c) {
                           switch (c.broker_role) {
                             case BrokerRole::kSyncMaster: return std::string("SYNC_MASTER");
                             case BrokerRole::kSlave: return std::string("SLAVE");
                             default: return std::string("ASYNC_MASTER");
                           }
                         }};
  boolean("messageIndexEnable", &BrokerConfig::message_index_enable);
  boolean("checkCRCOnRecover", &BrokerConfig::check_crc_on_recover);
  table["deleteWhen"] = {[source](BrokerConfig& c, const std::string& v) {
                           c.delete_when = trim(v);
                           check_delete_when(source, c.delete_when);
                         },
                         [](const BrokerConfig& c) { return c.delete_when; }};
  i32("fileReservedTime", &BrokerConfig::file_reserved_time_hours, 0, 876000);  // hours: 100 years
  // Topic, queue and disk limits (each with its range; man rmq-broker(8)).
  for (const auto& [key, field, min_value, max_value] :
       std::initializer_list<std::tuple<const char*, std::int32_t BrokerConfig::*, std::int32_t, std::int32_t>>{
           {"maxTopicQueueNums", &BrokerConfig::max_topic_queue_nums, 1, 65535},
           {"autoCreateTopicMaxNums", &BrokerConfig::auto_create_topic_max_nums, 0, INT32_MAX},
           {"autoCreateSubscriptionGroupMaxNums", &BrokerConfig::auto_create_subscription_group_max_nums, 0,
            INT32_MAX},
           {"diskSpaceWarningLevelRatio", &BrokerConfig::disk_space_warning_level_ratio, 1, 100}}) {
    // Init-captures: clang 14 (the sanitizer builds) cannot capture structured bindings by name.
    table[key] = {[field = field, key = key, source, min_value = min_value, max_value = max_value](
                      BrokerConfig& c, const std::string& v) {
                    const std::int32_t parsed = parse_int(source, key, v);
                    if (parsed < min_value || parsed > max_value) {
                      bad_value(source, key, v, std::to_string(min_value) + ".." + std::to_string(max_value));
                    }
                    c.*field = parsed;
                  },
                  [field = field](const BrokerConfig& c) { return show_value(c.*field); }};
  }
  i32("haListenPort", &BrokerConfig::ha_listen_port, 1, 65535);
  boolean("enableDLegerCommitLog", &BrokerConfig::enable_dleger_commit_log);
  str("dLegerGroup", &BrokerConfig::dleger_group);
  str("dLegerPeers", &BrokerConfig::dleger_peers);
  str("dLegerSelfId", &BrokerConfig::dleger_self_id);
  i64("slaveSyncIntervalMills", &BrokerConfig::slave_sync_interval_ms, 100, kMaxIntervalMs);
  boolean("dLegerForwardSends", &BrokerConfig::dleger_forward_sends);
  i32("dLegerForwardMaxInflight", &BrokerConfig::dleger_forward_max_inflight, 1, 65536);
  i64("dLegerForwardTimeoutMills", &BrokerConfig::dleger_forward_timeout_ms, 100, 60000);
  boolean("slaveReadEnable", &BrokerConfig::slave_read_enable);
  i32("accessMessageInMemoryMaxRatio", &BrokerConfig::access_message_in_memory_max_ratio, 0, 100);
  boolean("aclEnable", &BrokerConfig::acl_enable);
  str("plainAclFile", &BrokerConfig::plain_acl_file);
  str("accessKey", &BrokerConfig::access_key);
  table["secretKey"] = {[](BrokerConfig& c, const std::string& v) { c.secret_key = trim(v); },
                        [](const BrokerConfig& c) { return std::string(c.secret_key.empty() ? "" : "***"); }};
  // The connection limits: the same keys and ranges as the name server's (broker/remoting/server_limits.h).
  for (const remoting::ServerLimitKey& limit : remoting::server_limit_keys()) {
    table[limit.key] = {[limit, source](BrokerConfig& c, const std::string& v) {
                          const std::int64_t parsed = parse_long(source, limit.key, v);
                          if (parsed < limit.min_value || parsed > limit.max_value) {
                            bad_value(source, limit.key, v,
                                      "in [" + std::to_string(limit.min_value) + ", " +
                                          std::to_string(limit.max_value) + "]");
                          }
                          c.server_limits.*limit.field = parsed;
                        },
                        [limit](const BrokerConfig& c) { return show_value(c.server_limits.*limit.field); }};
  }
  // TLS: the same keys as the name server's (broker/remoting/tls_settings.h).
  for (const remoting::TlsSettingKey& tls_key : remoting::tls_setting_keys()) {
    table[tls_key.key] = {[tls_key, source](BrokerConfig& c, const std::string& v) {
                            try {
                              tls_key.apply(c.tls, v);
                            } catch (const std::invalid_argument& e) {
                              throw ConfigError(source + ": key " + tls_key.key + ": value '" + trim(v) + "' " + e.what());
                            }
                          },
                          [tls_key](const BrokerConfig& c) { return tls_key.show(c.tls); }};
  }
  return table;
}

// Upstream keys this broker accepts without acting on them (no warning: they are in most real configs).
bool is_accepted_upstream_key(const std::string& key) {
  static const char* const kKeys[] = {
      "storePathConsumeQueue", "storePathIndex", "storeCheckpoint", "abortFile", "rocketmqHome",
      "diskMaxUsedSpaceRatio", "fetchNamesrvAddrByAddressServer", "waitTimeMillsInSendQueue",
      "transientStorePoolEnable", "useReentrantLockWhenPutMessage", "osPageCacheBusyTimeOutMills",
      "sendThreadPoolQueueCapacity", "pullThreadPoolQueueCapacity", "queryMessageThreadPoolNums",
      "adminBrokerThreadPoolNums", "clientManageThreadPoolNums", "consumerManageThreadPoolNums",
      "flushConsumeQueueThoroughInterval", "flushCommitLogTimed", "flushLeastPagesWhenWarmMapedFile",
      "haSendHeartbeatInterval", "haHousekeepingInterval", "haTransferBatchSize", "haMasterAddress",
      "compressedRegister", "forceRegister", "registerBrokerTimeoutMills", "serverWorkerThreads",
      "serverSelectorThreads", "serverCallbackExecutorThreads", "clientWorkerThreads",
      "maxTransferBytesOnMessageInDisk", "maxTransferCountOnMessageInDisk",
      "warmMapedFileEnable", "offsetCheckInSlave", "enablePropertyFilter",
      "filterServerNums", "isEnableBatchPush", "enableCalcFilterBitMap",
      "dLegerSelfIdSuffix", "preferredLeaderId", "isEnableDLegerPreferredLeader", "sendMessageWithVIPChannel",
      "destroyMapedFileIntervalForcibly", "redeleteHangedFileInterval", "cleanResourceInterval",
      "flushCommitLogLeastPages", "flushCommitLogThoroughInterval", "flushConsumeQueueLeastPages",
      "flushIntervalConsumeQueue", "maxHashSlotNum", "maxIndexNum", "maxMsgsNumBatch", "commercialEnable",
      "brokerFastFailureEnable", "transactionTimeOut", "transactionCheckMax", "transactionCheckInterval",
      "duplicationEnable", "diskFallRecorded", "mappedFileSizeConsumeQueueExt", "enableConsumeQueueExt",
      "bitMapLengthConsumeQueueExt", "notifyConsumerIdsChangedEnable", "highSpeedMode", "commitIntervalCommitLog",
      "autoDeleteUnusedStats", "storePathDLedgerCommitLog",
  };
  for (const char* k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? std::string(home) : std::string("/root");
}

}  // namespace

std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string default_broker_ip() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "127.0.0.1";
  std::string found;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    if ((it->ifa_flags & IFF_LOOPBACK) != 0 || (it->ifa_flags & IFF_UP) == 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* addr = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    if (::inet_ntop(AF_INET, &addr->sin_addr, text, sizeof text) != nullptr) {
      found = text;
      break;
    }
  }
  ::freeifaddrs(list);
  return found.empty() ? "127.0.0.1" : found;
}

std::optional<store::HostAddress> ipv4_host(const std::string& ip, std::int32_t port) {
  in_addr addr{};
  if (::inet_pton(AF_INET, ip.c_str(), &addr) != 1) return std::nullopt;
  store::HostAddress host;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&addr.s_addr);
  host.ip.assign(bytes, bytes + 4);
  host.port = port;
  return host;
}

std::vector<std::string> BrokerConfig::namesrv_addresses() const {
  std::vector<std::string> out;
  std::stringstream in(namesrv_addr);
  std::string item;
  while (std::getline(in, item, ';')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

store::StoreConfig BrokerConfig::store_config() const {
  store::StoreConfig c;
  c.root_dir = store_path_root_dir;
  c.commitlog_dir = store_path_commit_log;
  c.commitlog_file_size_bytes = mapped_file_size_commit_log;
  c.consume_queue_file_size_bytes = mapped_file_size_consume_queue;
  c.sync_flush = sync_flush;
  c.flush_interval_ms = flush_interval_commit_log_ms;
  c.sync_flush_timeout_ms = sync_flush_timeout_ms;
  c.max_message_size_bytes = max_message_size;
  c.disk_space_warning_level_percent = disk_space_warning_level_ratio;
  c.check_crc_on_recover = check_crc_on_recover;
  c.message_index_enable = message_index_enable;
  try {
    c.delay_level_ms = parse_delay_levels(message_delay_level);
  } catch (const std::exception& e) {
    throw common::ConfigError(source_name + ": key messageDelayLevel: " + e.what());
  }
  auto host = ipv4_host(broker_ip1, listen_port);
  if (!host) throw common::ConfigError(source_name + ": key brokerIP1: value '" + broker_ip1 + "' is not an IPv4 address");
  c.store_host = *host;
  return c;
}

std::string BrokerConfig::to_properties_text() const {
  std::string out;
  for (const auto& [key, spec] : key_table(source_name)) {
    out += common::JavaProperties::escape_key(key) + "=" + common::JavaProperties::escape_value(spec.show(*this)) + "\n";
  }
  return out;
}

BrokerConfigLoad parse_broker_config(const common::JavaProperties& properties, const std::string& source_name,
                                     const std::optional<std::string>& namesrv_override,
                                     const std::optional<std::string>& env_namesrv) {
  BrokerConfigLoad load;
  BrokerConfig& c = load.config;
  c.source_name = source_name;
  c.pull_message_thread_pool_nums = 16 + 2 * static_cast<std::int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  if (env_namesrv) c.namesrv_addr = *env_namesrv;
  const KeyTable& table = key_table(source_name);
  bool ha_port_set = false;
  for (const std::string& key : properties.keys_in_order()) {
    const std::string value = *properties.get(key);
    auto it = table.find(key);
    if (it == table.end()) {
      if (!is_accepted_upstream_key(key) && !dledger::is_dledger_config_key(key)) {
        load.warnings.push_back(source_name + ":" + std::to_string(properties.line_of(key)) + ": unknown key " + key +
                                " ignored");
      }
      continue;
    }
    it->second.apply(c, value);
    if (key == "haListenPort") ha_port_set = true;
  }
  if (namesrv_override) c.namesrv_addr = *namesrv_override;
  if (auto problem = remoting::check_server_limits(c.server_limits)) throw ConfigError(source_name + ": key " + *problem);
  if (auto problem = remoting::check_tls_settings(c.tls)) throw ConfigError(source_name + ": key " + *problem);
  if (c.broker_name.empty()) c.broker_name = local_host_name();
  if (c.broker_ip1.empty()) c.broker_ip1 = default_broker_ip();
  if (c.broker_ip2.empty()) c.broker_ip2 = c.broker_ip1;
  if (c.store_path_root_dir.empty()) c.store_path_root_dir = home_dir() + "/store";
  if (c.plain_acl_file.empty()) {
    const std::filesystem::path config_file(source_name);
    c.plain_acl_file = (source_name == "(defaults)" ? std::filesystem::path("plain_acl.yml")
                                                     : config_file.parent_path() / "plain_acl.yml").string();
  }
  if (c.access_key.empty() != c.secret_key.empty()) {
    bad_value(source_name, c.access_key.empty() ? "accessKey" : "secretKey", "",
              "set together with " + std::string(c.access_key.empty() ? "secretKey" : "accessKey"));
  }
  if (!ha_port_set) c.ha_listen_port = c.listen_port + 1;
  if (c.enable_dleger_commit_log) {
    // BrokerStartup in DLedger mode: haListenPort = listenPort + 1 whatever the file says; the three
    // dLeger* keys must name one member of one group (exit 2 otherwise).
    c.ha_listen_port = c.listen_port + 1;
    for (auto& warning : check_dledger_mode_config(c).warnings) load.warnings.push_back(source_name + ": " + warning);
  }
  if (c.ha_listen_port > 65535) {  // only when derived from listenPort: a set haListenPort was range-checked
    bad_value(source_name, "listenPort", std::to_string(c.listen_port),
              "in [1, 65534] (haListenPort, not set, is listenPort + 1)");
  }
  check_namesrv_addr(source_name, c.namesrv_addr);
  if (!ipv4_host(c.broker_ip1, c.listen_port)) {
    bad_value(source_name, "brokerIP1", c.broker_ip1, "an IPv4 address");
  }
  if (!ipv4_host(c.broker_ip2, c.ha_listen_port)) bad_value(source_name, "brokerIP2", c.broker_ip2, "an IPv4 address");
  // BrokerController.registerNameServerPeriod: Math.max(10000, Math.min(period, 60000)).
  c.register_name_server_period_ms = std::max<std::int64_t>(10000, std::min<std::int64_t>(c.register_name_server_period_ms, 60000));
  return load;
}

}  // namespace rmq::server
