#include "broker/remoting/frame_codec.h"

#include <fmt/format.h>

#include <cassert>

#include "broker/remoting/binary_header.h"
#include "broker/remoting/json_header.h"

namespace rmq::remoting {
namespace {

using common::load_u32_be;
using common::store_u32_be;

DecodeResult need_more(std::size_t frame_bytes) {
  DecodeResult result;
  result.status = DecodeResult::Status::kNeedMore;
  result.frame_bytes = frame_bytes;
  return result;
}

DecodeResult failure(std::string error) {
  DecodeResult result;
  result.status = DecodeResult::Status::kError;
  result.error = std::move(error);
  return result;
}

}  // namespace

DecodeResult decode_frame(ByteSpan buffer, std::size_t max_frame_bytes) {
  if (buffer.size() < kFrameLengthBytes) return need_more(kFramePrefixBytes);

  const std::uint64_t length = load_u32_be(buffer.data());
  const std::uint64_t frame_bytes = kFrameLengthBytes + length;
  if (frame_bytes > max_frame_bytes) {
    return failure(fmt::format("frame length {} makes a {}-byte frame, over the {}-byte limit", length,
                               frame_bytes, max_frame_bytes));
  }
  if (length < kFramePrefixBytes - kFrameLengthBytes) {
    return failure(fmt::format("frame length {} cannot hold the 4-byte header-length word", length));
  }
  if (buffer.size() < kFramePrefixBytes) return need_more(static_cast<std::size_t>(frame_bytes));

  const std::uint32_t header_word = load_u32_be(buffer.data() + kFrameLengthBytes);
  const std::uint8_t type = static_cast<std::uint8_t>(header_word >> 24);
  const std::uint64_t header_bytes = header_word & 0xFFFFFF;
  if (type != static_cast<std::uint8_t>(SerializeType::kJson) &&
      type != static_cast<std::uint8_t>(SerializeType::kRocketMq)) {
    return failure(fmt::format("unknown serialize type {} in the header-length word", type));
  }
  if (header_bytes > length - (kFramePrefixBytes - kFrameLengthBytes)) {
    return failure(fmt::format("header length {} runs past the end of a frame of length {}", header_bytes, length));
  }
  if (buffer.size() < frame_bytes) return need_more(static_cast<std::size_t>(frame_bytes));

  DecodeResult result;
  result.status = DecodeResult::Status::kCommand;
  result.frame_bytes = static_cast<std::size_t>(frame_bytes);
  RemotingCommand& command = result.command;
  command.serialize_type = static_cast<SerializeType>(type);
  const ByteSpan header = buffer.subspan(kFramePrefixBytes, static_cast<std::size_t>(header_bytes));
  const ByteSpan body = buffer.subspan(kFramePrefixBytes + static_cast<std::size_t>(header_bytes),
                                       static_cast<std::size_t>(frame_bytes - kFramePrefixBytes - header_bytes));
  std::optional<std::string> error = command.serialize_type == SerializeType::kJson
                                         ? decode_json_header(header, command)
                                         : decode_binary_header(header, command);
  if (error) return failure(std::move(*error));
  command.body.assign(body.begin(), body.end());
  return result;
}

Bytes encode_frame(const RemotingCommand& command, std::size_t max_frame_bytes) {
  Bytes frame(kFramePrefixBytes);
  if (command.serialize_type == SerializeType::kJson) {
    // One allocation for the whole frame in the common case: the header is written in place, the body after.
    std::size_t ext_bytes = 0;
    for (const auto& [key, value] : command.ext_fields) ext_bytes += key.size() + value.size() + 6;
    frame.reserve(kFramePrefixBytes + 160 + ext_bytes + (command.remark ? command.remark->size() + 12 : 0) +
                  command.body.size());
    append_json_header(command, frame);
  } else {
    try {
      encode_binary_header(command, frame);
    } catch (const std::length_error& e) {
      throw FrameTooLarge(e.what());
    }
  }
  const std::size_t header_bytes = frame.size() - kFramePrefixBytes;
  if (header_bytes > kMaxHeaderBytes) {
    throw FrameTooLarge(fmt::format("{}: header of {} bytes exceeds the 24-bit header length", describe(command),
                                    header_bytes));
  }
  const std::size_t frame_bytes = frame.size() + command.body.size();
  if (frame_bytes > max_frame_bytes) {
    throw FrameTooLarge(fmt::format("{}: frame of {} bytes exceeds the {}-byte limit", describe(command),
                                    frame_bytes, max_frame_bytes));
  }
  frame.insert(frame.end(), command.body.begin(), command.body.end());
  assert(frame.size() == frame_bytes);
  store_u32_be(frame.data(), static_cast<std::uint32_t>(frame_bytes - kFrameLengthBytes));
  store_u32_be(frame.data() + kFrameLengthBytes,
               (std::uint32_t{static_cast<std::uint8_t>(command.serialize_type)} << 24) |
                   static_cast<std::uint32_t>(header_bytes));
  return frame;
}

}  // namespace rmq::remoting
