#include "broker/remoting/ext_fields.h"

#include <charconv>
#include <limits>

namespace rmq::remoting {

void ExtFields::set(std::string_view key, std::string value) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    map_.emplace(std::string(key), std::move(value));
  } else {
    it->second = std::move(value);
  }
}

void ExtFields::set_int(std::string_view key, std::int64_t value) { set(key, std::to_string(value)); }

void ExtFields::set_bool(std::string_view key, bool value) { set(key, value ? "true" : "false"); }

std::optional<std::string_view> ExtFields::get(std::string_view key) const {
  auto it = map_.find(key);
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
