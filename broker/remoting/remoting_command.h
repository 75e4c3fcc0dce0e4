// One remoting command: a request or a response, as it travels in one frame (remoting.md 1.1, 1.2).
//
// Requests and responses share the layout; bit 0 of `flag` tells them apart and `opaque` pairs them up, so
// that many requests can be in flight on one connection and be answered in any order (a long-polling pull is
// answered 15 s later while sends on the same socket are answered at once). Bit 1 marks a one-way request,
// which must never be answered. The serialization type is part of the command because a response has to go
// out in the type its request came in (remoting.md 1.1: ali-ons and the C++ client can only read JSON, Java
// clients configured for ROCKETMQ send binary headers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/common/bytes.h"
#include "broker/remoting/ext_fields.h"
#include "broker/remoting/language_code.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::remoting {

using common::Bytes;
using common::ByteSpan;

// The high byte of the frame's second word.
enum class SerializeType : std::uint8_t {
  kJson = 0,
  kRocketMq = 1,
};

inline constexpr std::int32_t kFlagResponse = 1 << 0;  // RPC_TYPE: set on responses
inline constexpr std::int32_t kFlagOneway = 1 << 1;    // RPC_ONEWAY: the sender wants no reply

struct RemotingCommand {
  std::int32_t code = 0;
  LanguageCode language = LanguageCode::kJava;
  std::int32_t version = kCurrentVersion;
  std::int32_t opaque = 0;
  std::int32_t flag = 0;
  // Absent and empty differ in JSON: Java leaves an absent remark out. The binary header cannot tell them
  // apart (length 0 means null), so an empty remark decodes as absent there.
  std::optional<std::string> remark;
  ExtFields ext_fields;
  SerializeType serialize_type = SerializeType::kJson;
  Bytes body;

  bool is_response() const { return (flag & kFlagResponse) != 0; }
  bool is_oneway() const { return (flag & kFlagOneway) != 0; }
  void mark_response() { flag |= kFlagResponse; }
  void mark_oneway() { flag |= kFlagOneway; }

  bool operator==(const RemotingCommand&) const = default;
};

// A request with the given code; opaque is assigned when it is sent.
RemotingCommand make_request(std::int32_t code);
// A one-way request (flag bit 1), e.g. NOTIFY_CONSUMER_IDS_CHANGED.
RemotingCommand make_oneway_request(std::int32_t code);
// The response to `request`: same opaque, the response flag, and the request's serialization type.
RemotingCommand make_response(const RemotingCommand& request, std::int32_t code,
                              std::optional<std::string> remark = std::nullopt);

// "request code=10 opaque=7 flag=0" for log lines; never includes the body or header values.
std::string describe(const RemotingCommand& command);

}  // namespace rmq::remoting
