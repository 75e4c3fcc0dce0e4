// Sends and send-backs (see send_message_processor.h).
#include "broker/server/send_message_processor.h"

#include "broker/server/send_forwarder.h"

#include <spdlog/spdlog.h>

#include <random>

#include "broker/server/delay_levels.h"
#include "broker/server/property_edit.h"
#include "broker/server/request_fields.h"
#include "broker/server/service_not_available.h"
#include "broker/store/batch_items.h"
#include "broker/store/message_properties.h"

namespace rmq::server {
namespace {

namespace rc = remoting::response_code;
namespace prop = store::property;

struct SendHeader {
  std::string producer_group;
  std::string topic;
  std::string default_topic;
  std::int32_t default_topic_queue_nums = 4;
  std::int32_t queue_id = 0;
  std::int32_t sys_flag = 0;
  std::int64_t born_timestamp_ms = 0;
  std::int32_t flag = 0;
  std::string properties;
  std::int32_t reconsume_times = 0;
  bool unit_mode = false;
  std::optional<std::int32_t> max_reconsume_times;
  bool batch = false;
};

// SendMessageRequestHeaderV2.createSendMessageRequestHeaderV1 for 310/320; the V1 names for 10.
SendHeader parse_send_header(const remoting::RemotingCommand& request) {
  const bool v2 = request.code != remoting::request_code::kSendMessage;
  auto name = [v2](const char* short_name, const char* long_name) { return v2 ? short_name : long_name; };
  const auto& f = request.ext_fields;
  SendHeader h;
  h.producer_group = required_string(f, name("a", "producerGroup"));
  h.topic = required_string(f, name("b", "topic"));
  h.default_topic = required_string(f, name("c", "defaultTopic"));
  h.default_topic_queue_nums = required_int32(f, name("d", "defaultTopicQueueNums"));
  h.queue_id = required_int32(f, name("e", "queueId"));
  h.sys_flag = required_int32(f, name("f", "sysFlag"));
  h.born_timestamp_ms = required_int64(f, name("g", "bornTimestamp"));
  h.flag = required_int32(f, name("h", "flag"));
  h.properties = optional_string(f, name("i", "properties")).value_or("");
  h.reconsume_times = optional_int32(f, name("j", "reconsumeTimes")).value_or(0);
  h.unit_mode = optional_bool(f, name("k", "unitMode"), false);
  h.max_reconsume_times = optional_int32(f, name("l", "maxReconsumeTimes"));
  h.batch = optional_bool(f, name("m", "batch"), false) || request.code == remoting::request_code::kSendBatchMessage;
  return h;
}

constexpr std::int32_t kMaxPropertiesBytes = 32767;

std::int32_t random_below(std::int32_t bound) {
  if (bound <= 1) return 0;
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(bound));
}

// The code and remark a store status is answered with (4.9.x SendMessageProcessor.handlePutMessageResult).
std::pair<std::int32_t, std::optional<std::string>> send_status_answer(const store::PutResult& result,
                                                                       const BrokerConfig& config) {
  switch (result.status) {
    case store::PutStatus::kOk:
      return {rc::kSuccess, std::nullopt};
    case store::PutStatus::kFlushDiskTimeout:
      return {rc::kFlushDiskTimeout, std::nullopt};
    case store::PutStatus::kServiceNotAvailable:
      return {rc::kServiceNotAvailable, service_not_available_remark(config)};
    case store::PutStatus::kOsPageCacheBusy:
      // 4.x answers SYSTEM_ERROR (1) with this remark (5.x: SYSTEM_BUSY, 2); the 4.x producer retries both.
      // In DLedger mode this is also the answer to an append not committed within maxWaitAckTimeMs, or refused
      // because too many appends wait (dledger-group.md 2.3).
      return {rc::kSystemError, "[PC_SYNCHRONIZED]broker busy, start flow control for a while"};
    case store::PutStatus::kMessageIllegal:
    case store::PutStatus::kPropertiesSizeExceeded:
      return {rc::kMessageIllegal, "the message is illegal, maybe msg body or properties length not matched. msg "
                                   "body length limit 128k, msg properties length limit 32k." +
                                       (result.detail.empty() ? std::string() : " (" + result.detail + ")")};
    default:
      return {rc::kSystemError, std::string("UNKNOWN_ERROR") + (result.detail.empty() ? "" : ": " + result.detail)};
  }
}

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace

store::HostAddress born_host_of(const remoting::Responder& responder) {
  store::HostAddress host;
  host.ip = {127, 0, 0, 1};
  auto conn = responder.connection();
  if (!conn) return host;
  const auto& endpoint = conn->peer_endpoint();
  host.port = endpoint.port();
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    host.ip.assign(bytes.begin(), bytes.end());
  } else {
    const auto bytes = address.to_v6().to_bytes();
    host.ip.assign(bytes.begin(), bytes.end());
  }
  return host;
}

