#include "broker/namesrv/register_body_codec.h"

#include <zlib.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "broker/namesrv/route_json.h"
#include "broker/remoting/ext_fields.h"

namespace rmq::namesrv {
namespace {

using nlohmann::json;

std::int32_t int32_field(const json& object, const char* key, const std::string& what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) throw BodyError(what + ": field '" + key + "' is not an integer");
  const std::int64_t value = it->get<std::int64_t>();
  if (value < std::numeric_limits<std::int32_t>::min() || value > std::numeric_limits<std::int32_t>::max()) {
    throw BodyError(what + ": field '" + key + "' is out of int range");
  }
  return static_cast<std::int32_t>(value);
}

std::vector<std::string> string_list(const json& value, const std::string& what) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (!value.is_array()) throw BodyError(what + ": not a JSON array");
  for (const json& item : value) {
    if (!item.is_string()) throw BodyError(what + ": an element is not a string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string_view as_text(common::ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Integer.parseInt of one field of the compressed topic line.
std::int32_t parse_int_field(std::string_view text, const std::string& what) {
  const auto value = remoting::parse_java_long(text);
  if (!value || *value < std::numeric_limits<std::int32_t>::min() ||
      *value > std::numeric_limits<std::int32_t>::max()) {
    throw BodyError(what + ": '" + std::string(text) + "' is not an int");
  }
  return static_cast<std::int32_t>(*value);
}

// Reads one int32 length and that many bytes; names the offset in the inflated stream when short.
common::ByteSpan length_prefixed(common::ByteReader& reader, const std::string& what) {
  const std::size_t at = reader.position();
  const std::int32_t length = reader.i32();
  if (!reader.ok()) throw BodyError("compressed register body: truncated at offset " + std::to_string(at) +
                                    " reading the length of " + what);
  if (length < 0 || static_cast<std::size_t>(length) > reader.remaining()) {
    throw BodyError("compressed register body: " + what + " length " + std::to_string(length) + " at offset " +
                    std::to_string(at) + " exceeds the " + std::to_string(reader.remaining()) +
                    " bytes left");
  }
  return reader.bytes(static_cast<std::size_t>(length));
}

}  // namespace

RegisterBrokerBody decode_register_body_json(common::ByteSpan body) {
  const std::string what = "register body";
  json root = json::parse(body.begin(), body.end(), nullptr, false);
  if (root.is_discarded()) throw BodyError(what + ": not valid JSON");
  if (!root.is_object()) throw BodyError(what + ": not a JSON object");
  RegisterBrokerBody result;
  auto wrapper_it = root.find("topicConfigSerializeWrapper");
  if (wrapper_it != root.end() && !wrapper_it->is_null()) {
    if (!wrapper_it->is_object()) throw BodyError(what + ": topicConfigSerializeWrapper is not an object");
    const json& wrapper = *wrapper_it;
    auto version_it = wrapper.find("dataVersion");
    if (version_it != wrapper.end() && !version_it->is_null()) {
      if (!version_it->is_object()) throw BodyError(what + ": dataVersion is not an object");
      result.topic_config_wrapper.data_version = parse_data_version(version_it->dump(), what + " dataVersion");
    }
    auto table_it = wrapper.find("topicConfigTable");
    if (table_it != wrapper.end() && !table_it->is_null()) {
      if (!table_it->is_object()) throw BodyError(what + ": topicConfigTable is not an object");
      for (const auto& [key, config] : table_it->items()) {
        const std::string where = what + " topic '" + key + "'";
        if (!config.is_object()) throw BodyError(where + ": not an object");
        TopicQueueConfig topic;
        auto name_it = config.find("topicName");
        topic.topic_name = (name_it != config.end() && name_it->is_string()) ? name_it->get<std::string>() : key;
        topic.read_queue_nums = int32_field(config, "readQueueNums", where);
        topic.write_queue_nums = int32_field(config, "writeQueueNums", where);
        topic.perm = int32_field(config, "perm", where);
        topic.topic_sys_flag = int32_field(config, "topicSysFlag", where);
        result.topic_config_wrapper.topics.push_back(std::move(topic));
      }
    }
  }
  auto filter_it = root.find("filterServerList");
  if (filter_it != root.end()) result.filter_server_list = string_list(*filter_it, what + " filterServerList");
  return result;
}

RegisterBrokerBody decode_register_body_compressed(common::ByteSpan body) {
  const common::Bytes inflated = inflate_zlib(body, kMaxInflatedBytes);
  common::ByteReader reader(inflated);
  RegisterBrokerBody result;
  result.topic_config_wrapper.data_version =
      parse_data_version(as_text(length_prefixed(reader, "dataVersion")), "compressed register body dataVersion");

  const std::size_t count_at = reader.position();
  const std::int32_t topic_count = reader.i32();
  if (!reader.ok()) {
    throw BodyError("compressed register body: truncated at offset " + std::to_string(count_at) +
                    " reading the topic count");
  }
  // Each topic takes at least its 4-byte length, which bounds a believable count by what is left.
  if (topic_count < 0 || static_cast<std::size_t>(topic_count) > reader.remaining() / 4) {
    throw BodyError("compressed register body: topic count " + std::to_string(topic_count) + " at offset " +
                    std::to_string(count_at) + " does not fit the " + std::to_string(reader.remaining()) +
                    " bytes left");
  }
  for (std::int32_t i = 0; i < topic_count; ++i) {
    const std::size_t line_at = reader.position();
    const std::string what = "topic config " + std::to_string(i);
    const std::string_view line = as_text(length_prefixed(reader, what));
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
      const std::size_t space = line.find(' ', start);
      fields.push_back(line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
      if (space == std::string_view::npos) break;
      start = space + 1;
    }
    // 4.9.x writes 5 fields; 5.x appends the attributes JSON as a sixth.
    if (fields.size() != 5 && fields.size() != 6) {
      throw BodyError("compressed register body: " + what + " at offset " + std::to_string(line_at) +
                      ": expected 5 space-separated fields, got " + std::to_string(fields.size()));
    }
    const std::string where = "compressed register body: " + what + " at offset " + std::to_string(line_at);
    TopicQueueConfig topic;
    topic.topic_name = std::string(fields[0]);
    topic.read_queue_nums = parse_int_field(fields[1], where + " readQueueNums");
    topic.write_queue_nums = parse_int_field(fields[2], where + " writeQueueNums");
    topic.perm = parse_int_field(fields[3], where + " perm");
    if (fields[4] != "SINGLE_TAG" && fields[4] != "MULTI_TAG") {
      throw BodyError(where + ": unknown topicFilterType '" + std::string(fields[4]) + "'");
    }
    result.topic_config_wrapper.topics.push_back(std::move(topic));
  }

  const std::string_view filter_text = as_text(length_prefixed(reader, "filterServerList"));
  json filters = json::parse(filter_text.begin(), filter_text.end(), nullptr, false);
  if (filters.is_discarded()) throw BodyError("compressed register body: filterServerList is not valid JSON");
  result.filter_server_list = string_list(filters, "compressed register body filterServerList");
  return result;
}

common::Bytes inflate_zlib(common::ByteSpan data, std::size_t max_bytes) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) throw BodyError("compressed register body: zlib init failed");
  common::Bytes out;
  std::uint8_t chunk[16384];
  // zlib takes a non-const pointer but never writes through next_in.
  stream.next_in = const_cast<Bytef*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = chunk;
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string reason = stream.msg != nullptr ? stream.msg : (rc == Z_BUF_ERROR ? "truncated" : "error");
      const auto at = stream.total_in;
      inflateEnd(&stream);
      throw BodyError("compressed register body: zlib stream " + reason + " at input offset " + std::to_string(at));
    }
    const std::size_t produced = sizeof chunk - stream.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&stream);
      throw BodyError("compressed register body: inflates to more than " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), chunk, chunk + produced);
    if (rc == Z_OK && stream.avail_in == 0 && produced == 0) {
      inflateEnd(&stream);
      throw BodyError("compressed register body: zlib stream truncated at input offset " +
                      std::to_string(data.size()));
    }
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace rmq::namesrv
