// The `language` header field: which client library sent a command (remoting.md 1.2, 1.4).
//
// JSON headers carry the enum *name* ("JAVA", "NODE_JS"), the ROCKETMQ binary header carries one byte, the
// enum's ordinal. Peers are free to send names we have never heard of (or an int in JSON), and the field
// changes nothing about how a request is served, so anything unknown decodes to kOther instead of failing
// the frame.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rmq::remoting {

enum class LanguageCode : std::uint8_t {
  kJava = 0,
  kCpp = 1,
  kDotnet = 2,
  kPython = 3,
  kDelphi = 4,
  kErlang = 5,
  kRuby = 6,
  kOther = 7,
  kHttp = 8,
  kGo = 9,
  kPhp = 10,
  kOms = 11,
  kRust = 12,
  kNodeJs = 13,
};

// The Java enum name: "JAVA", "CPP", ..., "NODE_JS".
std::string_view language_name(LanguageCode language);
// The code for a Java enum name (exact, upper case); nullopt for a name 4.9.x does not define.
std::optional<LanguageCode> language_from_name(std::string_view name);
// The code for a wire byte or JSON int; nullopt outside 0..13.
std::optional<LanguageCode> language_from_code(std::int64_t code);

}  // namespace rmq::remoting
