// Consumer offsets and group membership queries (see consumer_manage_processor.h).
#include "broker/server/consumer_manage_processor.h"

#include <nlohmann/json.hpp>

#include "broker/server/request_fields.h"
#include "broker/server/topic_config.h"

namespace rmq::server {
namespace {
namespace rc = remoting::response_code;
}  // namespace

void ConsumerManageProcessor::register_on(remoting::RemotingServer& server) {
  auto bind = [this](void (ConsumerManageProcessor::*method)(const remoting::RemotingCommand&,
                                                             const remoting::Responder&)) {
    return [this, method](remoting::RemotingCommand request, remoting::Responder responder) {
      guarded(responder, [&] { (this->*method)(request, responder); });
    };
  };
  server.register_handler(remoting::request_code::kQueryConsumerOffset, bind(&ConsumerManageProcessor::query_offset));
  server.register_handler(remoting::request_code::kUpdateConsumerOffset, bind(&ConsumerManageProcessor::update_offset));
  server.register_handler(remoting::request_code::kGetConsumerListByGroup,
                          bind(&ConsumerManageProcessor::consumer_list));
}

void ConsumerManageProcessor::query_offset(const remoting::RemotingCommand& request,
                                           const remoting::Responder& responder) {
  const auto& f = request.ext_fields;
  const std::string group = required_group(f, "consumerGroup");
  const std::string topic = required_string(f, "topic");
  const std::int32_t queue_id = required_int32(f, "queueId");
  if (auto offset = services_.offsets().query(group, topic, queue_id)) {
    auto response = response_for(request, rc::kSuccess);
    response.ext_fields.set_int("offset", *offset);
    responder.respond(std::move(response));
    return;
  }
  // 4.9.x: no stored offset, and message 0 is still there (our store keeps it "in memory" as long as the
  // queue starts at 0): answer 0 so that a new group starts at the beginning of a young queue.
  if (services_.store().min_offset_in_queue(topic, queue_id) <= 0) {
    auto response = response_for(request, rc::kSuccess);
    response.ext_fields.set_int("offset", 0);
    responder.respond(std::move(response));
    return;
  }
  responder.respond(rc::kQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

void ConsumerManageProcessor::update_offset(const remoting::RemotingCommand& request,
                                            const remoting::Responder& responder) {
  const auto& f = request.ext_fields;
  const std::string group = required_group(f, "consumerGroup");
  const std::string topic = required_string(f, "topic");
  const std::int32_t queue_id = required_int32(f, "queueId");
  const std::int64_t offset = required_int64(f, "commitOffset");
  services_.offsets().commit(group, topic, queue_id, offset);
  responder.respond(rc::kSuccess);
}

void ConsumerManageProcessor::consumer_list(const remoting::RemotingCommand& request,
                                            const remoting::Responder& responder) {
  const std::string group = required_string(request.ext_fields, "consumerGroup");
  const auto ids = services_.consumers().consumer_ids(group);
  if (ids.empty()) {
    responder.respond(rc::kSystemError, "no consumer for this group, " + group);
    return;
  }
  auto response = response_for(request, rc::kSuccess);
  const std::string body = dump_json(nlohmann::json{{"consumerIdList", ids}});
  response.body.assign(body.begin(), body.end());
  responder.respond(std::move(response));
}

}  // namespace rmq::server
