// Message lookups by key and by physical offset (see query_message_processor.h).
#include "broker/server/query_message_processor.h"

#include "broker/server/request_fields.h"

namespace rmq::server {
namespace {
namespace rc = remoting::response_code;
// Upper bound on the records one QUERY_MESSAGE returns, whatever maxNum asks (4.9.x caps it with
// MessageStoreConfig.maxMsgsNumBatch = 64), so one request cannot make the broker read the whole index.
constexpr std::int32_t kMaxQueryMessageNums = 64;
}  // namespace

void QueryMessageProcessor::register_on(remoting::RemotingServer& server) {
  server.register_handler(remoting::request_code::kQueryMessage,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
                            services_.admin_pool().submit([this, shared, responder] {
                              guarded(responder, [&] { query_message(*shared, responder); });
                            });
                          });
  server.register_handler(remoting::request_code::kViewMessageById,
                          [this](remoting::RemotingCommand request, remoting::Responder responder) {
                            auto shared = std::make_shared<remoting::RemotingCommand>(std::move(request));
                            services_.admin_pool().submit([this, shared, responder] {
                              guarded(responder, [&] { view_message_by_id(*shared, responder); });
                            });
                          });
}

void QueryMessageProcessor::query_message(const remoting::RemotingCommand& request,
                                          const remoting::Responder& responder) {
  const auto& f = request.ext_fields;
  const std::string topic = required_string(f, "topic");
  const std::string key = required_string(f, "key");
  std::int32_t max_num = required_int32(f, "maxNum");
  const std::int64_t begin_ms = required_int64(f, "beginTimestamp");
  const std::int64_t end_ms = required_int64(f, "endTimestamp");
  max_num = std::max(1, std::min(max_num, kMaxQueryMessageNums));
  store::QueryResult result = services_.store().query_messages(topic, key, max_num, begin_ms, end_ms);
  if (result.message_count <= 0) {
    responder.respond(rc::kQueryNotFound, "can not find message, maybe time range not correct");
    return;
  }
  auto response = response_for(request, rc::kSuccess);
  response.ext_fields.set_int("indexLastUpdateTimestamp", result.index_last_update_timestamp_ms);
  response.ext_fields.set_int("indexLastUpdatePhyoffset", result.index_last_update_phy_offset);
  response.body = std::move(result.records);
  responder.respond(std::move(response));
}

void QueryMessageProcessor::view_message_by_id(const remoting::RemotingCommand& request,
                                               const remoting::Responder& responder) {
  const std::int64_t offset = required_int64(request.ext_fields, "offset");
  auto record = offset >= 0 ? services_.store().read_record(offset) : std::nullopt;
  if (!record) {
    responder.respond(rc::kSystemError, "can not find message by the offset, " + std::to_string(offset));
    return;
  }
  auto response = response_for(request, rc::kSuccess);
  response.body = std::move(*record);
  responder.respond(std::move(response));
}

}  // namespace rmq::server
