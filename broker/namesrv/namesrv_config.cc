#include "broker/namesrv/namesrv_config.h"

#include <cstdlib>
#include <limits>
#include <optional>

#include "broker/remoting/ext_fields.h"

namespace rmq::namesrv {
namespace {

std::string where(const common::JavaProperties& properties, const std::string& source, const std::string& key) {
  const int line = properties.line_of(key);
  return source + (line > 0 ? ":" + std::to_string(line) : "") + ": " + key;
}

std::int64_t integer_value(const common::JavaProperties& properties, const std::string& source,
                           const std::string& key, std::int64_t min, std::int64_t max) {
  const std::string text = *properties.get(key);
  // Java's properties2Object trims the value before Integer.parseInt / Long.parseLong.
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  const std::string trimmed = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  const std::optional<std::int64_t> value = remoting::parse_java_long(trimmed);
  if (!value) throw common::ConfigError(where(properties, source, key) + ": '" + text + "' is not an integer");
  if (*value < min || *value > max) {
    throw common::ConfigError(where(properties, source, key) + ": " + std::to_string(*value) + " is out of range [" +
                              std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return *value;
}

}  // namespace

NamesrvConfig default_namesrv_config() {
  NamesrvConfig config;
  const char* home = std::getenv("HOME");
  const std::filesystem::path base = (home != nullptr && *home != '\0') ? std::filesystem::path(home) : ".";
  config.kv_config_path = base / "namesrv" / "kvConfig.json";
  config.plain_acl_file = base / "namesrv" / "plain_acl.yml";
  return config;
}

LoadedConfig apply_namesrv_properties(NamesrvConfig base, const common::JavaProperties& properties,
                                      const std::string& source_name) {
  LoadedConfig loaded{std::move(base), {}};
  NamesrvConfig& config = loaded.config;
  constexpr std::int64_t kMaxMs = std::numeric_limits<std::int32_t>::max();
  bool acl_file_set = false;
  for (const std::string& key : properties.keys_in_order()) {
    if (key == "listenPort") {
      config.listen_port = static_cast<std::uint16_t>(integer_value(properties, source_name, key, 1, 65535));
    } else if (key == "kvConfigPath") {
      config.kv_config_path = *properties.get(key);
    } else if (key == "scanNotActiveBrokerInterval") {
      config.scan_not_active_broker_interval_ms = integer_value(properties, source_name, key, 1, kMaxMs);
    } else if (key == "brokerChannelExpiredTime") {
      config.broker_channel_expired_time_ms = integer_value(properties, source_name, key, 1, kMaxMs);
    } else if (key == "serverSelectorThreads") {
      config.server_io_threads = static_cast<std::size_t>(integer_value(properties, source_name, key, 1, 64));
    } else if (key == "aclEnable") {
      const std::optional<std::string> text = properties.get(key);
      if (text == "true") config.acl_enable = true;
      else if (text == "false") config.acl_enable = false;
      else throw common::ConfigError(where(properties, source_name, key) + ": '" + text.value_or("") + "' is not true or false");
    } else if (key == "plainAclFile") {
      config.plain_acl_file = *properties.get(key);
      acl_file_set = true;
    } else if (const remoting::TlsSettingKey* tls_key = remoting::find_tls_setting_key(key)) {
      try {
        tls_key->apply(config.tls, *properties.get(key));
      } catch (const std::invalid_argument& e) {
        throw common::ConfigError(where(properties, source_name, key) + ": '" + *properties.get(key) + "' " + e.what());
      }
    } else if (const remoting::ServerLimitKey* limit = remoting::find_server_limit_key(key)) {
      config.server_limits.*limit->field = integer_value(properties, source_name, key, limit->min_value, limit->max_value);
    } else {
      loaded.warnings.push_back(where(properties, source_name, key) + ": unknown key, ignored");
    }
  }
  if (auto problem = remoting::check_server_limits(config.server_limits)) {
    throw common::ConfigError(source_name + ": " + *problem);
  }
  if (auto problem = remoting::check_tls_settings(config.tls)) throw common::ConfigError(source_name + ": " + *problem);
  // Like the broker: plain_acl.yml beside the config file unless plainAclFile names another.
  if (!acl_file_set) config.plain_acl_file = std::filesystem::path(source_name).parent_path() / "plain_acl.yml";
  return loaded;
}

std::string format_namesrv_config(const NamesrvConfig& config) {
  std::string out;
  out += "listenPort=" + std::to_string(config.listen_port) + "\n";
  out += "kvConfigPath=" + common::JavaProperties::escape_value(config.kv_config_path.string()) + "\n";
  out += "scanNotActiveBrokerInterval=" + std::to_string(config.scan_not_active_broker_interval_ms) + "\n";
  out += "brokerChannelExpiredTime=" + std::to_string(config.broker_channel_expired_time_ms) + "\n";
  out += "serverSelectorThreads=" + std::to_string(config.server_io_threads) + "\n";
  out += std::string("aclEnable=") + (config.acl_enable ? "true" : "false") + "\n";
  out += "plainAclFile=" + common::JavaProperties::escape_value(config.plain_acl_file.string()) + "\n";
  for (const remoting::ServerLimitKey& limit : remoting::server_limit_keys()) {
    out += std::string(limit.key) + "=" + std::to_string(config.server_limits.*limit.field) + "\n";
  }
  for (const remoting::TlsSettingKey& tls_key : remoting::tls_setting_keys()) {
    out += std::string(tls_key.key) + "=" + common::JavaProperties::escape_value(tls_key.show(config.tls)) + "\n";
  }
  return out;
}

}  // namespace rmq::namesrv
