// Heartbeats and unregistration (see client_manage_processor.h).
#include "broker/server/client_manage_processor.h"

#include <spdlog/spdlog.h>

#include "broker/remoting/language_code.h"
#include "broker/server/request_fields.h"
#include "broker/server/subscription_data.h"
#include "broker/store/config_file.h"

namespace rmq::server {
namespace {

namespace rc = remoting::response_code;

std::string string_field(const nlohmann::json& json, const char* name, const std::string& fallback) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

void ClientManageProcessor::register_on(remoting::RemotingServer& server) {
  // Heartbeats may create topics and write topics.json; keep that off the I/O threads.
  server.register_handler(remoting::request_code::kHeartBeat,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
                            services_.admin_pool().submit([this, shared, responder] {
                              guarded(responder, [&] { heartbeat(*shared, responder); });
                            });
                          });
  server.register_handler(remoting::request_code::kUnregisterClient,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            guarded(responder, [&] { unregister_client(request, responder); });
                          });
}

void ClientManageProcessor::heartbeat(const remoting::RemotingCommand& request, const remoting::Responder& responder) {
  nlohmann::json body;
  try {
    body = store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(request.body.data()), request.body.size()));
  } catch (const std::exception& e) {
    throw RequestError(std::string("HEART_BEAT body is not HeartbeatData JSON: ") + e.what());
  }
  if (!body.is_object()) throw RequestError("HEART_BEAT body is not a JSON object");
  auto connection = responder.connection();
  ClientChannel channel;
  channel.client_id = string_field(body, "clientID", "");
  channel.connection_id = connection ? connection->id() : 0;
  channel.connection = connection;
  channel.version = request.version;
  channel.language = std::string(remoting::language_name(request.language));
  channel.last_update_ms = now_ms();

  if (auto consumers = body.find("consumerDataSet"); consumers != body.end() && consumers->is_array()) {
    for (const auto& data : *consumers) {
      if (!data.is_object()) continue;
      const std::string group = string_field(data, "groupName", "");
      if (group.empty()) continue;
      auto group_config = services_.groups().find_or_create(group);
      const std::string model = string_field(data, "messageModel", "CLUSTERING");
      if (group_config) {
        const bool unit_mode = data.value("unitMode", false);
        services_.topics().create_if_absent(retry_topic(group), std::max(1, group_config->retry_queue_nums),
                                            perm::kRead | perm::kWrite, unit_mode ? 2 : 0);
      }
      std::vector<SubscriptionData> subscriptions;
      if (auto subs = data.find("subscriptionDataSet"); subs != data.end() && subs->is_array()) {
        for (const auto& sub : *subs) {
          try {
            subscriptions.push_back(subscription_from_json(sub));
          } catch (const std::exception& e) {
            throw RequestError("HEART_BEAT consumer group " + group + ": " + e.what());
          }
        }
      }
      services_.consumers().register_consumer(group, channel, string_field(data, "consumeType", "CONSUME_PASSIVELY"),
                                              model, string_field(data, "consumeFromWhere", "CONSUME_FROM_LAST_OFFSET"),
                                              subscriptions, channel.last_update_ms);
    }
  }
  if (auto producers = body.find("producerDataSet"); producers != body.end() && producers->is_array()) {
    for (const auto& data : *producers) {
      if (!data.is_object()) continue;
      const std::string group = string_field(data, "groupName", "");
      if (!group.empty()) services_.producers().register_producer(group, channel);
    }
  }
  responder.respond(rc::kSuccess);
}

void ClientManageProcessor::unregister_client(const remoting::RemotingCommand& request,
                                              const remoting::Responder& responder) {
  const std::string client_id = required_string(request.ext_fields, "clientID");
  auto connection = responder.connection();
  const std::uint64_t connection_id = connection ? connection->id() : 0;
  if (auto group = optional_string(request.ext_fields, "producerGroup"); group && !group->empty()) {
    services_.producers().unregister_producer(*group, connection_id);
  }
  if (auto group = optional_string(request.ext_fields, "consumerGroup"); group && !group->empty()) {
    services_.consumers().unregister_consumer(*group, connection_id, client_id);
  }
  responder.respond(rc::kSuccess);
}

}  // namespace rmq::server
