// Admin codes (see admin_broker_processor.h).
#include "broker/server/admin_broker_processor.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "broker/server/dledger_runtime_info.h"
#include "broker/server/request_fields.h"
#include "broker/server/schedule_message_service.h"
#include "broker/store/config_file.h"

namespace rmq::server {
namespace {

namespace rc = remoting::response_code;
namespace code = remoting::request_code;

remoting::RemotingCommand with_body(const remoting::RemotingCommand& request, const std::string& body) {
  auto response = response_for(request, rc::kSuccess);
  response.body.assign(body.begin(), body.end());
  return response;
}

std::string gib(std::int64_t bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

std::set<MessageQueueId> parse_mq_set(const nlohmann::json& body) {
  std::set<MessageQueueId> out;
  auto set = body.find("mqSet");
  if (set == body.end() || !set->is_array()) return out;
  for (const auto& mq : *set) {
    if (!mq.is_object()) throw RequestError("mqSet entry is not an object");
    MessageQueueId id;
    id.topic = mq.value("topic", "");
    id.broker_name = mq.value("brokerName", "");
    id.queue_id = mq.value("queueId", 0);
    out.insert(id);
  }
  return out;
}

}  // namespace

void AdminBrokerProcessor::register_on(remoting::RemotingServer& server) {
  auto handler = [this](remoting::RemotingCommand request, remoting::Responder responder) {
    auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
    services_.admin_pool().submit([this, shared, responder] {
      guarded(responder, [&] { process(*shared, responder); });
    });
  };
  for (std::int32_t c : {code::kUpdateAndCreateTopic, code::kGetAllTopicConfig, code::kGetBrokerRuntimeInfo,
                         code::kSearchOffsetByTimestamp, code::kGetMaxOffset, code::kGetMinOffset,
                         code::kGetEarliestMsgStoretime, code::kLockBatchMq, code::kUnlockBatchMq,
                         code::kGetAllConsumerOffset, code::kGetAllDelayOffset,
                         code::kGetAllSubscriptionGroupConfig, code::kDLedgerTransferLeadership,
                         code::kUpdateAndCreateSubscriptionGroup}) {
    server.register_handler(c, handler);
  }
}

void AdminBrokerProcessor::process(const remoting::RemotingCommand& request, const remoting::Responder& responder) {
  const auto& f = request.ext_fields;
  switch (request.code) {
    case code::kUpdateAndCreateTopic:
      update_and_create_topic(request, responder);
      return;
    case code::kUpdateAndCreateSubscriptionGroup:
      update_and_create_subscription_group(request, responder);
      return;
    case code::kGetAllTopicConfig:
      responder.respond(with_body(request, dump_json(services_.topics().wrapper_json())));
      return;
    case code::kGetBrokerRuntimeInfo:
      runtime_info(request, responder);
      return;
    case code::kSearchOffsetByTimestamp: {
      const std::string topic = required_string(f, "topic");
      const std::int32_t queue_id = required_int32(f, "queueId");
      const std::int64_t timestamp = required_int64(f, "timestamp");
      auto response = response_for(request, rc::kSuccess);
      response.ext_fields.set_int("offset", services_.store().offset_by_timestamp(topic, queue_id, timestamp));
      responder.respond(std::move(response));
      return;
    }
    case code::kGetMaxOffset:
    case code::kGetMinOffset: {
      const std::string topic = required_string(f, "topic");
      const std::int32_t queue_id = required_int32(f, "queueId");
      auto response = response_for(request, rc::kSuccess);
      response.ext_fields.set_int("offset", request.code == code::kGetMaxOffset
                                                ? services_.store().max_offset_in_queue(topic, queue_id)
                                                : services_.store().min_offset_in_queue(topic, queue_id));
      responder.respond(std::move(response));
      return;
    }
    case code::kGetEarliestMsgStoretime: {
      const std::string topic = required_string(f, "topic");
      const std::int32_t queue_id = required_int32(f, "queueId");
      auto response = response_for(request, rc::kSuccess);
      response.ext_fields.set_int("timestamp", services_.store().earliest_message_time(topic, queue_id));
      responder.respond(std::move(response));
      return;
    }
    case code::kLockBatchMq:
      lock_batch(request, responder, true);
      return;
    case code::kUnlockBatchMq:
      lock_batch(request, responder, false);
      return;
    case code::kDLedgerTransferLeadership: {
      const std::string target = required_string(f, "targetId");
      const auto& transfer = services_.leadership_transfer();
      if (!transfer) {
        responder.respond(rc::kSystemError, "not in DLedger mode: no leadership to transfer");
      } else if (!transfer(target)) {
        responder.respond(rc::kSystemError, "cannot transfer leadership to " + target +
                                                ": this node is not the leader, or " + target + " is not a peer");
      } else {
        responder.respond(rc::kSuccess);
      }
      return;
    }
    case code::kGetAllConsumerOffset:
      responder.respond(with_body(request, services_.offsets().encode_pretty()));
      return;
    case code::kGetAllSubscriptionGroupConfig:
      // The SubscriptionGroupWrapper ({"dataVersion":..,"subscriptionGroupTable":..}): followers copy it
      // from the leader (slave_synchronize.h).
      responder.respond(with_body(request, dump_json(services_.groups().to_json_document())));
      return;
    case code::kGetAllDelayOffset: {
      auto* schedule = services_.schedule_service();
      if (schedule == nullptr) {
        responder.respond(rc::kSystemError, "No delay offset in this broker");
        return;
      }
      responder.respond(with_body(request, schedule->encode_offsets()));
      return;
    }
    default:
      responder.respond(rc::kRequestCodeNotSupported, remoting::not_supported_remark(request.code));
  }
}

void AdminBrokerProcessor::update_and_create_topic(const remoting::RemotingCommand& request,
                                                   const remoting::Responder& responder) {
  const auto& f = request.ext_fields;
  TopicConfig config;
  config.topic_name = required_string(f, "topic");
  (void)required_string(f, "defaultTopic");
  config.read_queue_nums = required_int32(f, "readQueueNums");
  config.write_queue_nums = required_int32(f, "writeQueueNums");
  config.perm = required_int32(f, "perm");
  config.topic_filter_type = required_string(f, "topicFilterType");
  config.topic_sys_flag = optional_int32(f, "topicSysFlag").value_or(0);
  config.order = optional_bool(f, "order", false);
  if (auto problem = validate_topic_name(config.topic_name)) {
    responder.respond(rc::kSystemError, *problem);
    return;
  }
  const auto& bc = services_.config();
  if (is_system_topic(config.topic_name, bc.broker_cluster_name, bc.broker_name)) {
    responder.respond(rc::kSystemError, "The topic[" + config.topic_name + "] is conflict with system topic.");
    return;
  }
  if (services_.role().is_slave()) {
    responder.respond(rc::kSystemError, "Can't modify topic or subscription group from slave broker, please execute "
                                        "it from master broker.");
    return;
  }
  // maxTopicQueueNums (man rmq-broker(8), "Topic, queue and disk limits").
  if (auto problem =
          services_.topics().queue_nums_problem(config.topic_name, config.read_queue_nums, config.write_queue_nums)) {
    responder.respond(rc::kSystemError, *problem);
    return;
  }
  // The disk reserve: a new topic is refused (an existing one may still be changed).
  if (!services_.topics().select(config.topic_name)) {
    if (auto problem = services_.store().disk_space_problem()) {
      responder.respond(rc::kSystemError, "the topic[" + config.topic_name + "] is not created: " + *problem);
      return;
    }
  }
  if (config.topic_filter_type != "SINGLE_TAG" && config.topic_filter_type != "MULTI_TAG") {
    responder.respond(rc::kSystemError, "bad topicFilterType " + config.topic_filter_type);
    return;
  }
  services_.topics().update(config);
  services_.register_sync();
  responder.respond(rc::kSuccess);
}

void AdminBrokerProcessor::update_and_create_subscription_group(const remoting::RemotingCommand& request,
                                                                const remoting::Responder& responder) {
  if (request.body.empty()) throw RequestError("UPDATE_AND_CREATE_SUBSCRIPTIONGROUP without a body");
  SubscriptionGroupConfig config;
  try {
    const nlohmann::json body = store::parse_fastjson(
        std::string_view(reinterpret_cast<const char*>(request.body.data()), request.body.size()));
    config = subscription_group_from_json(body);
  } catch (const std::exception& e) {
    throw RequestError(std::string("UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body: ") + e.what());
  }
  if (auto problem = validate_group_name(config.group_name)) {
    responder.respond(rc::kSystemError, "subscription group \"" + config.group_name + "\": " + *problem);
    return;
  }
  if (services_.role().is_slave()) {
    responder.respond(rc::kSystemError, "Can't modify topic or subscription group from slave broker, please execute "
                                        "it from master broker.");
    return;
  }
  services_.groups().update(config);
  spdlog::info("broker: subscription group {} created or updated by {}", config.group_name,
               responder.connection() ? responder.connection()->peer_address() : std::string("?"));
  responder.respond(rc::kSuccess);
}

void AdminBrokerProcessor::runtime_info(const remoting::RemotingCommand& request, const remoting::Responder& responder) {
  const store::StoreStats stats = services_.store().stats();
  auto& counters = services_.counters();
  const std::int64_t now = now_ms();
  nlohmann::json table = nlohmann::json::object();
  auto put = [&](const char* key, const std::string& value) { table[key] = value; };
  put("brokerVersionDesc", "V4_9_8");
  put("brokerVersion", std::to_string(remoting::kCurrentVersion));
  put("msgPutTotalTodayNow", std::to_string(counters.put_total.load()));
  put("msgGetTotalTodayNow", std::to_string(counters.get_total.load()));
  put("msgPutTotalTodayMorning", "0");
  put("msgGetTotalTodayMorning", "0");
  put("msgPutTotalYesterdayMorning", "0");
  put("msgGetTotalYesterdayMorning", "0");
  put("sendThreadPoolQueueSize", std::to_string(services_.send_pool().queue_size()));
  put("sendThreadPoolQueueCapacity", "10000");
  put("pullThreadPoolQueueSize", std::to_string(services_.pull_pool().queue_size()));
  put("pullThreadPoolQueueCapacity", "100000");
  put("queryThreadPoolQueueSize", std::to_string(services_.admin_pool().queue_size()));
  put("dispatchBehindBytes", std::to_string(stats.dispatch_behind_bytes));
  put("pageCacheLockTimeMills", "0");
  put("earliestMessageTimeStamp", std::to_string(stats.earliest_message_time_ms));
  put("startAcceptSendRequestTimeStamp", std::to_string(counters.start_accept_send_ms.load()));
  put("bootTimestamp", std::to_string(counters.boot_ms.load()));
  put("runtime", "[ " + std::to_string((now - counters.boot_ms.load()) / 1000) + " seconds ]");
  put("commitLogMinOffset", std::to_string(stats.min_physical_offset));
  put("commitLogMaxOffset", std::to_string(stats.max_physical_offset));
  put("remainHowManyDataToFlush", std::to_string(stats.max_physical_offset - stats.flushed_physical_offset) + " B");
  put("commitLogDirCapacity", "Total : " + gib(stats.commitlog_disk_total_bytes) + " GiB, Free : " +
                                  gib(stats.commitlog_disk_free_bytes) + " GiB.");
  put("brokerName", services_.config().broker_name);
  put("brokerRole", broker_role_name(services_.role().role()));
  put("brokerId", std::to_string(services_.role().broker_id()));
  if (const store::DLedgerReplicator* replicator = services_.replicator()) {
    for (const auto& [key, value] : dledger_runtime_fields(replicator->status(), stats)) table[key] = value;
  }
  responder.respond(with_body(request, dump_json(nlohmann::json{{"table", table}})));
}

void AdminBrokerProcessor::lock_batch(const remoting::RemotingCommand& request, const remoting::Responder& responder,
                                      bool lock) {
  nlohmann::json body;
  try {
    body = store::parse_fastjson(std::string_view(reinterpret_cast<const char*>(request.body.data()), request.body.size()));
  } catch (const std::exception& e) {
    throw RequestError(std::string(lock ? "LOCK_BATCH_MQ" : "UNLOCK_BATCH_MQ") + " body is not JSON: " + e.what());
  }
  if (!body.is_object()) throw RequestError("lock batch body is not a JSON object");
  const std::string group = body.value("consumerGroup", "");
  check_group_name("consumerGroup", group);
  const std::string client_id = body.value("clientId", "");
  const auto mqs = parse_mq_set(body);
  if (!lock) {
    services_.locks().unlock_batch(group, mqs, client_id);
    responder.respond(rc::kSuccess);
    return;
  }
  const auto locked = services_.locks().try_lock_batch(group, mqs, client_id);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& mq : locked) {
    list.push_back(nlohmann::json{{"brokerName", mq.broker_name}, {"queueId", mq.queue_id}, {"topic", mq.topic}});
  }
  responder.respond(with_body(request, dump_json(nlohmann::json{{"lockOKMQSet", list}})));
}

}  // namespace rmq::server
