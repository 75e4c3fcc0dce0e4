#include "broker/acl/address_pattern.h"

#include <charconv>

namespace rmq::acl {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int> octet_value(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 255) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool looks_ipv4(std::string_view s) {
  for (char c : s) {
    if (!(c == '.' || c == '*' || c == '-' || (c >= '0' && c <= '9'))) return false;
  }
  return s.find('.') != std::string_view::npos || s == "*";
}

}  // namespace

std::optional<AddressPattern> AddressPattern::parse(std::string_view text, std::string* error) {
  AddressPattern pattern;
  std::string_view t = trim(text);
  if (t.empty()) return pattern;
  // Expand "a.b.c.{x,y}" into "a.b.c.x,a.b.c.y".
  std::string expanded;
  const std::size_t brace = t.find('{');
  if (brace != std::string_view::npos) {
    if (t.back() != '}' || brace == 0) {
      *error = "address pattern '" + std::string(t) + "': a {..} list must end the pattern";
      return std::nullopt;
    }
    const std::string_view prefix = t.substr(0, brace);
    for (std::string_view item : split(t.substr(brace + 1, t.size() - brace - 2), ',')) {
      if (!expanded.empty()) expanded += ',';
      expanded += std::string(prefix) + std::string(trim(item));
    }
    t = expanded;
  }
  for (std::string_view raw : split(t, ',')) {
    const std::string_view item = trim(raw);
    if (item.empty()) {
      *error = "address pattern '" + std::string(text) + "': empty entry in the list";
      return std::nullopt;
    }
    Alternative alt;
    if (!looks_ipv4(item)) {
      alt.exact = std::string(item);
      pattern.alternatives_.push_back(std::move(alt));
      continue;
    }
    const std::vector<std::string_view> octets = split(item, '.');
    if (octets.size() > 4) {
      *error = "address pattern '" + std::string(item) + "': more than 4 octets";
      return std::nullopt;
    }
    for (std::size_t i = 0; i < octets.size(); ++i) {
      const std::string_view o = octets[i];
      OctetRange range;
      const std::size_t dash = o.find('-');
      if (o == "*") {
        // every value
      } else if (dash != std::string_view::npos) {
        const auto low = octet_value(o.substr(0, dash));
        const auto high = octet_value(o.substr(dash + 1));
        if (!low || !high || *low > *high) {
          *error = "address pattern '" + std::string(item) + "': bad range '" + std::string(o) + "'";
          return std::nullopt;
        }
        range = {*low, *high};
      } else {
        const auto v = octet_value(o);
        if (!v) {
          *error = "address pattern '" + std::string(item) + "': bad octet '" + std::string(o) + "'";
          return std::nullopt;
        }
        range = {*v, *v};
      }
      alt.octets.push_back(range);
    }
    if (alt.octets.size() < 4) {
      if (octets.back() != "*") {
        *error = "address pattern '" + std::string(item) + "': fewer than 4 octets without a trailing '*'";
        return std::nullopt;
      }
      alt.octets.resize(4);  // the trailing '*' covers the rest (default ranges are 0..255)
    }
    pattern.alternatives_.push_back(std::move(alt));
  }
  return pattern;
}

bool AddressPattern::matches(std::string_view address) const {
  std::optional<std::vector<int>> parsed;
  const std::vector<std::string_view> parts = split(address, '.');
  if (parts.size() == 4) {
    std::vector<int> values;
    for (std::string_view p : parts) {
      const auto v = octet_value(p);
      if (!v) break;
      values.push_back(*v);
    }
    if (values.size() == 4) parsed = std::move(values);
  }
  for (const Alternative& alt : alternatives_) {
    if (alt.octets.empty()) {
      if (alt.exact == address) return true;
      continue;
    }
    if (!parsed) continue;
    bool all = true;
    for (std::size_t i = 0; i < 4 && all; ++i) {
      all = (*parsed)[i] >= alt.octets[i].low && (*parsed)[i] <= alt.octets[i].high;
    }
    if (all) return true;
  }
  return false;
}

std::string strip_port(std::string_view peer_address) {
  if (!peer_address.empty() && peer_address.front() == '[') {
    const std::size_t close = peer_address.find(']');
    if (close != std::string_view::npos) return std::string(peer_address.substr(1, close - 1));
  }
  const std::size_t colon = peer_address.rfind(':');
  if (colon != std::string_view::npos && peer_address.find(':') == colon) {
    return std::string(peer_address.substr(0, colon));
  }
  return std::string(peer_address);
}

}  // namespace rmq::acl
