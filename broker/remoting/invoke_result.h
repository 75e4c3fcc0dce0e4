// What a request sent on a connection came to: a response, or the reason there is none.
//
// A caller always hears back exactly once: with the response, when the timeout passes first, when the
// connection is lost (every call still pending fails at once, so a caller never waits out a timeout on a
// dead socket), or when the request could not be sent at all. The pseudo codes Java uses for the same
// outcomes (-1006 RPC_TIME_OUT, ...) never go on the wire, so they are a separate status here rather than
// fake response codes.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "broker/remoting/remoting_command.h"

namespace rmq::remoting {

enum class InvokeStatus {
  kOk,                // `response` holds the peer's answer (whatever its code)
  kTimeout,           // no answer within timeout_ms; a late answer is dropped
  kConnectionClosed,  // the connection closed before an answer came
  kSendFailed,        // the request was not sent (e.g. its frame is over the limit)
};

std::string_view invoke_status_name(InvokeStatus status);

struct InvokeResult {
  InvokeStatus status = InvokeStatus::kOk;
  RemotingCommand response;  // meaningful only for kOk
  std::string error;         // one line, for every status but kOk

  bool ok() const { return status == InvokeStatus::kOk; }
};

// Runs once per call, on an I/O thread of the connection's owner; it must not block.
using ResponseCallback = std::function<void(InvokeResult result)>;

}  // namespace rmq::remoting
