#include "broker/remoting/binary_header.h"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

#include "broker/remoting/frame_codec.h"

namespace rmq::remoting {
namespace {

using common::ByteReader;
using common::ByteWriter;

std::string to_string(ByteSpan bytes) { return std::string(bytes.begin(), bytes.end()); }

// Reads a length field and checks it against what is left; `what` names it in the error.
std::optional<std::string> checked_length(ByteReader& reader, std::int64_t length, const char* what,
                                          std::size_t& out) {
  if (!reader.ok()) return fmt::format("ROCKETMQ header ends inside the {} length", what);
  if (length < 0) return fmt::format("ROCKETMQ header {} length {} is negative", what, length);
  if (static_cast<std::uint64_t>(length) > reader.remaining()) {
    return fmt::format("ROCKETMQ header {} length {} exceeds the {} bytes left", what, length, reader.remaining());
  }
  out = static_cast<std::size_t>(length);
  return std::nullopt;
}

std::optional<std::string> decode_map(ByteSpan bytes, ExtFields& out) {
  ByteReader reader(bytes);
  while (reader.remaining() > 0) {
    std::size_t key_bytes = 0;
    const std::int16_t key_length = reader.i16();
    if (auto error = checked_length(reader, key_length, "extFields key", key_bytes)) return error;
    std::string key = to_string(reader.bytes(key_bytes));
    std::size_t value_bytes = 0;
    const std::int32_t value_length = reader.i32();
    if (auto error = checked_length(reader, value_length, "extFields value", value_bytes)) return error;
    out.set(key, to_string(reader.bytes(value_bytes)));
  }
  return std::nullopt;
}

std::int32_t checked_int32_length(std::size_t length, const char* what) {
  if (length > kMaxHeaderBytes) {
    throw std::length_error(fmt::format("ROCKETMQ header {} of {} bytes does not fit in a header", what, length));
  }
  return static_cast<std::int32_t>(length);
}

}  // namespace

std::optional<std::string> decode_binary_header(ByteSpan header, RemotingCommand& out) {
  if (header.size() < kBinaryHeaderMinBytes) {
    return fmt::format("ROCKETMQ header of {} bytes is shorter than the {}-byte minimum", header.size(),
                       kBinaryHeaderMinBytes);
  }
  ByteReader reader(header);
  out.code = reader.i16();
  out.language = language_from_code(reader.u8()).value_or(LanguageCode::kOther);
  out.version = reader.i16();
  out.opaque = reader.i32();
  out.flag = reader.i32();

  out.remark.reset();
  std::size_t remark_bytes = 0;
  const std::int32_t remark_length = reader.i32();
  if (auto error = checked_length(reader, remark_length, "remark", remark_bytes)) return error;
  if (remark_bytes > 0) out.remark = to_string(reader.bytes(remark_bytes));

  out.ext_fields = ExtFields();
  std::size_t map_bytes = 0;
  const std::int32_t map_length = reader.i32();
  if (auto error = checked_length(reader, map_length, "extFields", map_bytes)) return error;
  if (auto error = decode_map(reader.bytes(map_bytes), out.ext_fields)) return error;
  return std::nullopt;
}

void encode_binary_header(const RemotingCommand& command, Bytes& out) {
  ByteWriter writer(out);
  writer.i16(static_cast<std::int16_t>(command.code));  // Java: putShort((short) code)
  writer.u8(static_cast<std::uint8_t>(command.language));
  writer.i16(static_cast<std::int16_t>(command.version));
  writer.i32(command.opaque);
  writer.i32(command.flag);

  const std::string_view remark = command.remark ? std::string_view(*command.remark) : std::string_view();
  writer.i32(checked_int32_length(remark.size(), "remark"));
  writer.bytes(remark);

  std::size_t map_bytes = 0;
  for (const auto& [key, value] : command.ext_fields) {
    if (key.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
      throw std::length_error(fmt::format("extFields key of {} bytes does not fit a short length", key.size()));
    }
    map_bytes += 2 + key.size() + 4 + value.size();
  }
  writer.i32(checked_int32_length(map_bytes, "extFields"));
  for (const auto& [key, value] : command.ext_fields) {
    writer.i16(static_cast<std::int16_t>(key.size()));
    writer.bytes(key);
    writer.i32(static_cast<std::int32_t>(value.size()));
    writer.bytes(value);
  }
}

}  // namespace rmq::remoting
