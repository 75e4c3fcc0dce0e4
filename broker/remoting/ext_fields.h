// The `extFields` of a command: the request's "custom header" as a string -> string map (remoting.md 1.2, 1.6).
//
// Java fills it by reflection from a header class, one entry per field, with `String.valueOf(value)`, and
// parses it back with Integer.parseInt / Long.parseLong / Boolean.parseBoolean. Every value is therefore a
// string here, whatever JSON type it arrived as (the JSON decoder converts numbers and booleans), and the
// typed getters parse the way Java does so that a processor written against them accepts exactly what the
// Java broker accepts. Keys are kept sorted, which is also the order fastjson writes them in.
//
// Storage is a vector of pairs kept sorted by key, not a tree: a header has about a dozen short keys, every
// request decodes one and every response encodes one, and a tree costs two allocations per entry and a string
// comparison per level. Lookups are binary searches; an insert shifts at most a dozen entries.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

namespace rmq::remoting {

class ExtFields {
 public:
  using Entry = std::pair<std::string, std::string>;
  using Map = std::vector<Entry>;  // sorted by key, keys unique

  ExtFields() = default;
  // Like a map built from the list: the first of two equal keys is kept.
  ExtFields(std::initializer_list<Entry> entries);

  // Sets (or replaces) a value. The integer and boolean forms write the text Java's String.valueOf gives.
  void set(std::string_view key, std::string value);
  void set(std::string_view key, const char* value) { set(key, std::string(value)); }
  void set_int(std::string_view key, std::int64_t value);
  void set_bool(std::string_view key, bool value);
  bool erase(std::string_view key);
  // Room for `count` entries, so that a decoder fills the map without growing it.
  void reserve(std::size_t count) { map_.reserve(count); }

  bool contains(std::string_view key) const { return find(key) != map_.end(); }
  // The raw text, or nullopt when the key is absent. The view lives as long as the entry is unchanged.
  std::optional<std::string_view> get(std::string_view key) const;
  // Integer.parseInt / Long.parseLong: optional sign, decimal digits only, in range. nullopt when the key is
  // absent *or* the text does not parse; callers that must tell the two apart check contains() first.
  std::optional<std::int32_t> get_int32(std::string_view key) const;
  std::optional<std::int64_t> get_int64(std::string_view key) const;
  // Boolean.parseBoolean: "true" in any case is true, any other text is false; nullopt only when absent.
  std::optional<bool> get_bool(std::string_view key) const;

  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  Map::const_iterator begin() const { return map_.begin(); }
  Map::const_iterator end() const { return map_.end(); }
  const Map& map() const { return map_; }

  bool operator==(const ExtFields&) const = default;

 private:
  Map::const_iterator lower_bound(std::string_view key) const;
  Map::const_iterator find(std::string_view key) const;

  Map map_;
};

// Java's Long.parseLong on the whole text; exposed for bodies and other fields parsed the same way.
std::optional<std::int64_t> parse_java_long(std::string_view text);

}  // namespace rmq::remoting
