// Java-properties configs (broker.conf, DLedger's currterm and checkpoint), read with java.util.Properties
// rules so that an operator's existing file means here exactly what it means to the Java broker:
// key and value separated by '=', ':' or whitespace; '#' and '!' comment lines; a backslash at the end of a
// line continues it (leading whitespace of the next line dropped); escapes \t \n \r \f \\ and \uXXXX; any
// other escaped character stands for itself. A later key overrides an earlier one, as in Java.
//
// Errors (a malformed \u escape, an unreadable file) name the file and line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::common {

// A config that cannot be used: the message already names the file, line or key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The largest config file load() reads: broker.conf files are a few KiB; the cap keeps a wrong path (a huge
// log, /dev/zero) from taking the process's memory.
inline constexpr std::uint64_t kMaxConfigFileBytes = 1u << 20;

class JavaProperties {
 public:
  // Sets key to value; a key set again keeps its first position in keys_in_order().
  void set(const std::string& key, const std::string& value);
  std::optional<std::string> get(const std::string& key) const;
  std::string get_or(const std::string& key, const std::string& fallback) const;
  bool contains(const std::string& key) const { return values_.count(key) != 0; }
  const std::vector<std::string>& keys_in_order() const { return order_; }
  std::size_t size() const { return order_.size(); }
  // The line a key was (last) defined on, 0 when set() was called directly; for error messages.
  int line_of(const std::string& key) const;

  // Parses text; source_name ("conf/broker.conf") prefixes every error as "source:line: ...".
  static JavaProperties parse(std::string_view text, const std::string& source_name);
  // Reads and parses a file. Throws ConfigError when it cannot be read or parsed, when it is not a regular
  // file (a FIFO, a device such as /dev/zero: refused without reading, so never a hang) or when it is larger
  // than kMaxConfigFileBytes.
  static JavaProperties load(const std::filesystem::path& path);

  // Renders key=value lines with Java's escaping of keys and values (java.util.Properties.store, without
  // the date comment), in insertion order.
  std::string to_string() const;

  // The escaping to_string() applies, for writers that lay out their own lines (comments, fixed key order):
  // a key escapes spaces and '=' ':' '#' '!'; a value escapes only a leading space; both escape '\\',
  // \t \n \r \f and other control characters (as \uXXXX). UTF-8 is kept as it is.
  static std::string escape_key(std::string_view key);
  static std::string escape_value(std::string_view value);

 private:
  void set_at_line(const std::string& key, const std::string& value, int line);

  std::map<std::string, std::string> values_;
  std::map<std::string, int> lines_;
  std::vector<std::string> order_;
};

}  // namespace rmq::common
