// Reading a request's extFields the way Java's header classes do (@CFNotNull fields are required), and
// answering a request from a worker thread without ever leaving it unanswered.
//
// A missing required field or a value that does not parse is a client error: Java answers SYSTEM_ERROR with
// "the custom field <name> is null" (or a NumberFormatException text). RequestError carries that one line;
// guarded() turns it, or any other exception, into that answer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "broker/remoting/remoting_command.h"
#include "broker/remoting/responder.h"

namespace rmq::server {

class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string required_string(const remoting::ExtFields& fields, std::string_view name);
// A consumer group name from the client (validate_group_name); RequestError naming the field otherwise.
std::string required_group(const remoting::ExtFields& fields, std::string_view name);
// Throws RequestError "<field>: <problem>" when `group` is not a usable group name.
void check_group_name(std::string_view field, std::string_view group);
std::int32_t required_int32(const remoting::ExtFields& fields, std::string_view name);
std::int64_t required_int64(const remoting::ExtFields& fields, std::string_view name);
// Optional fields: nullopt when absent; RequestError when present but not a number.
std::optional<std::int32_t> optional_int32(const remoting::ExtFields& fields, std::string_view name);
std::optional<std::int64_t> optional_int64(const remoting::ExtFields& fields, std::string_view name);
std::optional<std::string> optional_string(const remoting::ExtFields& fields, std::string_view name);
bool optional_bool(const remoting::ExtFields& fields, std::string_view name, bool fallback);

// Runs `work`; if it throws, answers SYSTEM_ERROR with the exception's text (when not answered yet).
void guarded(const remoting::Responder& responder, const std::function<void()>& work);

// A response with the given code and remark for `request`, extFields empty.
remoting::RemotingCommand response_for(const remoting::RemotingCommand& request, std::int32_t code,
                                       std::optional<std::string> remark = std::nullopt);

}  // namespace rmq::server
