// Which topics and groups a request touches and which permission it needs on each, per request code, as
// upstream's PlainAccessValidator.parse (4.9.x) reads them from the ext fields and the heartbeat body:
//
//   SEND_MESSAGE 10 (topic), SEND_MESSAGE_V2 310 / SEND_BATCH_MESSAGE 320 (b or topic)  topic PUB; a retry or
//        DLQ topic is checked as its group, SUB
//   CONSUMER_SEND_MSG_BACK 36      group SUB (the message goes to the group's retry topic)
//   PULL_MESSAGE 11                topic SUB, consumerGroup SUB
//   QUERY_MESSAGE 12               topic SUB
//   HEART_BEAT 34                  every consumer group SUB, every subscribed topic SUB
//   UNREGISTER_CLIENT 35, GET_CONSUMER_LIST_BY_GROUP 38   consumerGroup SUB
//   QUERY_CONSUMER_OFFSET 14, UPDATE_CONSUMER_OFFSET 15   consumerGroup SUB, topic SUB
// A topic named %RETRY%<group> or %DLQ%<group> is the group's resource (groupPerms/defaultGroupPerm).
// Other codes name no resource: they need a valid signature only, and admin codes an admin account.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/acl/permission.h"
#include "broker/remoting/remoting_command.h"

namespace rmq::acl {

struct Resource {
  bool is_group = false;
  std::string name;  // topic name, or group name without %RETRY%/%DLQ%
  Perm needed = kPub;
};

// The resources of `request`. nullopt with `error` set when the request cannot be read (a heartbeat body
// that is not JSON); the caller refuses it.
std::optional<std::vector<Resource>> request_resources(const remoting::RemotingCommand& request, std::string* error);

// "topic:<name>" / "group:<name>" as upstream's remarks print them.
std::string describe(const Resource& resource);

}  // namespace rmq::acl
