// A consumer's subscription to one topic (4.9.x SubscriptionData), as HEART_BEAT carries it and as PULL_MESSAGE
// builds it from `subscription` (remoting.md 2.5, 4.3), and the tag filter the pull applies with it.
//
// Tag expressions: "*" (or empty) takes everything; otherwise "A || B" lists tags, and a message passes when
// the Java String.hashCode of its TAGS is in codeSet (messages without tags have code 0). Clients filter again
// by the exact tag string. Pure data; nothing persists.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/store/message_store.h"

namespace rmq::server {

struct SubscriptionData {
  std::string topic;
  std::string sub_string = "*";
  std::set<std::string> tags_set;
  std::set<std::int32_t> code_set;
  std::int64_t sub_version = 0;
  std::string expression_type = "TAG";
  bool class_filter_mode = false;
  bool operator==(const SubscriptionData&) const = default;
};

// FilterAPI.buildSubscriptionData for TAG expressions. nullopt when the expression does not parse (a SQL92
// expression, which this broker does not evaluate, also gives nullopt).
std::optional<SubscriptionData> build_subscription(const std::string& topic, const std::string& sub_string,
                                                   const std::string& expression_type);
// From a heartbeat's subscriptionDataSet entry. Throws std::invalid_argument naming the bad field.
SubscriptionData subscription_from_json(const nlohmann::json& json);

// The consume-queue filter for a subscription (nullptr when it takes everything). A delayed message's tags
// code is its delivery time, but those sit only on the schedule topic, which nobody subscribes to.
store::TagsCodeFilter make_tags_filter(const SubscriptionData& subscription);

}  // namespace rmq::server
