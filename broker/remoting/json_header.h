// The JSON header (serialize type 0), the form every stock client sends (remoting.md 1.2, 1.6).
//
// Decoding is lenient where real clients differ and strict where the text cannot mean anything:
//  * extFields values may be strings, numbers or booleans (ali-ons builds them with JSON.stringify, the C++
//    client leaves some numbers unquoted); each becomes its text ("0", "-1", "false"). A null value counts
//    as absent. A nested object or array is an error: no header field is one.
//  * `language` may be any name (unknown names become OTHER) or an int.
//  * The int fields accept numbers in int32 range and numeric strings (fastjson does the same).
//  * Missing fields keep their Java defaults (code 0, JAVA, version 0, opaque 0, flag 0), unknown fields and
//    `serializeTypeCurrentRPC` are ignored.
//
// Decoding is a streaming (SAX) pass and encoding writes text directly; no DOM is built per frame
// (json_header.cc says why).
//
// Encoding follows what the Go client needs and what Java writes: compact (no whitespace: Go splits route
// text on ',' and ':'), keys in alphabetical order like fastjson, extFields always present and all of its
// values strings, remark only when there is one.
#pragma once

#include <optional>
#include <string>

#include "broker/remoting/remoting_command.h"

namespace rmq::remoting {

// Fills the header fields of `out` (not serialize_type or body) from JSON text. Returns nullopt on success,
// otherwise a one-line reason.
[[nodiscard]] std::optional<std::string> decode_json_header(ByteSpan header, RemotingCommand& out);

// The compact JSON text of the command's header fields.
std::string encode_json_header(const RemotingCommand& command);
// The same text appended to `out` (encode_frame writes it straight into the frame).
void append_json_header(const RemotingCommand& command, Bytes& out);

}  // namespace rmq::remoting
