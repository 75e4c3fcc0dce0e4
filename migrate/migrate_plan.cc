#include "migrate/migrate_plan.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cassert>
#include <memory>
#include <stdexcept>

#include "broker/common/bytes.h"
#include "broker/store/commitlog_files.h"
#include "migrate/journal.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

namespace {

// BrokerConfig's brokerName default is the local host name (RemotingUtil... localHostName()).
std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "DEFAULT_BROKER";
  return name;
}

std::string md5_hex(const std::string& text) {
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) {
    throw std::runtime_error("OpenSSL: MD5 failed");
  }
  return common::to_hex_lower(common::ByteSpan(digest, size));
}

}  // namespace

const char* to_string(MigrationMode mode) {
  return mode == MigrationMode::kMasterSlave ? "master-slave" : "master";
}

const char* to_string(SourceRole role) { return role == SourceRole::kMaster ? "master" : "slave"; }

fs::path absolute_path(const fs::path& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  abs = abs.lexically_normal();
  // "/a/b/" normalises to "/a/b/": drop the empty last element so paths compare equal.
  if (abs.has_relative_path() && abs.filename().empty()) abs = abs.parent_path();
  return abs;
}

OldBroker read_old_broker(const std::string& role, const fs::path& config_path) {
  OldBroker b;
  b.role = role;
  b.config_path = absolute_path(config_path);
  b.properties = common::JavaProperties::load(b.config_path);
  b.location = store_location_from_config(b.config_path);
  b.location.given = b.config_path.string();
  b.location.store_root = absolute_path(b.location.store_root);
  b.location.commitlog_dir = absolute_path(b.location.commitlog_dir);
  b.file_size_bytes = b.location.file_size_bytes.value_or(store::kDefaultCommitlogFileSize);
  b.broker_name = b.properties.get_or("brokerName", local_host_name());
  b.cluster_name = b.properties.get_or("brokerClusterName", "DefaultCluster");
  b.namesrv_addr = b.properties.get_or("namesrvAddr", "");
  b.broker_role = b.properties.get_or("brokerRole", "ASYNC_MASTER");
  return b;
}

const OldBroker& MigrationPlan::source_broker() const {
  assert(source == SourceRole::kMaster || slave.has_value());
  return source == SourceRole::kMaster ? master : *slave;
}

nlohmann::json MigrationPlan::identity() const {
  nlohmann::json nodes_json = nlohmann::json::array();
  for (const auto& n : nodes) {
    nodes_json.push_back({{"id", n.id},
                          {"peer", n.peer_address},
                          {"store_root", n.store_root.string()},
                          {"config", n.config_path.string()}});
  }
  return {{"mode", to_string(mode)},
          {"master_conf", master.config_path.string()},
          {"slave_conf", slave ? nlohmann::json(slave->config_path.string()) : nlohmann::json(nullptr)},
          {"source", to_string(source)},
          {"source_store_root", source_broker().location.store_root.string()},
          {"peers", peers},
          {"group", group},
          {"target_root", target_root.string()},
          {"nodes", nodes_json},
          {"commitlog_file_size", source_broker().file_size_bytes}};
}

void seal_plan(MigrationPlan& plan) {
  plan.journal_path = plan.target_root / kJournalFileName;
  plan.plan_id = md5_hex(plan.identity().dump());
}

}  // namespace rmq::migrate
