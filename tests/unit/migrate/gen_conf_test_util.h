// Shared inputs for the gen-conf tests: the upgrade guide's example (section 1.1) as GenConfOptions, and a
// helper that reads a rendered config back with the Java-properties parser, so tests compare keys and values
// the way a broker reads them rather than comparing text.
#pragma once

#include <string>

#include "broker/common/java_properties.h"
#include "migrate/gen_conf.h"

namespace rmq::migrate::gen_conf_testing {

inline constexpr const char* kGuidePeers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913";

// rmqctl gen-conf --peers <guide> --group RaftNode00 --cluster RaftCluster --namesrv 127.0.0.1:9876
//   --store-root /tmp/rmqstore --out conf/dledger --send-threads 16
inline GenConfOptions guide_options() {
  GenConfOptions options;
  options.peers = kGuidePeers;
  options.group = "RaftNode00";
  options.cluster = "RaftCluster";
  options.namesrv = "127.0.0.1:9876";
  options.store_root = "/tmp/rmqstore";
  options.out_dir = "conf/dledger";
  options.send_thread_count = 16;
  return options;
}

inline common::JavaProperties read_back(const std::string& text) {
  return common::JavaProperties::parse(text, "rendered.conf");
}

// The message of the ConfigError that plan_gen_conf throws, or "(no error)".
inline std::string plan_error(const GenConfOptions& options) {
  try {
    plan_gen_conf(options);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace rmq::migrate::gen_conf_testing
