// Typed extFields access with Java's error texts (see request_fields.h).
#include "broker/server/request_fields.h"

#include <spdlog/spdlog.h>

#include "broker/server/topic_config.h"

namespace rmq::server {
namespace {

[[noreturn]] void missing(std::string_view name) {
  throw RequestError("the custom field <" + std::string(name) + "> is null");
}

[[noreturn]] void not_a_number(std::string_view name, std::string_view value) {
  throw RequestError("the custom field <" + std::string(name) + "> is not a number: For input string: \"" +
                     std::string(value) + "\"");
}

}  // namespace

std::string required_string(const remoting::ExtFields& fields, std::string_view name) {
  auto value = fields.get(name);
  if (!value) missing(name);
  return std::string(*value);
}

void check_group_name(std::string_view field, std::string_view group) {
  if (auto problem = validate_group_name(group)) throw RequestError("the field <" + std::string(field) + ">: " + *problem);
}

std::string required_group(const remoting::ExtFields& fields, std::string_view name) {
  std::string group = required_string(fields, name);
  check_group_name(name, group);
  return group;
}

std::int32_t required_int32(const remoting::ExtFields& fields, std::string_view name) {
  auto value = optional_int32(fields, name);
  if (!value) missing(name);
  return *value;
}

std::int64_t required_int64(const remoting::ExtFields& fields, std::string_view name) {
  auto value = optional_int64(fields, name);
  if (!value) missing(name);
  return *value;
}

std::optional<std::int32_t> optional_int32(const remoting::ExtFields& fields, std::string_view name) {
  auto raw = fields.get(name);
  if (!raw) return std::nullopt;
  auto value = fields.get_int32(name);
  if (!value) not_a_number(name, *raw);
  return value;
}

std::optional<std::int64_t> optional_int64(const remoting::ExtFields& fields, std::string_view name) {
  auto raw = fields.get(name);
  if (!raw) return std::nullopt;
  auto value = fields.get_int64(name);
  if (!value) not_a_number(name, *raw);
  return value;
}

std::optional<std::string> optional_string(const remoting::ExtFields& fields, std::string_view name) {
  auto raw = fields.get(name);
  if (!raw) return std::nullopt;
  return std::string(*raw);
}

bool optional_bool(const remoting::ExtFields& fields, std::string_view name, bool fallback) {
  return fields.get_bool(name).value_or(fallback);
}

void guarded(const remoting::Responder& responder, const std::function<void()>& work) {
  try {
    work();
  } catch (const std::exception& e) {
    if (!responder.answered()) {
      if (dynamic_cast<const RequestError*>(&e) == nullptr) {
        spdlog::warn("broker: request code {} failed: {}", responder.request_code(), e.what());
      }
      responder.respond(remoting::response_code::kSystemError, std::string(e.what()));
    }
  }
}

remoting::RemotingCommand response_for(const remoting::RemotingCommand& request, std::int32_t code,
                                       std::optional<std::string> remark) {
  return remoting::make_response(request, code, std::move(remark));
}

}  // namespace rmq::server
