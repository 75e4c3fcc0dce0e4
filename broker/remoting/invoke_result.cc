#include "broker/remoting/invoke_result.h"

namespace rmq::remoting {

std::string_view invoke_status_name(InvokeStatus status) {
  switch (status) {
    case InvokeStatus::kOk:
      return "ok";
    case InvokeStatus::kTimeout:
      return "timeout";
    case InvokeStatus::kConnectionClosed:
      return "connection closed";
    case InvokeStatus::kSendFailed:
      return "send failed";
  }
  return "unknown";
}

}  // namespace rmq::remoting
