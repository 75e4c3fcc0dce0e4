// rmq-namesrv's configuration: a Java-properties file like mqnamesrv's `-c namesrv.conf`, with the keys and
// defaults of the Java name server where it has them.
//
//   listenPort                   9876     the TCP port (bound on 0.0.0.0)
//   kvConfigPath                 $HOME/namesrv/kvConfig.json (empty: KV config kept in memory only)
//   scanNotActiveBrokerInterval  10000    ms between expiry scans (4.9.x: fixed 10 s; 5.x's key)
//   brokerChannelExpiredTime     120000   ms without a registration after which a broker is dropped
//                                         (4.9.x BROKER_CHANNEL_EXPIRED_TIME, a constant there)
//   serverSelectorThreads        2        I/O threads serving connections
//   serverChannelMaxIdleTimeSeconds, serverMaxConnections, serverReadBufferTotalBytes,
//   writeBufferHighWaterMark, writeBufferLowWaterMark, serverWriteBufferTotalBytes
//                                         connection limits: keys, defaults and ranges in
//                                         broker/remoting/server_limits.h (the broker reads the same keys)
//   aclEnable                    false    (ours: upstream's name server has no ACL) registration, unregistration
//                                         and the admin codes need a request signed by an admin account of
//                                         plainAclFile; reads stay open (man rmq-namesrv(8), "ACL")
//   plainAclFile                 plain_acl.yml beside the -c file ($HOME/namesrv/plain_acl.yml without -c)
//   tls.server.mode, tls.server.certPath, tls.server.keyPath, ... TLS on the port: upstream's key names, same
//                                         table as the broker's (broker/remoting/tls_settings.h)
//
// An unknown key is a warning, never fatal (an operator's namesrv.conf may carry Java-only keys such as
// rocketmqHome). A value that does not parse or is out of range is a ConfigError naming the key and file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/common/java_properties.h"
#include "broker/remoting/server_limits.h"
#include "broker/remoting/tls_settings.h"

namespace rmq::namesrv {

struct NamesrvConfig {
  std::uint16_t listen_port = 9876;
  std::filesystem::path kv_config_path;  // set to the $HOME default by default_namesrv_config()
  std::int64_t scan_not_active_broker_interval_ms = 10'000;
  std::int64_t broker_channel_expired_time_ms = 120'000;
  std::size_t server_io_threads = 2;
  remoting::ServerLimits server_limits;
  bool acl_enable = false;
  std::filesystem::path plain_acl_file;  // default_namesrv_config() / apply_namesrv_properties() fill it
  remoting::TlsSettings tls;  // tls.server.* (the tls.client.* keys are accepted; the name server connects nowhere)
};

// The defaults, with kvConfigPath = $HOME/namesrv/kvConfig.json ("./namesrv/kvConfig.json" without HOME).
NamesrvConfig default_namesrv_config();

struct LoadedConfig {
  NamesrvConfig config;
  std::vector<std::string> warnings;  // one line per unknown key
};

// Applies `properties` (read from `source_name`, for messages) over `base`. Throws common::ConfigError
// "<source>:<line>: <key>: <reason>" on a bad value.
LoadedConfig apply_namesrv_properties(NamesrvConfig base, const common::JavaProperties& properties,
                                      const std::string& source_name);

// key=value lines of every effective setting, in the order of the table above (what `-p` prints).
std::string format_namesrv_config(const NamesrvConfig& config);

}  // namespace rmq::namesrv
