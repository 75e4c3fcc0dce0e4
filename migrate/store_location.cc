#include "migrate/store_location.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <system_error>

#include "broker/common/java_properties.h"
#include "broker/store/commitlog_files.h"

namespace rmq::migrate {

namespace fs = std::filesystem;
using common::ConfigError;

namespace {
std::uint64_t parse_size(const std::string& text, const fs::path& config, const std::string& key) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v == 0 || text.empty() || text[0] == '-') {
    throw ConfigError(config.string() + ": " + key + "=" + text + " is not a positive size in bytes");
  }
  return v;
}

fs::path default_store_root() {
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : "") / "store";
}
}  // namespace

StoreLocation store_location_from_config(const fs::path& config_path) {
  const common::JavaProperties props = common::JavaProperties::load(config_path);
  static constexpr const char* kBrokerKeys[] = {"brokerName", "brokerClusterName", "storePathRootDir",
                                                "storePathCommitLog", "listenPort", "namesrvAddr",
                                                "brokerRole", "brokerId", "mappedFileSizeCommitLog",
                                                "enableDLegerCommitLog"};
  if (std::none_of(std::begin(kBrokerKeys), std::end(kBrokerKeys),
                   [&](const char* key) { return props.contains(key); })) {
    throw ConfigError(config_path.string() + ": not a broker config (none of brokerName, storePathRootDir, "
                                             "storePathCommitLog, ... is set)");
  }
  StoreLocation loc;
  loc.given = config_path.string();
  loc.config_path = config_path;
  loc.store_root = props.get_or("storePathRootDir", default_store_root().string());
  loc.commitlog_dir = props.get_or("storePathCommitLog", (loc.store_root / "commitlog").string());
  if (loc.commitlog_dir.string().find(',') != std::string::npos) {
    throw ConfigError(config_path.string() + ": storePathCommitLog=" + loc.commitlog_dir.string() +
                      " is a multi-path commitlog, which rmqctl does not support");
  }
  if (auto size = props.get("mappedFileSizeCommitLog")) {
    loc.file_size_bytes = parse_size(*size, config_path, "mappedFileSizeCommitLog");
  }
  return loc;
}

StoreLocation resolve_store_location(const std::string& given) {
  std::error_code ec;
  const fs::path path(given);
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw ConfigError(given + ": no such file or directory");
  if (fs::is_regular_file(status)) {
    if (store::is_commitlog_file_name(path.filename().string())) {
      throw ConfigError(given + ": is a commitlog file; give its directory or the store root");
    }
    StoreLocation loc = store_location_from_config(path);
    loc.given = given;
    return loc;
  }
  if (!fs::is_directory(status)) throw ConfigError(given + ": not a directory or a broker config file");
  StoreLocation loc;
  loc.given = given;
  if (fs::is_directory(path / "commitlog", ec) || has_dledger_directory(path)) {
    loc.store_root = path;
    loc.commitlog_dir = path / "commitlog";
  } else {
    // A store root whose commitlog lives elsewhere (storePathCommitLog) must not be read as an empty log.
    for (const char* marker : {"checkpoint", "config", "consumequeue", "abort", "lock", "index"}) {
      if (fs::exists(path / marker, ec)) {
        throw ConfigError(given + ": a store root without a commitlog/ directory (storePathCommitLog set "
                                  "elsewhere?); give the broker.conf or the commitlog directory");
      }
    }
    // A directory that holds entries but not one commitlog file is not a commitlog directory (a mistyped path:
    // /etc, a home directory, the config/ dir); read as an empty log it would be "behind" and the next step
    // would be to copy a whole commitlog into it. An empty directory stays an empty log (a fresh slave).
    std::size_t entries = 0;
    std::string example;
    bool has_commitlog_file = false;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end && !has_commitlog_file; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      has_commitlog_file = store::is_commitlog_file_name(name);
      if (++entries == 1) example = name;
    }
    if (ec) throw ConfigError(given + ": cannot list: " + ec.message());
    if (entries > 0 && !has_commitlog_file) {
      throw ConfigError(given + ": not a store root or a commitlog directory: none of its " +
                        std::to_string(entries) + " entries (e.g. \"" + example +
                        "\") is a commitlog file (a 20-digit name); give the store root, its commitlog directory or "
                        "its broker.conf");
    }
    loc.store_root = path.has_parent_path() ? path.parent_path() : path;
    loc.commitlog_dir = path;
  }
  return loc;
}

bool has_dledger_directory(const fs::path& store_root) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(store_root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 8 && name.rfind("dledger-", 0) == 0 && entry.is_directory(ec)) return true;
  }
  return false;
}

}  // namespace rmq::migrate
