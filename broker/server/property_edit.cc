// Property list edits (see property_edit.h).
#include "broker/server/property_edit.h"

#include <algorithm>
#include <unordered_map>

namespace rmq::server {

store::PropertyList parse_unique_properties(std::string_view text) {
  // Linear: a map from key to its slot instead of a scan per key (a header may hold thousands of pairs).
  store::PropertyList out;
  std::unordered_map<std::string, std::size_t> slot_of;
  for (auto& [key, value] : store::parse_properties(text)) {
    auto [it, inserted] = slot_of.try_emplace(key, out.size());
    if (inserted) {
      out.emplace_back(key, std::move(value));
    } else {
      out[it->second].second = std::move(value);
    }
  }
  return out;
}

void put_property(store::PropertyList& properties, std::string_view key, std::string value) {
  for (auto& entry : properties) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  }
  properties.emplace_back(std::string(key), std::move(value));
}

void put_properties(store::PropertyList& properties, const store::PropertyList& overrides) {
  // Reserve first: the map's views point into the strings, which must not move afterwards.
  properties.reserve(properties.size() + overrides.size());
  std::unordered_map<std::string_view, std::size_t> slot_of;
  for (std::size_t i = 0; i < properties.size(); ++i) slot_of.try_emplace(properties[i].first, i);
  for (const auto& [key, value] : overrides) {
    auto it = slot_of.find(key);
    if (it != slot_of.end()) {
      properties[it->second].second = value;
    } else {
      properties.emplace_back(key, value);
      // Index the copy just added (its string is owned by `properties`, which no longer reallocates).
      slot_of.emplace(properties.back().first, properties.size() - 1);
    }
  }
}

void clear_property(store::PropertyList& properties, std::string_view key) {
  properties.erase(std::remove_if(properties.begin(), properties.end(),
                                  [&](const store::Property& p) { return p.first == key; }),
                   properties.end());
}

std::optional<std::string> get_property(const store::PropertyList& properties, std::string_view key) {
  for (const auto& entry : properties) {
    if (entry.first == key) return entry.second;
  }
  return std::nullopt;
}

}  // namespace rmq::server
