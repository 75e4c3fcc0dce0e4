// Subscriptions and their tag filter (see subscription_data.h).
#include "broker/server/subscription_data.h"

#include <sstream>
#include <stdexcept>

#include "broker/store/message_record.h"

namespace rmq::server {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' || text.front() == '\n')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<SubscriptionData> build_subscription(const std::string& topic, const std::string& sub_string,
                                                   const std::string& expression_type) {
  SubscriptionData data;
  data.topic = topic;
  data.expression_type = expression_type.empty() ? "TAG" : expression_type;
  if (data.expression_type != "TAG") return std::nullopt;
  const std::string_view expr = trim(sub_string);
  if (expr.empty() || expr == "*") {
    data.sub_string = "*";
    return data;
  }
  data.sub_string.assign(expr.data(), expr.size());
  std::string_view rest = expr;
  for (;;) {
    const std::size_t next = rest.find("||");
    const std::string_view tag = trim(rest.substr(0, next));
    if (!tag.empty()) {
      data.tags_set.emplace(tag);
      data.code_set.insert(static_cast<std::int32_t>(store::tags_hash_code(tag)));
    }
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 2);
  }
  if (data.tags_set.empty()) return std::nullopt;
  return data;
}

SubscriptionData subscription_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw std::invalid_argument("subscription is not an object");
  SubscriptionData data;
  auto topic = json.find("topic");
  if (topic == json.end() || !topic->is_string()) throw std::invalid_argument("subscription without topic");
  data.topic = topic->get<std::string>();
  if (auto it = json.find("subString"); it != json.end() && it->is_string()) data.sub_string = it->get<std::string>();
  if (auto it = json.find("expressionType"); it != json.end() && it->is_string()) {
    data.expression_type = it->get<std::string>();
  }
  if (auto it = json.find("subVersion"); it != json.end() && it->is_number_integer()) {
    data.sub_version = it->get<std::int64_t>();
  }
  if (auto it = json.find("classFilterMode"); it != json.end() && it->is_boolean()) {
    data.class_filter_mode = it->get<bool>();
  }
  if (auto it = json.find("tagsSet"); it != json.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) data.tags_set.insert(t.get<std::string>());
    }
  }
  if (auto it = json.find("codeSet"); it != json.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (c.is_number_integer()) data.code_set.insert(c.get<std::int32_t>());
    }
  }
  // Clients send tagsSet/codeSet already; rebuild the codes from the expression when they are missing.
  if (data.code_set.empty() && data.expression_type == "TAG") {
    if (auto built = build_subscription(data.topic, data.sub_string, "TAG")) {
      data.tags_set = built->tags_set;
      data.code_set = built->code_set;
    }
  }
  return data;
}

store::TagsCodeFilter make_tags_filter(const SubscriptionData& subscription) {
  if (subscription.expression_type != "TAG" || subscription.sub_string == "*" || subscription.sub_string.empty() ||
      subscription.code_set.empty()) {
    return nullptr;
  }
  auto codes = subscription.code_set;
  return [codes](std::int64_t tags_code) {
    return codes.count(static_cast<std::int32_t>(tags_code)) != 0;
  };
}

}  // namespace rmq::server
