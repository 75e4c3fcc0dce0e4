#include "broker/remoting/remoting_command.h"

#include <fmt/format.h>

namespace rmq::remoting {

RemotingCommand make_request(std::int32_t code) {
  RemotingCommand request;
  request.code = code;
  return request;
}

RemotingCommand make_oneway_request(std::int32_t code) {
  RemotingCommand request = make_request(code);
  request.mark_oneway();
  return request;
}

RemotingCommand make_response(const RemotingCommand& request, std::int32_t code,
                              std::optional<std::string> remark) {
  RemotingCommand response;
  response.code = code;
  response.opaque = request.opaque;
  response.mark_response();
  response.serialize_type = request.serialize_type;
  response.remark = std::move(remark);
  return response;
}

std::string describe(const RemotingCommand& command) {
  return fmt::format("{} code={} opaque={} flag={}", command.is_response() ? "response" : "request",
                     command.code, command.opaque, command.flag);
}

}  // namespace rmq::remoting
