#include "broker/remoting/request_dispatcher.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <exception>

#include "broker/remoting/connection.h"

namespace rmq::remoting {
namespace {

std::string peer_of(const Responder& responder) {
  auto connection = responder.connection();
  return connection ? connection->peer_address() : std::string("a closed connection");
}

void answer_not_supported(RemotingCommand request, Responder responder) {
  spdlog::warn("remoting: {}{}", peer_of(responder), not_supported_remark(request.code));
  responder.respond(response_code::kRequestCodeNotSupported, not_supported_remark(request.code));
}

}  // namespace

std::string not_supported_remark(std::int32_t code) {
  return " request type " + std::to_string(code) + " not supported";
}

RequestDispatcher::RequestDispatcher() : default_handler_(answer_not_supported) {}

void RequestDispatcher::set_handler(std::int32_t code, RequestHandler handler) {
  assert(handler);
  handlers_[code] = std::move(handler);
}

void RequestDispatcher::set_default_handler(RequestHandler handler) {
  assert(handler);
  default_handler_ = std::move(handler);
}

void RequestDispatcher::dispatch(RemotingCommand request, const Responder& responder) const {
  const std::int32_t code = request.code;
  const auto it = handlers_.find(code);
  const RequestHandler& handler = it != handlers_.end() ? it->second : default_handler_;
  try {
    if (guard_ && !guard_(request, responder)) return;
    handler(std::move(request), responder);
  } catch (const std::exception& e) {
    spdlog::error("remoting: handler for request code {} from {} threw: {}", code, peer_of(responder), e.what());
    responder.respond(response_code::kSystemError, std::string(e.what()));
  } catch (...) {
    spdlog::error("remoting: handler for request code {} from {} threw a non-exception", code, peer_of(responder));
    responder.respond(response_code::kSystemError, std::string("handler failed"));
  }
}

}  // namespace rmq::remoting