void SendMessageProcessor::register_on(remoting::RemotingServer& server) {
  // Sends go to the send pool (sendMessageThreadPoolNums, 1 by default as in Java, which also keeps one
  // producer's pipelined sends in order): auto-creating a topic writes topics.json, and the put appends to
  // mapped files. The pool thread never waits for the flush: the store answers through the callback.
  auto send = [this](remoting::RemotingCommand request, remoting::Responder responder) {
    auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
    services_.send_pool().submit([this, shared, responder] {
      guarded(responder, [&] { process_send(std::move(*shared), responder); });
    });
  };
  server.register_handler(remoting::request_code::kSendMessage, send);
  server.register_handler(remoting::request_code::kSendMessageV2, send);
  server.register_handler(remoting::request_code::kSendBatchMessage, send);
  server.register_handler(remoting::request_code::kConsumerSendMsgBack,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
                            services_.send_pool().submit([this, shared, responder] {
                              guarded(responder, [&] { process_send_back(std::move(*shared), responder); });
                            });
                          });
}

void SendMessageProcessor::process_again(remoting::RemotingCommand request, const remoting::Responder& responder,
                                         ForwardClock::time_point forward_deadline) {
  guarded(responder, [&] {
    if (request.code == remoting::request_code::kConsumerSendMsgBack) {
      process_send_back(std::move(request), responder);
    } else {
      process_send(std::move(request), responder, forward_deadline);
    }
  });
}

