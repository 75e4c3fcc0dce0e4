// The ROCKETMQ binary header (serialize type 1), 4.9.x RocketMQSerializable (remoting.md 1.4).
//
//   size  field            note
//    2    code             signed short; Java casts the int code with (short)
//    1    language         LanguageCode ordinal (JAVA=0 ... NODE_JS=13)
//    2    version          signed short
//    4    opaque           int32
//    4    flag             int32
//    4    remarkLength     0 means null; Java writes 0 for an empty remark too
//    n    remark           UTF-8
//    4    extFieldsLength  bytes of the map that follows; 0 means none
//    n    extFields        repeated: keyLength (2, short) + key + valueLength (4) + value
//
// Only Java clients started with -Drocketmq.serialize.type=ROCKETMQ (and the Go client with its codec
// switch) send it, but a server has to decode it and answer in kind. Every length is checked against the
// bytes that are really there; Java throws on the same inputs (BufferUnderflowException,
// NegativeArraySizeException), so rejecting them changes nothing for a real client. Bytes after the map are
// ignored, as Java ignores them.
#pragma once

#include <optional>
#include <string>

#include "broker/remoting/remoting_command.h"

namespace rmq::remoting {

// code(2) + language(1) + version(2) + opaque(4) + flag(4) + remarkLength(4) + extFieldsLength(4).
inline constexpr std::size_t kBinaryHeaderMinBytes = 21;

// Fills the header fields of `out` (not serialize_type or body). Returns nullopt on success, otherwise a
// one-line reason.
[[nodiscard]] std::optional<std::string> decode_binary_header(ByteSpan header, RemotingCommand& out);

// Appends the binary header of `command` to `out`. Throws std::length_error for a key longer than 32767
// bytes or a remark or map longer than a header can be (the 24-bit header length).
void encode_binary_header(const RemotingCommand& command, Bytes& out);

}  // namespace rmq::remoting
