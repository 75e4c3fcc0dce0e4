// The name server's KV configuration (4.9.x KVConfigManager): namespace -> {key -> value}, served by
// PUT/GET/DELETE_KV_CONFIG (100/101/102). The ORDER_TOPIC_CONFIG namespace also feeds REGISTER_BROKER
// answers and the orderTopicConf of routes.
//
// Persistence matches Java's file, {"configTable":{"ns":{"k":"v"}}} at kvConfigPath, so a Java name server's
// kvConfig.json can be reused. Each change rewrites the whole file through a temporary file, fsync and
// rename, so a crash leaves either the old or the new table, never a torn one. An empty path keeps the
// table in memory only. Not thread-safe: the caller serializes.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace rmq::namesrv {

inline constexpr const char* kOrderTopicConfigNamespace = "ORDER_TOPIC_CONFIG";

class KvConfig {
 public:
  explicit KvConfig(std::filesystem::path path);

  // Reads the file if it exists. Throws common::ConfigError naming the file when it is not a KV table,
  // common::IoError when it cannot be read.
  void load();

  // Both persist the whole table; they throw common::IoError when the file cannot be written, after the
  // change has been made in memory (Java logs and keeps going the same way).
  void put(const std::string& name_space, const std::string& key, const std::string& value);
  bool remove(const std::string& name_space, const std::string& key);

  std::optional<std::string> get(const std::string& name_space, const std::string& key) const;
  // The namespace's table, or nullopt when the namespace has no entries.
  std::optional<std::map<std::string, std::string>> list(const std::string& name_space) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  void persist() const;

  std::filesystem::path path_;
  std::map<std::string, std::map<std::string, std::string>> table_;
};

}  // namespace rmq::namesrv
