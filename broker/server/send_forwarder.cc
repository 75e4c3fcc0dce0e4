#include "broker/server/send_forwarder.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "broker/remoting/remoting_codes.h"

namespace rmq::server {

namespace {

namespace rc = remoting::response_code;

bool split_host_port(const std::string& address, std::string& host, std::uint16_t& port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= address.size()) return false;
  host = address.substr(0, colon);
  try {
    std::size_t used = 0;
    const int value = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1 || value <= 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

SendForwarder::SendForwarder(SendForwardOptions options, LeaderAddressFn leader_address, StaleFn stale)
    : options_(std::move(options)), leader_address_(std::move(leader_address)), stale_(std::move(stale)) {}

SendForwarder::~SendForwarder() { shutdown(); }

bool SendForwarder::was_forwarded(const remoting::RemotingCommand& request) {
  return request.ext_fields.contains(kForwardedByField);
}

std::shared_ptr<remoting::Connection> SendForwarder::connection_to(const std::string& address, std::string& error) {
  std::lock_guard lock(mutex_);
  if (connection_ && connection_->is_open() && connected_address_ == address) return connection_;
  if (connection_ && connected_address_ != address) connection_->close();
  connection_.reset();
  connected_address_.clear();
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(address, host, port)) {
    error = "the leader's address '" + address + "' is not host:port";
    return nullptr;
  }
  try {
    connection_ = client_.connect(host, port, options_.connect_timeout_ms);
    connected_address_ = address;
    return connection_;
  } catch (const std::exception& e) {
    error = std::string("cannot connect to the leader at ") + address + ": " + e.what();
    return nullptr;
  }
}

void SendForwarder::forward(remoting::RemotingCommand request, const remoting::Responder& responder) {
  if (was_forwarded(request)) {
    refused_.fetch_add(1);
    responder.respond(rc::kServiceNotAvailable,
                      "this broker is not the leader and the send was already forwarded once (by " +
                          std::string(request.ext_fields.get(kForwardedByField).value_or("")) + ")");
    return;
  }
  if (shut_down_.load()) {
    refused_.fetch_add(1);
    responder.respond(rc::kServiceNotAvailable, "this broker is not the leader and is shutting down");
    return;
  }
  const std::string leader = leader_address_ ? leader_address_() : std::string();
  if (leader.empty() || leader == options_.self_address) {
    refused_.fetch_add(1);
    responder.respond(rc::kServiceNotAvailable, "this broker is not the leader and no leader is known");
    return;
  }
  if (inflight_.fetch_add(1) >= options_.max_inflight) {
    inflight_.fetch_sub(1);
    refused_.fetch_add(1);
    responder.respond(rc::kSystemBusy, "[FORWARD]too many sends in flight to the leader (dLegerForwardMaxInflight " +
                                           std::to_string(options_.max_inflight) + "), try again");
    return;
  }
  std::string error;
  auto connection = connection_to(leader, error);
  if (!connection) {
    inflight_.fetch_sub(1);
    refused_.fetch_add(1);
    if (stale_) stale_(leader);
    responder.respond(rc::kServiceNotAvailable, "this broker is not the leader; " + error);
    return;
  }
  request.ext_fields.set(kForwardedByField, options_.self_address);
  connection->invoke_async(
      std::move(request), options_.timeout_ms, [this, responder, leader](remoting::InvokeResult result) {
        inflight_.fetch_sub(1);
        if (!result.ok()) {
          refused_.fetch_add(1);
          if (stale_ && result.status != remoting::InvokeStatus::kTimeout) stale_(leader);
          responder.respond(rc::kServiceNotAvailable,
                            "this broker is not the leader; forwarding to the leader at " + leader + " failed: " +
                                result.error);
          return;
        }
        if (result.response.code == rc::kServiceNotAvailable && stale_) stale_(leader);
        forwarded_.fetch_add(1);
        responder.respond(std::move(result.response));
      });
}

void SendForwarder::shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    std::lock_guard lock(mutex_);
    if (connection_) connection_->close();
    connection_.reset();
  }
  client_.close();
}

}  // namespace rmq::server
