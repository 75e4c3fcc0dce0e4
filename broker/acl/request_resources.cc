#include "broker/acl/request_resources.h"

#include <nlohmann/json.hpp>

#include <string_view>

namespace rmq::acl {
namespace {

constexpr std::string_view kRetryPrefix = "%RETRY%";
constexpr std::string_view kDlqPrefix = "%DLQ%";

// A topic, or the group behind a retry/DLQ topic.
Resource topic_resource(std::string_view topic, Perm needed) {
  for (std::string_view prefix : {kRetryPrefix, kDlqPrefix}) {
    if (topic.substr(0, prefix.size()) == prefix) return {true, std::string(topic.substr(prefix.size())), kSub};
  }
  return {false, std::string(topic), needed};
}

Resource group_resource(std::string_view group) { return {true, std::string(group), kSub}; }

std::string field(const remoting::RemotingCommand& request, std::string_view key) {
  const auto value = request.ext_fields.get(key);
  return value ? std::string(*value) : std::string();
}

}  // namespace

std::optional<std::vector<Resource>> request_resources(const remoting::RemotingCommand& request, std::string* error) {
  std::vector<Resource> out;
  switch (request.code) {
    case 10:  // SEND_MESSAGE
      out.push_back(topic_resource(field(request, "topic"), kPub));
      break;
    case 310:  // SEND_MESSAGE_V2
    case 320: {  // SEND_BATCH_MESSAGE (V2 or V1 header)
      const std::string topic = request.ext_fields.contains("b") ? field(request, "b") : field(request, "topic");
      out.push_back(topic_resource(topic, kPub));
      break;
    }
    case 36:  // CONSUMER_SEND_MSG_BACK: the group only (4.9.x; 4.7 also wanted originTopic PUB, which a
              // consumer account with topic SUB does not have, so its retries were refused)
      out.push_back(group_resource(field(request, "group")));
      break;
    case 11:  // PULL_MESSAGE
      out.push_back(topic_resource(field(request, "topic"), kSub));
      out.push_back(group_resource(field(request, "consumerGroup")));
      break;
    case 12:  // QUERY_MESSAGE
      out.push_back(topic_resource(field(request, "topic"), kSub));
      break;
    case 14:  // QUERY_CONSUMER_OFFSET
    case 15:  // UPDATE_CONSUMER_OFFSET
      out.push_back(group_resource(field(request, "consumerGroup")));
      out.push_back(topic_resource(field(request, "topic"), kSub));
      break;
    case 35:  // UNREGISTER_CLIENT
    case 38:  // GET_CONSUMER_LIST_BY_GROUP
      if (request.ext_fields.contains("consumerGroup")) out.push_back(group_resource(field(request, "consumerGroup")));
      break;
    case 34: {  // HEART_BEAT
      const nlohmann::json body = nlohmann::json::parse(request.body.begin(), request.body.end(), nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        *error = "heartbeat body is not a JSON object";
        return std::nullopt;
      }
      const auto consumers = body.find("consumerDataSet");
      if (consumers == body.end() || !consumers->is_array()) break;
      for (const auto& consumer : *consumers) {
        if (!consumer.is_object()) continue;
        const auto group = consumer.find("groupName");
        if (group != consumer.end() && group->is_string()) out.push_back(group_resource(group->get<std::string>()));
        const auto subs = consumer.find("subscriptionDataSet");
        if (subs == consumer.end() || !subs->is_array()) continue;
        for (const auto& sub : *subs) {
          if (!sub.is_object()) continue;
          const auto topic = sub.find("topic");
          if (topic != sub.end() && topic->is_string()) out.push_back(topic_resource(topic->get<std::string>(), kSub));
        }
      }
      break;
    }
    default:
      break;
  }
  return out;
}

std::string describe(const Resource& resource) {
  return (resource.is_group ? "group:" : "topic:") + resource.name;
}

}  // namespace rmq::acl
