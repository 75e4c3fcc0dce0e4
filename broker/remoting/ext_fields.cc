#include "broker/remoting/ext_fields.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace rmq::remoting {

ExtFields::ExtFields(std::initializer_list<Entry> entries) {
  map_.reserve(entries.size());
  for (const Entry& entry : entries) {
    if (!contains(entry.first)) set(entry.first, entry.second);
  }
}

ExtFields::Map::const_iterator ExtFields::lower_bound(std::string_view key) const {
  return std::lower_bound(map_.begin(), map_.end(), key,
                          [](const Entry& entry, std::string_view k) { return std::string_view(entry.first) < k; });
}

ExtFields::Map::const_iterator ExtFields::find(std::string_view key) const {
  const auto it = lower_bound(key);
  return it != map_.end() && it->first == key ? it : map_.end();
}

void ExtFields::set(std::string_view key, std::string value) {
  // Decoders and encoders mostly add keys in order: appending at the end needs no search.
  if (map_.empty() || std::string_view(map_.back().first) < key) {
    map_.emplace_back(std::string(key), std::move(value));
    return;
  }
  const auto pos = map_.begin() + (lower_bound(key) - map_.cbegin());
  if (pos != map_.end() && pos->first == key) {
    pos->second = std::move(value);
  } else {
    map_.emplace(pos, std::string(key), std::move(value));
  }
}

bool ExtFields::erase(std::string_view key) {
  const auto it = find(key);
  if (it == map_.end()) return false;
  map_.erase(it);
  return true;
}

void ExtFields::set_int(std::string_view key, std::int64_t value) { set(key, std::to_string(value)); }

void ExtFields::set_bool(std::string_view key, bool value) { set(key, value ? "true" : "false"); }

std::optional<std::string_view> ExtFields::get(std::string_view key) const {
  const auto it = find(key);
  if (it == map_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::int32_t> ExtFields::get_int32(std::string_view key) const {
  const auto value = get_int64(key);
  if (!value || *value < std::numeric_limits<std::int32_t>::min() ||
      *value > std::numeric_limits<std::int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::int32_t>(*value);
}

std::optional<std::int64_t> ExtFields::get_int64(std::string_view key) const {
  const auto text = get(key);
  if (!text) return std::nullopt;
  return parse_java_long(*text);
}

std::optional<bool> ExtFields::get_bool(std::string_view key) const {
  const auto text = get(key);
  if (!text) return std::nullopt;
  if (text->size() != 4) return false;
  constexpr std::string_view kTrue = "true";
  for (std::size_t i = 0; i < 4; ++i) {
    const char c = (*text)[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kTrue[i]) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_java_long(std::string_view text) {
  // Long.parseLong accepts one leading '+' or '-'; from_chars accepts only '-'.
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace rmq::remoting
