// A migration's plan: what the operator asked for (MigrationRequest) resolved against the old brokers'
// configs into absolute paths (the discover phase's output), plus the identity that ties a target directory
// to one plan.
//
// The plan id is the MD5 of the identity JSON: the mode, both old configs, the chosen source, the peers, the
// group, every node's store root and config path, and the commitlog file size. Flags that change how the
// command runs but not what it produces (--stop, --stop-timeout, --dry-run, --yes, -o) are not part of it, so
// re-running with them resumes the same migration; changing anything that is part of it over a target that
// already holds a journal is a different plan, and is refused (exit 4).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/common/java_properties.h"
#include "migrate/store_location.h"

namespace rmq::migrate {

enum class MigrationMode { kMasterSlave, kMasterOnly };
enum class SourceRole { kMaster, kSlave };
const char* to_string(MigrationMode mode);
const char* to_string(SourceRole role);

// What the operator typed (rmqctl migrate's options).
struct MigrationRequest {
  MigrationMode mode = MigrationMode::kMasterSlave;
  std::filesystem::path master_conf;
  std::filesystem::path slave_conf;  // empty in master-only mode
  std::string peers;                 // "n0-host:port;n1-host:port;n2-host:port"
  std::filesystem::path target_root;
  std::map<std::string, std::filesystem::path> node_dirs;  // --node n1=DIR
  std::filesystem::path conf_out;    // empty: <target-root>/conf
  bool stop = false;
  int stop_timeout_s = 60;
  SourceRole source = SourceRole::kMaster;
  bool dry_run = false;
};

// One old broker as its config describes it.
struct OldBroker {
  std::string role;                    // "master" or "slave"
  std::filesystem::path config_path;   // absolute
  common::JavaProperties properties;
  StoreLocation location;              // absolute store root and commitlog directory
  std::uint64_t file_size_bytes = 0;   // mappedFileSizeCommitLog, 1 GiB when absent
  std::string broker_name;             // brokerName, upstream default when absent
  std::string cluster_name;            // brokerClusterName
  std::string namesrv_addr;            // namesrvAddr, empty when absent
  std::string broker_role;             // brokerRole, ASYNC_MASTER when absent
};

// One node of the new group.
struct NodeTarget {
  std::string id;                       // dLegerSelfId: "n0"
  std::string peer_address;             // "host:port" from the peers
  std::filesystem::path store_root;     // storePathRootDir
  std::filesystem::path commitlog_dir;  // storePathCommitLog = <store_root>/commitlog
  std::filesystem::path config_path;    // <conf-out>/broker-<id>.conf
};

struct MigrationPlan {
  MigrationMode mode = MigrationMode::kMasterSlave;
  OldBroker master;
  std::optional<OldBroker> slave;
  SourceRole source = SourceRole::kMaster;
  std::string peers;                    // as given, trimmed
  std::string group;                    // dLegerGroup = the old brokerName
  std::filesystem::path target_root;    // absolute
  std::filesystem::path journal_path;   // <target_root>/rmqctl-migrate.journal
  std::filesystem::path conf_out;       // absolute
  std::vector<NodeTarget> nodes;        // in peers order
  std::string plan_id;                  // md5 of identity()

  const OldBroker& source_broker() const;
  // The stable JSON that plan_id hashes (and the journal records).
  nlohmann::json identity() const;
};

// Reads one old config (discover). Throws common::ConfigError for an unreadable or malformed config.
OldBroker read_old_broker(const std::string& role, const std::filesystem::path& config_path);

// Fills in plan_id from identity().
void seal_plan(MigrationPlan& plan);

// Absolute and lexically normal, without resolving symlinks (the operator's spelling stays recognisable).
std::filesystem::path absolute_path(const std::filesystem::path& path);

}  // namespace rmq::migrate
