#include "migrate/migrate_configure.h"

#include <cassert>

#include "broker/common/file_system_posix.h"
#include "broker/common/java_properties.h"
#include "broker/common/md5.h"
#include "migrate/journal_state.h"
#include "migrate/peers.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

std::vector<std::string> check_node_config(const fs::path& path, const NodeTarget& node, const MigrationPlan& plan) {
  std::vector<std::string> problems;
  common::JavaProperties conf;
  try {
    conf = common::JavaProperties::load(path);
  } catch (const common::ConfigError& e) {
    return {e.what()};
  }
  auto expect = [&](const std::string& key, const std::string& want) {
    const auto got = conf.get(key);
    if (!got) {
      problems.push_back(path.string() + ": " + key + " is missing (expected " + want + ")");
    } else if (*got != want) {
      problems.push_back(path.string() + ": " + key + "=" + *got + ", expected " + want);
    }
  };
  expect("storePathRootDir", node.store_root.string());
  expect("storePathCommitLog", node.commitlog_dir.string());
  expect("enableDLegerCommitLog", "true");
  expect("dLegerGroup", plan.group);
  expect("brokerName", plan.group);
  expect("dLegerSelfId", node.id);
  expect("dLegerPeers", plan.peers);
  if (plan.master.properties.contains("mappedFileSizeCommitLog")) {
    // The DLedger data files take this size too; it must be the legacy files' (storage.md 10, gotcha 6).
    expect("mappedFileSizeCommitLog", std::to_string(plan.source_broker().file_size_bytes));
  }
  try {
    const auto peers = parse_peers(conf.get_or("dLegerPeers", ""));
    check_peer_group(peers, /*allow_two_nodes=*/false);
  } catch (const common::ConfigError& e) {
    problems.push_back(path.string() + ": dLegerPeers: " + e.what());
  }
  return problems;
}

ConfigurePhaseResult run_configure_phase(const MigrationPlan& plan, const GenConfPlan& layout, JournalWriter& journal) {
  assert(layout.files.size() == plan.nodes.size());
  ConfigurePhaseResult result;
  common::PosixFileSystem posix;
  common::create_dirs_durably(posix, plan.conf_out);
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodeTarget& node = plan.nodes[i];
    const PlannedConf& file = layout.files[i];
    assert(file.path == node.config_path && file.node.self_id == node.id);
    write_file_atomically(posix, file.path, file.text);
    const auto problems = check_node_config(file.path, node, plan);
    if (!problems.empty()) throw common::ConfigError(problems.front());
    const std::string md5 = common::md5_file_hex(file.path);
    journal.append(journal_record::config(node.id, file.path.string(), md5));
    result.configs.push_back({node.id, file.path, md5});
  }
  result.detail = std::to_string(result.configs.size()) + " broker configs in " + plan.conf_out.string() +
                  " (gen-conf, --from " + plan.master.config_path.filename().string() + ")";
  return result;
}

}  // namespace rmq::migrate
