#include "broker/server/delay_levels.h"

#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>

#include "broker/store/message_properties.h"
#include "broker/store/message_store.h"

namespace rmq::server {
namespace {

std::int64_t unit_ms(char unit) {
  switch (unit) {
    case 's': return 1000;
    case 'm': return 60 * 1000;
    case 'h': return 60 * 60 * 1000;
    case 'd': return 24 * 60 * 60 * 1000;
    default: return 0;
  }
}

std::int64_t parse_token(std::string_view token) {
  const auto bad = [&](const char* why) {
    return std::invalid_argument("messageDelayLevel: bad token '" + std::string(token) + "': " + why);
  };
  if (token.size() < 2) throw bad("expected a number followed by s, m, h or d");
  const std::int64_t unit = unit_ms(token.back());
  if (unit == 0) throw bad("unknown unit (expected s, m, h or d)");
  const std::string_view digits = token.substr(0, token.size() - 1);
  std::int64_t count = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (error != std::errc() || end != digits.data() + digits.size()) throw bad("not a number");
  if (count < 0) throw bad("negative delay");
  if (count > std::numeric_limits<std::int64_t>::max() / unit) throw bad("delay too large");
  return count * unit;
}

}  // namespace

std::vector<std::int64_t> parse_delay_levels(std::string_view text) {
  std::vector<std::int64_t> levels;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ' || text[pos] == '\t') {
      ++pos;
      continue;
    }
    std::size_t end = text.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = text.size();
    levels.push_back(parse_token(text.substr(pos, end - pos)));
    pos = end;
  }
  if (levels.empty()) throw std::invalid_argument("messageDelayLevel: no delay levels in '" + std::string(text) + "'");
  return levels;
}

namespace {

void set_property(store::PropertyList& properties, std::string_view key, std::string value) {
  bool found = false;
  for (auto it = properties.begin(); it != properties.end();) {
    if (it->first == key) {
      if (found) {
        it = properties.erase(it);  // a Java map holds one value per key
        continue;
      }
      it->second = value;
      found = true;
    }
    ++it;
  }
  if (!found) properties.emplace_back(std::string(key), std::move(value));
}

}  // namespace

bool apply_delay_level(store::MessageRecord& message, std::int32_t max_level) {
  const std::int32_t transaction = message.sys_flag & store::sysflag::kTransactionMask;
  if (transaction == store::sysflag::kTransactionPrepared || transaction == store::sysflag::kTransactionRollback) {
    return false;
  }
  if (max_level < 1) return false;
  const auto delay = store::property_value(message.properties, store::property::kDelayTimeLevel);
  if (!delay) return false;
  std::int32_t level = 0;
  auto [end, error] = std::from_chars(delay->data(), delay->data() + delay->size(), level);
  if (error != std::errc() || end != delay->data() + delay->size() || level <= 0) return false;

  store::PropertyList properties = store::parse_properties(message.properties);
  // Drop duplicates first: the value Java's map holds is the last one.
  store::PropertyList unique;
  for (auto& property : properties) set_property(unique, property.first, std::move(property.second));
  if (level > max_level) {
    level = max_level;
    set_property(unique, store::property::kDelayTimeLevel, std::to_string(level));
  }
  set_property(unique, store::property::kRealTopic, message.topic);
  set_property(unique, store::property::kRealQueueId, std::to_string(message.queue_id));
  message.properties = store::format_properties(unique);
  message.topic = std::string(store::kScheduleTopic);
  message.queue_id = level - 1;
  return true;
}

}  // namespace rmq::server
