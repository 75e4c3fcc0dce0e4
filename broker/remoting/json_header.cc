#include "broker/remoting/json_header.h"

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace rmq::remoting {
namespace {

using nlohmann::json;

// Reads an int32 header field; leaves `out` alone when the field is missing or null.
std::optional<std::string> read_int32(const json& header, const char* key, std::int32_t& out) {
  const auto it = header.find(key);
  if (it == header.end() || it->is_null()) return std::nullopt;
  std::optional<std::int64_t> value;
  if (it->is_number_unsigned()) {  // every non-negative integer; may exceed INT64_MAX
    const std::uint64_t raw = it->get<std::uint64_t>();
    if (raw > std::uint64_t{std::numeric_limits<std::int32_t>::max()}) {
      return fmt::format("header field {} is out of int32 range", key);
    }
    value = static_cast<std::int64_t>(raw);
  } else if (it->is_number_integer()) {
    value = it->get<std::int64_t>();
  } else if (it->is_string()) {
    value = parse_java_long(it->get_ref<const std::string&>());
    if (!value) return fmt::format("header field {} is not an integer", key);
  } else {
    return fmt::format("header field {} is a JSON {}, not an integer", key, it->type_name());
  }
  if (*value < std::numeric_limits<std::int32_t>::min() || *value > std::numeric_limits<std::int32_t>::max()) {
    return fmt::format("header field {} is out of int32 range", key);
  }
  out = static_cast<std::int32_t>(*value);
  return std::nullopt;
}

// The text of a JSON scalar the way JSON.stringify / String.valueOf would print it; nullopt for containers.
std::optional<std::string> scalar_text(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::boolean:
      return std::string(value.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
      return std::to_string(value.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(value.get<std::uint64_t>());
    case json::value_t::number_float:
      return value.dump();
    default:
      return std::nullopt;
  }
}

std::optional<std::string> read_language(const json& header, LanguageCode& out) {
  const auto it = header.find("language");
  if (it == header.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    out = language_from_name(it->get_ref<const std::string&>()).value_or(LanguageCode::kOther);
  } else if (it->is_number_unsigned()) {  // nlohmann parses every non-negative integer as unsigned
    const std::uint64_t code = it->get<std::uint64_t>();
    out = code <= 0xFF ? language_from_code(static_cast<std::int64_t>(code)).value_or(LanguageCode::kOther)
                       : LanguageCode::kOther;
  } else if (it->is_number_integer()) {
    out = LanguageCode::kOther;  // negative
  } else {
    return fmt::format("header field language is a JSON {}, not a name", it->type_name());
  }
  return std::nullopt;
}

std::optional<std::string> read_remark(const json& header, std::optional<std::string>& out) {
  const auto it = header.find("remark");
  if (it == header.end() || it->is_null()) return std::nullopt;
  out = scalar_text(*it);
  if (!out) return fmt::format("header field remark is a JSON {}, not a string", it->type_name());
  return std::nullopt;
}

std::optional<std::string> read_ext_fields(const json& header, ExtFields& out) {
  const auto it = header.find("extFields");
  if (it == header.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return fmt::format("extFields is a JSON {}, not an object", it->type_name());
  for (const auto& [key, value] : it->items()) {
    if (value.is_null()) continue;  // Java's HashMap holds the null; every header class reads it as absent.
    auto text = scalar_text(value);
    if (!text) return fmt::format("extFields value of {} is a JSON {}, not a scalar", key, value.type_name());
    out.set(key, std::move(*text));
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> decode_json_header(ByteSpan header, RemotingCommand& out) {
  json parsed;
  try {
    parsed = json::parse(header.begin(), header.end());
  } catch (const json::exception& e) {
    return fmt::format("bad JSON header: {}", e.what());
  }
  if (!parsed.is_object()) return fmt::format("JSON header is a JSON {}, not an object", parsed.type_name());

  out.code = 0;
  out.language = LanguageCode::kJava;
  out.version = 0;
  out.opaque = 0;
  out.flag = 0;
  out.remark.reset();
  out.ext_fields = ExtFields();
  if (auto error = read_int32(parsed, "code", out.code)) return error;
  if (auto error = read_language(parsed, out.language)) return error;
  if (auto error = read_int32(parsed, "version", out.version)) return error;
  if (auto error = read_int32(parsed, "opaque", out.opaque)) return error;
  if (auto error = read_int32(parsed, "flag", out.flag)) return error;
  if (auto error = read_remark(parsed, out.remark)) return error;
  if (auto error = read_ext_fields(parsed, out.ext_fields)) return error;
  return std::nullopt;
}

std::string encode_json_header(const RemotingCommand& command) {
  // nlohmann's default object is a std::map, so keys come out sorted like fastjson's.
  json ext = json::object();
  for (const auto& [key, value] : command.ext_fields) ext[key] = value;
  json header = json::object();
  header["code"] = command.code;
  header["extFields"] = std::move(ext);
  header["flag"] = command.flag;
  header["language"] = language_name(command.language);
  header["opaque"] = command.opaque;
  if (command.remark) header["remark"] = *command.remark;
  header["serializeTypeCurrentRPC"] = "JSON";
  header["version"] = command.version;
  // Invalid UTF-8 in a remark or value is replaced (U+FFFD) rather than thrown: Java strings could not have
  // carried it either.
  return header.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rmq::remoting