void SendMessageProcessor::process_send(remoting::RemotingCommand request, const remoting::Responder& responder,
                                        std::optional<ForwardClock::time_point> forward_deadline) {
  const BrokerConfig& config = services_.config();
  SendHeader header = parse_send_header(request);
  // The forwarder, when a send this node cannot store goes to the leader (DLedger mode, send_forwarder.h).
  SendForwarder* const forwarder =
      SendForwarder::was_forwarded(request) ? nullptr : services_.send_forwarder();
  // Only a writable master stores a send (dledger-group.md 2.3): a follower, a candidate and a leader still
  // catching up answer 14 before anything is created or written, never a silent write.
  if (!services_.role().writable()) {
    // DLedger mode: the leader stores it, this node relays its answer.
    if (forwarder != nullptr) {
      forwarder->forward(std::move(request), responder, forward_deadline);
      return;
    }
    responder.respond(rc::kServiceNotAvailable, service_not_available_remark(config));
    return;
  }
  // A stored record's properties are at most 32767 bytes (2-byte length); longer ones could never be stored,
  // and parsing megabytes of them would only stall the send pool. Refuse them before any work.
  if (header.properties.size() > static_cast<std::size_t>(kMaxPropertiesBytes)) {
    responder.respond(rc::kMessageIllegal, "the message properties length " + std::to_string(header.properties.size()) +
                                               " is over " + std::to_string(kMaxPropertiesBytes));
    return;
  }

  // msgCheck (4.9.x AbstractSendMessageProcessor).
  if (!perm::writeable(config.broker_permission)) {
    auto existing = services_.topics().select(header.topic);
    if (existing && existing->order) {
      responder.respond(rc::kNoPermission, "the broker[" + config.broker_ip1 + "] sending message is forbidden");
      return;
    }
  }
  if (auto problem = validate_topic_name(header.topic)) {
    responder.respond(rc::kSystemError, *problem);
    return;
  }
  if (is_not_allowed_send_topic(header.topic)) {
    responder.respond(rc::kNoPermission, "Sending message to topic[" + header.topic + "] is forbidden.");
    return;
  }
  // A %RETRY%/%DLQ% topic names a consumer group: an empty or invalid one (a send to plain `%RETRY%`) would
  // otherwise become a group and a topic in the config files. Answered like a group that cannot be found
  // (5.x findSubscriptionGroupConfig returns null for an illegal name: 26).
  if (auto group = group_of_group_topic(header.topic)) {
    if (auto problem = validate_group_name(*group)) {
      responder.respond(rc::kSubscriptionGroupNotExist, "subscription group not exist, " + *group + " (" + *problem + ")");
      return;
    }
  }
  auto topic_config = services_.topics().select(header.topic);
  // A new %RETRY% topic belongs to a group that may not be auto-created any more
  // (autoCreateSubscriptionGroupMaxNums): refused before the topic is made, so the limit cannot be side-stepped
  // by filling the topic table with retry topics of groups that do not exist.
  if (!topic_config && header.topic.starts_with(kRetryGroupTopicPrefix)) {
    const std::string group = header.topic.substr(kRetryGroupTopicPrefix.size());
    std::string refused;
    if (!services_.groups().find_or_create(group, &refused) && !refused.empty()) {
      responder.respond(rc::kSubscriptionGroupNotExist, "subscription group not exist, " + group + " (" + refused + ")");
      return;
    }
  }
  if (!topic_config) {
    // The disk reserve: no new topic (the put would be refused the same way).
    if (auto problem = services_.store().disk_space_problem()) {
      store::PutResult refused;
      refused.status = store::PutStatus::kServiceNotAvailable;
      refused.detail = *problem;
      auto [code, remark] = send_status_answer(refused, services_.config());
      responder.respond(code, remark.value_or(*problem));
      return;
    }
    const std::int32_t topic_sys_flag = header.unit_mode ? (header.topic.starts_with(kRetryGroupTopicPrefix) ? 2 : 1) : 0;
    std::string refused;
    topic_config = services_.topics().create_topic_in_send(header.topic, header.default_topic,
                                                           header.default_topic_queue_nums, topic_sys_flag, &refused);
    if (!topic_config && refused.empty() && header.topic.starts_with(kRetryGroupTopicPrefix)) {
      topic_config = services_.topics().create_if_absent(header.topic, 1, perm::kRead | perm::kWrite, topic_sys_flag);
    }
    if (!topic_config) {
      responder.respond(rc::kTopicNotExist, "topic[" + header.topic + "] not exist, apply first please!" +
                                                (refused.empty() ? "" : " (" + refused + ")"));
      return;
    }
  }
  const std::int32_t id_valid = std::max(topic_config->write_queue_nums, topic_config->read_queue_nums);
  if (header.queue_id >= id_valid) {
    responder.respond(rc::kSystemError, "request queueId[" + std::to_string(header.queue_id) +
                                            "] is illegal, " + header.topic + " Producer: " +
                                            (responder.connection() ? responder.connection()->peer_address() : ""));
    return;
  }
  if (header.queue_id < 0) header.queue_id = random_below(std::max(1, topic_config->write_queue_nums));

  const std::int32_t max_body = config.max_message_size;
  if (!header.batch && request.body.size() > static_cast<std::size_t>(max_body)) {
    responder.respond(rc::kMessageIllegal, "the message body size " + std::to_string(request.body.size()) +
                                               " is over the limit " + std::to_string(max_body));
    return;
  }

  store::PropertyList properties = parse_unique_properties(header.properties);
  if (get_property(properties, prop::kTransactionPrepared).value_or("") == "true") {
    responder.respond(rc::kNoPermission, "the broker[" + config.broker_ip1 +
                                             "] sending transaction message is forbidden (transactions are not "
                                             "supported by this broker)");
    return;
  }

  // handleRetryAndDLQ.
  std::string topic = header.topic;
  std::int32_t queue_id = header.queue_id;
  if (!header.batch && topic.starts_with(kRetryGroupTopicPrefix)) {
    const std::string group = topic.substr(kRetryGroupTopicPrefix.size());
    std::string refused;
    auto group_config = services_.groups().find_or_create(group, &refused);
    if (!group_config) {
      responder.respond(rc::kSubscriptionGroupNotExist,
                        "subscription group not exist, " + group + (refused.empty() ? "" : " (" + refused + ")"));
      return;
    }
    std::int32_t max_reconsume = group_config->retry_max_times;
    if (request.version >= remoting::kVersionV3_4_9 && header.max_reconsume_times) {
      max_reconsume = *header.max_reconsume_times;
    }
    if (header.reconsume_times >= max_reconsume) {
      topic = dlq_topic(group);
      queue_id = 0;
      services_.topics().create_if_absent(topic, 1, perm::kRead | perm::kWrite, 0);
      clear_property(properties, prop::kDelayTimeLevel);
      spdlog::info("broker: message of {} reconsumed {} times (max {}); sent to {}", header.topic,
                   header.reconsume_times, max_reconsume, topic);
    }
  }
  put_property(properties, prop::kCluster, config.broker_cluster_name);

  const store::HostAddress born_host = born_host_of(responder);
  // Kept until the put answers, for the forwarder if the store refuses it as not the leader; the record gets
  // a copy of the body then.
  std::shared_ptr<remoting::RemotingCommand> original;
  if (forwarder != nullptr) original = std::make_shared<remoting::RemotingCommand>(std::move(request));
  remoting::RemotingCommand& req = original ? *original : request;
  auto done = [responder, queue_id, topic, this, forwarder, original,
               forward_deadline](const store::PutResult& result) {
    if (result.not_leader && original) {
      forwarder->forward(std::move(*original), responder, forward_deadline, /*refused_locally=*/true);
      return;
    }
    auto [code, remark] = send_status_answer(result, services_.config());
    remoting::RemotingCommand response;
    response.code = code;
    response.remark = remark;
    if (code == rc::kSuccess || code == rc::kFlushDiskTimeout) {
      response.ext_fields.set("msgId", join(result.msg_ids, ','));
      response.ext_fields.set_int("queueId", queue_id);
      response.ext_fields.set_int("queueOffset", result.queue_offset);
      response.ext_fields.set("MSG_REGION", services_.config().region_id);
      response.ext_fields.set("TRACE_ON", services_.config().trace_on ? "true" : "false");
      services_.counters().put_total.fetch_add(std::max<std::int64_t>(1, static_cast<std::int64_t>(result.msg_ids.size())));
    } else {
      spdlog::warn("broker: put to {} failed: {} {}", topic, store::to_string(result.status), result.detail);
    }
    responder.respond(std::move(response));
  };

  if (!header.batch) {
    store::MessageRecord record;
    record.topic = topic;
    record.queue_id = queue_id;
    record.flag = header.flag;
    record.sys_flag = header.sys_flag;
    record.born_timestamp_ms = header.born_timestamp_ms;
    record.born_host = born_host;
    record.reconsume_times = header.reconsume_times;
    if (original) {
      record.body = original->body;
    } else {
      record.body = std::move(request.body);
    }
    record.properties = store::format_properties(properties);
    if (record.properties.size() > 32767) {
      responder.respond(rc::kMessageIllegal, "the message properties length " +
                                                 std::to_string(record.properties.size()) + " is over 32767");
      return;
    }
    apply_delay_level(record, services_.max_delay_level());
    services_.store().put_message(std::move(record), std::move(done));
    return;
  }

  // Batch (4.9.x sendBatchMessage).
  if (topic.starts_with(kRetryGroupTopicPrefix)) {
    responder.respond(rc::kMessageIllegal, "batch request does not support retry group " + topic);
    return;
  }
  auto decoded = store::decode_batch_items(req.body);
  if (!decoded.ok) {
    responder.respond(rc::kMessageIllegal, "bad batch body: " + decoded.error);
    return;
  }
  if (decoded.items.empty()) {
    responder.respond(rc::kMessageIllegal, "bad batch body: no messages");
    return;
  }
  std::vector<store::MessageRecord> batch;
  batch.reserve(decoded.items.size());
  for (std::size_t i = 0; i < decoded.items.size(); ++i) {
    auto& item = decoded.items[i];
    if (item.body.size() > static_cast<std::size_t>(max_body)) {
      responder.respond(rc::kMessageIllegal, "batch message " + std::to_string(i) + ": body size " +
                                                 std::to_string(item.body.size()) + " is over the limit " +
                                                 std::to_string(max_body));
      return;
    }
    store::PropertyList item_properties = parse_unique_properties(item.properties);
    put_properties(item_properties, properties);
    const auto delay = get_property(item_properties, prop::kDelayTimeLevel);
    if (delay && remoting::parse_java_long(*delay).value_or(0) > 0) {
      responder.respond(rc::kMessageIllegal, "batch message " + std::to_string(i) + " has a delay level; batches "
                                             "may not be delayed");
      return;
    }
    store::MessageRecord record;
    record.topic = topic;
    record.queue_id = queue_id;
    record.flag = item.flag;
    record.sys_flag = header.sys_flag;
    record.born_timestamp_ms = header.born_timestamp_ms;
    record.born_host = born_host;
    record.reconsume_times = header.reconsume_times;
    record.body = std::move(item.body);
    record.properties = store::format_properties(item_properties);
    if (record.properties.size() > 32767) {
      responder.respond(rc::kMessageIllegal, "batch message " + std::to_string(i) + ": properties longer than 32767");
      return;
    }
    batch.push_back(std::move(record));
  }
  services_.store().put_messages(std::move(batch), std::move(done));
}

