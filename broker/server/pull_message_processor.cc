// Pulls and long polling (see pull_message_processor.h).
#include "broker/server/pull_message_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/server/pull_suggest.h"
#include "broker/server/request_fields.h"
#include "broker/server/subscription_data.h"

namespace rmq::server {
namespace {

namespace rc = remoting::response_code;

// The longest a pull is parked: well under the client's 30 s pull timeout (4.9.x answers after
// suspendTimeoutMillis, which clients set to 15-20 s; a bigger value is never useful).
constexpr std::int64_t kMaxHoldMs = 20000;
constexpr std::int32_t kPullFlagCommitOffset = 0x1;
constexpr std::int32_t kPullFlagSuspend = 0x2;
constexpr std::int32_t kPullFlagSubscription = 0x4;

}  // namespace

PullMessageProcessor::PullMessageProcessor(BrokerServices& services) : services_(services) {
  hold_ = std::make_unique<PullRequestHoldService>(
      [this](HeldPull pull) {
        auto request = std::make_shared<remoting::RemotingCommand>(std::move(pull.request));
        auto responder = pull.responder;
        services_.pull_pool().submit([this, request, responder] {
          guarded(responder, [&] { process(*request, responder, false); });
        });
      },
      [this](const std::string& topic, std::int32_t queue_id) {
        return services_.store().max_offset_in_queue(topic, queue_id);
      },
      services_.config().long_polling_enable ? 1000 : services_.config().short_polling_time_mills);
}

PullMessageProcessor::~PullMessageProcessor() { shutdown(); }

void PullMessageProcessor::register_on(remoting::RemotingServer& server) {
  server.register_handler(remoting::request_code::kPullMessage,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
                            services_.pull_pool().submit([this, shared, responder] {
                              guarded(responder, [&] { process(*shared, responder, true); });
                            });
                          });
}

void PullMessageProcessor::start() {
  services_.store().add_arrival_listener(
      [this](std::string_view topic, std::int32_t queue_id, std::int64_t next_queue_offset) {
        hold_->notify_arrival(std::string(topic), queue_id, next_queue_offset);
      });
  hold_->start();
}

void PullMessageProcessor::shutdown() {
  if (hold_) hold_->shutdown();
}

