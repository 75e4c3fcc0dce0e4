// The handle a request handler answers its request through, now or much later, from any thread.
//
// Most requests are answered before the handler returns, but a long-polling pull is parked for up to 15 s and
// answered from whichever thread sees the message arrive, and a send under SYNC_FLUSH is answered by the
// flush thread. So the answer is decoupled from the handler call: the handler gets a Responder, which it may
// copy, store and call later. The Responder fills in what the protocol requires of every answer (the
// request's opaque, the response flag, the request's serialization type) so a handler cannot get it wrong.
//
// Rules:
//  * Only the first respond() counts; later ones return false.
//  * A one-way request (flag bit 1) is never answered; respond() returns false.
//  * If every copy is dropped without an answer, the requester gets SYSTEM_ERROR instead of waiting out its
//    timeout (a handler that forgot a path, or long-polled pulls dropped at shutdown).
//  * After the connection closed, respond() returns false and the answer goes nowhere.
// The Responder holds the connection weakly: a parked request does not keep a closed socket alive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/remoting/remoting_command.h"

namespace rmq::remoting {

class Connection;

class Responder {
 public:
  Responder(std::weak_ptr<Connection> connection, const RemotingCommand& request);

  // Sends `response` as the answer; its opaque, response flag and serialize type are overwritten.
  // Returns true when the answer was queued for sending.
  bool respond(RemotingCommand response) const;
  // The same with a bare code and remark.
  bool respond(std::int32_t code, std::optional<std::string> remark = std::nullopt) const;

  bool wants_response() const;  // false for one-way requests
  bool answered() const;
  std::int32_t request_code() const;
  std::int32_t opaque() const;
  SerializeType serialize_type() const;
  // The connection the request came on, or null once it is gone; for the peer address, or to send the peer
  // requests of its own later (NOTIFY_CONSUMER_IDS_CHANGED).
  std::shared_ptr<Connection> connection() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace rmq::remoting
