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

// A string field of the HeartbeatData JSON: absent or null -> fallback; any other non-string -> RequestError
// naming the field (`where` is its path, e.g. "consumerDataSet[0].messageModel").
std::string string_field(const nlohmann::json& json, const char* name, const std::string& fallback,
                         const std::string& where) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw RequestError("HEART_BEAT body: field " + where + name + " is not a string");
  return it->get<std::string>();
}

bool bool_field(const nlohmann::json& json, const char* name, bool fallback, const std::string& where) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw RequestError("HEART_BEAT body: field " + where + name + " is not a boolean");
  return it->get<bool>();
}

// An array field: absent or null -> empty; any other non-array -> RequestError.
const nlohmann::json& array_field(const nlohmann::json& json, const char* name, const std::string& where) {
  static const nlohmann::json empty = nlohmann::json::array();
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return empty;
  if (!it->is_array()) throw RequestError("HEART_BEAT body: field " + where + name + " is not an array");
  return *it;
}

struct ConsumerEntry {
  std::string group;
  std::string consume_type;
  std::string message_model;
  std::string consume_from_where;
  bool unit_mode = false;
  std::vector<SubscriptionData> subscriptions;
};

}  // namespace

void ClientManageProcessor::register_on(remoting::RemotingServer& server) {
  // Heartbeats may create topics and write topics.json; keep that off the I/O threads.
  server.register_handler(remoting::request_code::kHeartBeat,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
                            services_.heartbeat_pool().submit([this, shared, responder] {
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
  channel.client_id = string_field(body, "clientID", "", "");
  channel.connection_id = connection ? connection->id() : 0;
  channel.connection = connection;
  channel.version = request.version;
  channel.language = std::string(remoting::language_name(request.language));
  channel.last_update_ms = now_ms();

  // Check the whole body first, so that a bad field registers nothing.
  std::vector<ConsumerEntry> consumers;
  const auto& consumer_set = array_field(body, "consumerDataSet", "");
  for (std::size_t i = 0; i < consumer_set.size(); ++i) {
    const auto& data = consumer_set[i];
    const std::string where = "consumerDataSet[" + std::to_string(i) + "].";
    if (!data.is_object()) throw RequestError("HEART_BEAT body: " + where.substr(0, where.size() - 1) + " is not an object");
    ConsumerEntry entry;
    entry.group = string_field(data, "groupName", "", where);
    if (entry.group.empty()) continue;
    check_group_name(where + "groupName", entry.group);
    entry.consume_type = string_field(data, "consumeType", "CONSUME_PASSIVELY", where);
    entry.message_model = string_field(data, "messageModel", "CLUSTERING", where);
    entry.consume_from_where = string_field(data, "consumeFromWhere", "CONSUME_FROM_LAST_OFFSET", where);
    entry.unit_mode = bool_field(data, "unitMode", false, where);
    const auto& subs = array_field(data, "subscriptionDataSet", where);
    for (std::size_t k = 0; k < subs.size(); ++k) {
      try {
        entry.subscriptions.push_back(subscription_from_json(subs[k]));
      } catch (const std::exception& e) {
        throw RequestError("HEART_BEAT body: " + where + "subscriptionDataSet[" + std::to_string(k) + "]: " + e.what());
      }
    }
    consumers.push_back(std::move(entry));
  }
  std::vector<std::string> producer_groups;
  const auto& producer_set = array_field(body, "producerDataSet", "");
  for (std::size_t i = 0; i < producer_set.size(); ++i) {
    const std::string where = "producerDataSet[" + std::to_string(i) + "].";
    if (!producer_set[i].is_object()) {
      throw RequestError("HEART_BEAT body: " + where.substr(0, where.size() - 1) + " is not an object");
    }
    std::string group = string_field(producer_set[i], "groupName", "", where);
    if (!group.empty()) producer_groups.push_back(std::move(group));
  }

  for (const ConsumerEntry& entry : consumers) {
    auto group_config = services_.groups().find_or_create(entry.group);
    if (group_config) {
      services_.topics().create_if_absent(retry_topic(entry.group), std::max(1, group_config->retry_queue_nums),
                                          perm::kRead | perm::kWrite, entry.unit_mode ? 2 : 0);
    }
    services_.consumers().register_consumer(entry.group, channel, entry.consume_type, entry.message_model,
                                            entry.consume_from_where, entry.subscriptions, channel.last_update_ms);
  }
  for (const auto& group : producer_groups) services_.producers().register_producer(group, channel);
  // The connection may have closed while this heartbeat waited on the admin pool: its close callback has
  // already run, so undo what we just registered instead of leaving a zombie client until the 120 s scan.
  // (A connection already destroyed counts as closed.)
  if (!connection || !connection->is_open()) {
    for (const ConsumerEntry& entry : consumers) {
      services_.consumers().unregister_consumer(entry.group, channel.connection_id, channel.client_id);
    }
    for (const auto& group : producer_groups) services_.producers().unregister_producer(group, channel.connection_id);
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