void PullMessageProcessor::process(const remoting::RemotingCommand& request, const remoting::Responder& responder,
                                   bool first_pass) {
  const BrokerConfig& config = services_.config();
  const auto& f = request.ext_fields;
  const std::string group = required_group(f, "consumerGroup");
  const std::string topic = required_string(f, "topic");
  const std::int32_t queue_id = required_int32(f, "queueId");
  const std::int64_t queue_offset = required_int64(f, "queueOffset");
  const std::int32_t max_msg_nums = required_int32(f, "maxMsgNums");
  const std::int32_t sys_flag = required_int32(f, "sysFlag");
  const std::int64_t commit_offset = required_int64(f, "commitOffset");
  const std::int64_t suspend_timeout_ms = required_int64(f, "suspendTimeoutMillis");
  const std::int64_t sub_version = required_int64(f, "subVersion");
  const auto subscription_text = optional_string(f, "subscription");
  const std::string expression_type = optional_string(f, "expressionType").value_or("TAG");

  const bool has_commit_offset = (sys_flag & kPullFlagCommitOffset) != 0;
  const bool has_suspend = (sys_flag & kPullFlagSuspend) != 0;
  const bool has_subscription = (sys_flag & kPullFlagSubscription) != 0;

  if (!perm::readable(config.broker_permission)) {
    responder.respond(rc::kNoPermission, "the broker[" + config.broker_ip1 + "] pulling message is forbidden");
    return;
  }
  std::string refused;
  auto group_config = services_.groups().find_or_create(group, &refused);
  if (!group_config) {
    responder.respond(rc::kSubscriptionGroupNotExist, "subscription group [" + group + "] does not exist" +
                                                          (refused.empty() ? "" : " (" + refused + ")"));
    return;
  }
  if (!group_config->consume_enable) {
    responder.respond(rc::kNoPermission, "subscription group no permission, " + group);
    return;
  }
  auto topic_config = services_.topics().select(topic);
  if (!topic_config) {
    responder.respond(rc::kTopicNotExist, "topic[" + topic + "] not exist, apply first please!");
    return;
  }
  if (!perm::readable(topic_config->perm)) {
    responder.respond(rc::kNoPermission, "the topic[" + topic + "] pulling message is forbidden");
    return;
  }
  if (queue_id < 0 || queue_id >= topic_config->read_queue_nums) {
    responder.respond(rc::kSystemError, "queueId[" + std::to_string(queue_id) + "] is illegal, topic:[" + topic +
                                            "] topicConfig.readQueueNums:[" +
                                            std::to_string(topic_config->read_queue_nums) + "] consumer:[" +
                                            (responder.connection() ? responder.connection()->peer_address() : "") + "]");
    return;
  }

  std::optional<SubscriptionData> subscription;
  if (has_subscription) {
    subscription = build_subscription(topic, subscription_text.value_or("*"), expression_type);
    if (!subscription) {
      responder.respond(rc::kSubscriptionParseFailed, "parse the consumer's subscription failed");
      return;
    }
  } else {
    auto group_info = services_.consumers().find_group(group);
    if (!group_info) {
      responder.respond(rc::kSubscriptionNotExist, "the consumer's group info not exist");
      return;
    }
    if (!group_config->consume_broadcast_enable && group_info->message_model == "BROADCASTING") {
      responder.respond(rc::kNoPermission, "the consumer group[" + group + "] can not consume by broadcast way");
      return;
    }
    auto it = group_info->subscriptions.find(topic);
    if (it == group_info->subscriptions.end()) {
      responder.respond(rc::kSubscriptionNotExist, "the consumer's subscription not exist");
      return;
    }
    if (it->second.sub_version < sub_version) {
      responder.respond(rc::kSubscriptionNotLatest, "the consumer's subscription not latest");
      return;
    }
    subscription = it->second;
  }

  const std::int32_t max_count = std::max(1, std::min(max_msg_nums, config.max_transfer_count_on_message_in_memory));
  store::GetResult result = services_.store().get_messages(topic, queue_id, queue_offset, max_count,
                                                           config.max_transfer_bytes_on_message_in_memory,
                                                           make_tags_filter(*subscription));

  std::int32_t code = rc::kSystemError;
  switch (result.status) {
    case store::GetStatus::kFound:
      code = rc::kSuccess;
      break;
    case store::GetStatus::kNoMatchedMessage:
    case store::GetStatus::kMessageWasRemoving:
      code = rc::kPullRetryImmediately;
      break;
    case store::GetStatus::kNoMatchedLogicQueue:
    case store::GetStatus::kNoMessageInQueue:
      code = queue_offset != 0 ? rc::kPullOffsetMoved : rc::kPullNotFound;
      break;
    case store::GetStatus::kOffsetFoundNull:
    case store::GetStatus::kOffsetOverflowOne:
      code = rc::kPullNotFound;
      break;
    case store::GetStatus::kOffsetOverflowBadly:
    case store::GetStatus::kOffsetTooSmall:
      code = rc::kPullOffsetMoved;
      break;
  }
  if (code == rc::kPullOffsetMoved) {
    spdlog::info("broker: pull offset moved: group {} topic {} queue {} asked {} -> next {} (min {} max {}, {})",
                 group, topic, queue_id, queue_offset, result.next_begin_offset, result.min_offset, result.max_offset,
                 store::to_string(result.status));
  }

  // Offset commit (storeOffsetEnable): first pass, COMMIT_OFFSET set, and a master (in DLedger mode: the
  // leader once it is writable; a follower takes the leader's offsets from the follower sync instead).
  if (first_pass && has_commit_offset && !services_.role().is_slave()) {
    services_.offsets().commit(group, topic, queue_id, commit_offset);
  }

  if (code == rc::kPullNotFound && first_pass && has_suspend) {
    // Clamped so that the answer always comes before the client's own 30 s timeout (and so that a huge
    // suspendTimeoutMillis cannot overflow the deadline).
    const std::int64_t hold_ms = std::clamp<std::int64_t>(
        config.long_polling_enable ? suspend_timeout_ms : config.short_polling_time_mills, 0, kMaxHoldMs);
    hold_->hold(HeldPull{request, responder, topic, queue_id, queue_offset, steady_now_ms() + hold_ms});
    return;
  }

  remoting::RemotingCommand response = response_for(request, code);
  bool slow = false;
  if (config.slave_read_enable && code == rc::kSuccess) {
    if (auto last = last_record_physical_offset(result.records)) {
      slow = suggest_pulling_from_slave(services_.store().stats().max_physical_offset, *last,
                                        total_physical_memory_bytes(), config.access_message_in_memory_max_ratio);
    }
  }
  response.ext_fields.set_int("suggestWhichBrokerId", suggest_which_broker_id(config.slave_read_enable, slow, *group_config));
  response.ext_fields.set_int("nextBeginOffset", result.next_begin_offset);
  response.ext_fields.set_int("minOffset", result.min_offset);
  response.ext_fields.set_int("maxOffset", result.max_offset);
  if (code == rc::kSuccess) {
    services_.counters().get_total.fetch_add(result.message_count);
    response.body = std::move(result.records);
  }
  responder.respond(std::move(response));
}

}  // namespace rmq::server
