// Which handler serves which request code, and what happens to codes nobody serves.
//
// The table is filled before the server or client starts and is read-only afterwards, so dispatch needs no
// lock. A code without a handler goes to the default handler, which answers REQUEST_CODE_NOT_SUPPORTED with
// the remark the Java broker writes (NettyRemotingAbstract.processRequestCommand, leading space included)
// and keeps the connection open (remoting.md 1.6 rule 7). A handler that throws gets its request answered
// with SYSTEM_ERROR and the exception text, as Java does; the exception never reaches the I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "broker/remoting/remoting_command.h"
#include "broker/remoting/responder.h"

namespace rmq::remoting {

// Called on an I/O thread, in the order requests arrive on the connection. It must not block: long work
// goes to another thread, which answers through the (copied) Responder.
using RequestHandler = std::function<void(RemotingCommand request, Responder responder)>;
// Runs before every handler (the ACL check, broker/acl/): true lets the request through; false means the
// guard has answered it (or chose not to) and no handler runs. Must not block, like a handler.
using RequestGuard = std::function<bool(const RemotingCommand& request, const Responder& responder)>;

// " request type <code> not supported", byte for byte what 4.9.x answers.
std::string not_supported_remark(std::int32_t code);

class RequestDispatcher {
 public:
  RequestDispatcher();

  void set_handler(std::int32_t code, RequestHandler handler);
  void set_default_handler(RequestHandler handler);
  void set_guard(RequestGuard guard) { guard_ = std::move(guard); }

  void dispatch(RemotingCommand request, const Responder& responder) const;

 private:
  std::unordered_map<std::int32_t, RequestHandler> handlers_;
  RequestHandler default_handler_;
  RequestGuard guard_;  // empty: every request goes to its handler
};

}  // namespace rmq::remoting
