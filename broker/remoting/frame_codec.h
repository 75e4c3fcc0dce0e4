// Frames on the wire: one remoting command each (remoting.md 1.1).
//
//   offset  size  field
//    0      4     length: bytes after this field = 4 + headerLength + bodyLength
//    4      4     high byte: serialize type (0 JSON, 1 ROCKETMQ); low 24 bits: headerLength
//    8      n     header (JSON text or the binary layout of binary_header.h)
//    8+n    rest  body, no length of its own: whatever the frame has left
//
// A TCP read can end anywhere, so the decoder works on whatever bytes have arrived and says how many more
// it needs; a buffer can also hold several frames, and the caller advances by `frame_bytes` after each.
// The decoder rejects a frame as soon as its first words prove it bad, without waiting for the rest:
//  * a frame larger than 16 MiB including the length word (Netty's LengthFieldBasedFrameDecoder limit in
//    4.9.x NettyDecoder, `com.rocketmq.remoting.frameMaxLength`); a peer announcing 2 GiB must not make us
//    allocate it;
//  * a length too small to hold the header-length word, or a header length beyond the frame's end;
//  * a serialize type other than 0 or 1;
//  * a header that does not decode.
// The reader masks the header length with 0xFFFFFF (remoting.md 6.1) and the encoder writes the command's
// serialize type into the high byte, which is how a response goes out in its request's type.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "broker/remoting/remoting_command.h"

namespace rmq::remoting {

inline constexpr std::size_t kMaxFrameBytes = 16 * 1024 * 1024;  // whole frame, length word included
inline constexpr std::size_t kFrameLengthBytes = 4;               // the length word
inline constexpr std::size_t kFramePrefixBytes = 8;               // length word + header-length word
inline constexpr std::size_t kMaxHeaderBytes = 0xFFFFFF;          // 24-bit header length

struct DecodeResult {
  enum class Status {
    kNeedMore,  // the buffer holds part of a frame; frame_bytes is how many bytes the frame needs in all
    kCommand,   // `command` decoded; frame_bytes is how many buffer bytes it used
    kError,     // the stream is bad from here on; `error` says why in one line
  };
  Status status = Status::kNeedMore;
  std::size_t frame_bytes = 0;
  RemotingCommand command;
  std::string error;
};

// Decodes the frame at the start of `buffer`. `max_frame_bytes` exists for tests; peers use the default.
DecodeResult decode_frame(ByteSpan buffer, std::size_t max_frame_bytes = kMaxFrameBytes);

// Thrown by encode_frame for a command whose frame could not be read by a peer.
class FrameTooLarge : public std::length_error {
 public:
  using std::length_error::length_error;
};

// The complete frame of `command`, its header in `command.serialize_type`. Throws FrameTooLarge when the
// header exceeds 24 bits or the frame exceeds `max_frame_bytes`.
Bytes encode_frame(const RemotingCommand& command, std::size_t max_frame_bytes = kMaxFrameBytes);

}  // namespace rmq::remoting
