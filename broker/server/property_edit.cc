// Property list edits (see property_edit.h).
#include "broker/server/property_edit.h"

#include <algorithm>

namespace rmq::server {

store::PropertyList parse_unique_properties(std::string_view text) {
  store::PropertyList out;
  for (auto& [key, value] : store::parse_properties(text)) put_property(out, key, value);
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
