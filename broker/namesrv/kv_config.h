// The name server's KV configuration (4.9.x KVConfigManager): namespace -> {key -> value}, served by
// PUT/GET/DELETE_KV_CONFIG (100/101/102). The ORDER_TOPIC_CONFIG namespace also feeds REGISTER_BROKER
// answers and the orderTopicConf of routes.
//
// Persistence matches Java's file, {"configTable":{"ns":{"k":"v"}}} at kvConfigPath, so a Java name server's
// kvConfig.json can be reused. Each change rewrites the whole file through a temporary file, fsync and
// rename, so a crash leaves either the old or the new table, never a torn one. An empty path keeps the
// table in memory only. Not thread-safe: the caller serializes.
//
// Any client may put, so the table is bounded (KvLimits, man/rmq-namesrv.8 "Key-value store limits"): a put
// past a limit is refused with KvLimitExceeded and changes nothing. Java has no bound; without one a client
// grew the table, and with it the cost of each rewrite, without end. A put that changes nothing (the same
// value again) and a remove of a missing key write nothing.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace rmq::namesrv {

inline constexpr const char* kOrderTopicConfigNamespace = "ORDER_TOPIC_CONFIG";

// The bounds of the table. Sizes are bytes of the UTF-8 strings as received.
struct KvLimits {
  std::size_t max_namespaces = 1024;
  std::size_t max_keys = 10'000;                   // over all namespaces
  std::size_t max_namespace_bytes = 255;
  std::size_t max_key_bytes = 255;
  std::size_t max_value_bytes = 16 * 1024;
  std::size_t max_total_bytes = 4 * 1024 * 1024;  // sum of namespace, key and value bytes of every entry
};

// A put refused by a KvLimits bound; the message names the limit, the value given and the bound.
class KvLimitExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KvConfig {
 public:
  explicit KvConfig(std::filesystem::path path, KvLimits limits = {});

  // Reads the file if it exists. Throws common::ConfigError naming the file when it is not a KV table,
  // common::IoError when it cannot be read.
  void load();

  // Both persist the whole table when it changed; they throw common::IoError when the file cannot be written,
  // after the change has been made in memory (Java logs and keeps going the same way). put throws
  // KvLimitExceeded, before changing anything, when the entry would break a KvLimits bound.
  void put(const std::string& name_space, const std::string& key, const std::string& value);
  bool remove(const std::string& name_space, const std::string& key);

  std::optional<std::string> get(const std::string& name_space, const std::string& key) const;
  // The namespace's table, or nullopt when the namespace has no entries.
  std::optional<std::map<std::string, std::string>> list(const std::string& name_space) const;

  const std::filesystem::path& path() const { return path_; }
  const KvLimits& limits() const { return limits_; }
  std::size_t key_count() const { return key_count_; }
  std::size_t total_bytes() const { return total_bytes_; }

 private:
  void persist() const;
  void recount();

  std::filesystem::path path_;
  KvLimits limits_;
  std::map<std::string, std::map<std::string, std::string>> table_;
  std::size_t key_count_ = 0;
  std::size_t total_bytes_ = 0;
};

}  // namespace rmq::namesrv
