#include "broker/namesrv/kv_config.h"

#include <nlohmann/json.hpp>

#include "broker/common/file_system.h"
#include "broker/common/file_system_posix.h"
#include "broker/common/java_properties.h"

namespace rmq::namesrv {
namespace {
constexpr std::uint64_t kMaxKvFileBytes = 64u << 20;
}

KvConfig::KvConfig(std::filesystem::path path, KvLimits limits) : path_(std::move(path)), limits_(limits) {}

void KvConfig::recount() {
  key_count_ = 0;
  total_bytes_ = 0;
  for (const auto& [name_space, entries] : table_) {
    for (const auto& [key, value] : entries) {
      ++key_count_;
      total_bytes_ += name_space.size() + key.size() + value.size();
    }
  }
}

void KvConfig::load() {
  if (path_.empty()) return;
  common::PosixFileSystem fs;
  const auto bytes = common::read_whole_file(fs, path_, kMaxKvFileBytes);
  if (!bytes) return;
  const nlohmann::json root = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  const std::string where = path_.string() + ": ";
  if (root.is_discarded() || !root.is_object()) {
    throw common::ConfigError(where + "not a KV config (JSON object expected)");
  }
  auto table_it = root.find("configTable");
  if (table_it == root.end() || table_it->is_null()) return;
  if (!table_it->is_object()) throw common::ConfigError(where + "configTable is not an object");
  decltype(table_) loaded;
  for (const auto& [name_space, entries] : table_it->items()) {
    if (!entries.is_object()) throw common::ConfigError(where + "namespace '" + name_space + "' is not an object");
    for (const auto& [key, value] : entries.items()) {
      if (!value.is_string()) {
        throw common::ConfigError(where + "value of '" + name_space + "/" + key + "' is not a string");
      }
      loaded[name_space][key] = value.get<std::string>();
    }
  }
  table_ = std::move(loaded);
  // A file written by a Java name server may already be past the limits: it is kept as it is (refusing to
  // start would lose it), and only puts that add to it are refused.
  recount();
}

void KvConfig::put(const std::string& name_space, const std::string& key, const std::string& value) {
  const auto refuse = [](const std::string& what, std::size_t given, std::size_t bound, const char* unit) {
    throw KvLimitExceeded("KV config " + what + " " + std::to_string(given) + unit + " is over the limit of " +
                          std::to_string(bound) + unit);
  };
  if (name_space.size() > limits_.max_namespace_bytes) {
    refuse("namespace length", name_space.size(), limits_.max_namespace_bytes, " bytes");
  }
  if (key.size() > limits_.max_key_bytes) refuse("key length", key.size(), limits_.max_key_bytes, " bytes");
  if (value.size() > limits_.max_value_bytes) {
    refuse("value length", value.size(), limits_.max_value_bytes, " bytes");
  }
  const auto ns_it = table_.find(name_space);
  std::optional<std::size_t> old_value_bytes;
  if (ns_it != table_.end()) {
    const auto entry = ns_it->second.find(key);
    if (entry != ns_it->second.end()) {
      if (entry->second == value) return;  // nothing changes: nothing to write
      old_value_bytes = entry->second.size();
    }
  } else if (table_.size() + 1 > limits_.max_namespaces) {
    refuse("namespace count", table_.size() + 1, limits_.max_namespaces, "");
  }
  if (!old_value_bytes && key_count_ + 1 > limits_.max_keys) {
    refuse("key count", key_count_ + 1, limits_.max_keys, "");
  }
  const std::size_t new_total = old_value_bytes ? total_bytes_ - *old_value_bytes + value.size()
                                                : total_bytes_ + name_space.size() + key.size() + value.size();
  if (new_total > total_bytes_ && new_total > limits_.max_total_bytes) {
    refuse("total size", new_total, limits_.max_total_bytes, " bytes");
  }
  table_[name_space][key] = value;
  total_bytes_ = new_total;
  if (!old_value_bytes) ++key_count_;
  persist();
}

bool KvConfig::remove(const std::string& name_space, const std::string& key) {
  auto it = table_.find(name_space);
  if (it == table_.end()) return false;
  const auto entry = it->second.find(key);
  if (entry == it->second.end()) return false;  // nothing changes: nothing to write
  total_bytes_ -= name_space.size() + key.size() + entry->second.size();
  --key_count_;
  it->second.erase(entry);
  if (it->second.empty()) table_.erase(it);
  persist();
  return true;
}

std::optional<std::string> KvConfig::get(const std::string& name_space, const std::string& key) const {
  auto it = table_.find(name_space);
  if (it == table_.end()) return std::nullopt;
  auto entry = it->second.find(key);
  if (entry == it->second.end()) return std::nullopt;
  return entry->second;
}

std::optional<std::map<std::string, std::string>> KvConfig::list(const std::string& name_space) const {
  auto it = table_.find(name_space);
  if (it == table_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

void KvConfig::persist() const {
  if (path_.empty()) return;
  nlohmann::json config_table = nlohmann::json::object();
  for (const auto& [name_space, entries] : table_) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : entries) object[key] = value;
    config_table[name_space] = std::move(object);
  }
  const std::string text =
      nlohmann::json{{"configTable", std::move(config_table)}}.dump(-1, ' ', false,
                                                                     nlohmann::json::error_handler_t::replace);
  common::PosixFileSystem fs;
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  common::create_dirs_durably(fs, dir);
  std::filesystem::path tmp = path_;
  tmp += ".tmp";
  {
    auto file = fs.open(tmp, common::OpenMode::kCreateTruncate);
    file->append(common::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    file->sync();
  }
  fs.rename(tmp, path_);
  fs.sync_dir(dir);
}

}  // namespace rmq::namesrv
