#include "broker/remoting/responder.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cassert>

#include "broker/remoting/connection.h"

namespace rmq::remoting {

struct Responder::State {
  State(std::weak_ptr<Connection> conn, const RemotingCommand& request)
      : connection(std::move(conn)),
        request_code(request.code),
        opaque(request.opaque),
        serialize_type(request.serialize_type),
        oneway(request.is_oneway()) {}

  State(const State&) = delete;
  State& operator=(const State&) = delete;

  ~State() {
    if (oneway || answered.load()) return;
    auto conn = connection.lock();
    if (!conn || !conn->is_open()) return;
    spdlog::warn("remoting: request code {} opaque {} from {} was dropped unanswered; answering SYSTEM_ERROR",
                 request_code, opaque, conn->peer_address());
    RemotingCommand response;
    response.code = response_code::kSystemError;
    response.remark = "request code " + std::to_string(request_code) + " was dropped without a response";
    send(std::move(response));
  }

  bool send(RemotingCommand response) const {
    response.opaque = opaque;
    response.mark_response();
    response.serialize_type = serialize_type;
    auto conn = connection.lock();
    return conn && conn->send_response(std::move(response));
  }

  const std::weak_ptr<Connection> connection;
  const std::int32_t request_code;
  const std::int32_t opaque;
  const SerializeType serialize_type;
  const bool oneway;
  std::atomic<bool> answered{false};
};

Responder::Responder(std::weak_ptr<Connection> connection, const RemotingCommand& request)
    : state_(std::make_shared<State>(std::move(connection), request)) {}

bool Responder::respond(RemotingCommand response) const {
  assert(state_);
  if (state_->oneway) return false;
  if (state_->answered.exchange(true)) {
    spdlog::debug("remoting: second answer to request code {} opaque {} ignored", state_->request_code,
                  state_->opaque);
    return false;
  }
  return state_->send(std::move(response));
}

bool Responder::respond(std::int32_t code, std::optional<std::string> remark) const {
  RemotingCommand response;
  response.code = code;
  response.remark = std::move(remark);
  return respond(std::move(response));
}

bool Responder::wants_response() const { return !state_->oneway; }
bool Responder::answered() const { return state_->answered.load(); }
std::int32_t Responder::request_code() const { return state_->request_code; }
std::int32_t Responder::opaque() const { return state_->opaque; }
SerializeType Responder::serialize_type() const { return state_->serialize_type; }
std::shared_ptr<Connection> Responder::connection() const { return state_->connection.lock(); }

}  // namespace rmq::remoting