void SendMessageProcessor::process_send_back(remoting::RemotingCommand request,
                                             const remoting::Responder& responder) {
  const auto& f = request.ext_fields;
  const std::int64_t offset = required_int64(f, "offset");
  const std::string group = required_group(f, "group");
  std::int32_t delay_level = required_int32(f, "delayLevel");
  const bool unit_mode = optional_bool(f, "unitMode", false);
  const auto max_reconsume_field = optional_int32(f, "maxReconsumeTimes");
  // A follower stores nothing: 4.9.x answers the store's refusal as SYSTEM_ERROR with the status name.
  if (!services_.role().writable()) {
    if (SendForwarder* forwarder = services_.send_forwarder(); forwarder && !SendForwarder::was_forwarded(request)) {
      forwarder->forward(std::move(request), responder);
      return;
    }
    responder.respond(rc::kSystemError, "SERVICE_NOT_AVAILABLE");
    return;
  }

  std::string refused;
  auto group_config = services_.groups().find_or_create(group, &refused);
  if (!group_config) {
    responder.respond(rc::kSubscriptionGroupNotExist,
                      "subscription group not exist, " + group + (refused.empty() ? "" : " (" + refused + ")"));
    return;
  }
  if (!perm::writeable(services_.config().broker_permission)) {
    responder.respond(rc::kNoPermission, "the broker[" + services_.config().broker_ip1 + "] sending message is forbidden");
    return;
  }
  if (group_config->retry_queue_nums <= 0) {
    responder.respond(rc::kSuccess);
    return;
  }
  std::string new_topic = retry_topic(group);
  std::int32_t queue_id = random_below(group_config->retry_queue_nums);
  const std::int32_t topic_sys_flag = unit_mode ? 2 : 0;
  TopicConfig topic_config = services_.topics().create_if_absent(new_topic, group_config->retry_queue_nums,
                                                                 perm::kRead | perm::kWrite, topic_sys_flag);
  if (!perm::writeable(topic_config.perm)) {
    responder.respond(rc::kNoPermission, "the topic[" + new_topic + "] sending message is forbidden");
    return;
  }

  auto bytes = services_.store().read_record(offset);
  store::MessageRecord original;
  if (!bytes || store::decode_record(*bytes, false, &original).status != store::DecodeStatus::kOk) {
    responder.respond(rc::kSystemError, "look message by offset failed, " + std::to_string(offset));
    return;
  }
  store::PropertyList properties = parse_unique_properties(original.properties);
  if (!get_property(properties, prop::kRetryTopic)) put_property(properties, prop::kRetryTopic, original.topic);

  std::int32_t max_reconsume = group_config->retry_max_times;
  if (request.version >= remoting::kVersionV3_4_9 && max_reconsume_field) max_reconsume = *max_reconsume_field;

  if (original.reconsume_times >= max_reconsume || delay_level < 0) {
    new_topic = dlq_topic(group);
    queue_id = 0;
    services_.topics().create_if_absent(new_topic, 1, perm::kRead | perm::kWrite, 0);
    clear_property(properties, prop::kDelayTimeLevel);
    spdlog::info("broker: message at offset {} of group {} reconsumed {} times (max {}); sent to {}", offset, group,
                 original.reconsume_times, max_reconsume, new_topic);
  } else {
    if (delay_level == 0) delay_level = 3 + original.reconsume_times;
    put_property(properties, prop::kDelayTimeLevel, std::to_string(delay_level));
  }
  const std::string first_id = get_property(properties, prop::kOriginMessageId).value_or("");
  if (first_id.empty()) {
    // 4.9.x: the looked-up message's own id (offsetMsgId), not the request's originMsgId.
    put_property(properties, prop::kOriginMessageId, store::message_id(original.store_host, original.physical_offset));
  }

  store::MessageRecord record;
  record.topic = new_topic;
  record.queue_id = queue_id;
  record.flag = original.flag;
  record.sys_flag = original.sys_flag & ~(store::sysflag::kBornHostV6 | store::sysflag::kStoreHostV6);
  record.born_timestamp_ms = original.born_timestamp_ms;
  record.born_host = original.born_host;
  record.reconsume_times = original.reconsume_times + 1;
  record.body = std::move(original.body);
  record.properties = store::format_properties(properties);
  apply_delay_level(record, services_.max_delay_level());
  services_.store().put_message(std::move(record), [responder](const store::PutResult& result) {
    if (result.status == store::PutStatus::kOk) {
      responder.respond(rc::kSuccess);
    } else {
      responder.respond(rc::kSystemError, std::string(store::to_string(result.status)) +
                                              (result.detail.empty() ? "" : ": " + result.detail));
    }
  });
}

}  // namespace rmq::server
