// See argument_check.h for why rmqctl refuses control characters in its arguments.
#include "tools/rmqctl/argument_check.h"

#include <cstdio>
#include <string_view>

namespace rmq::tools {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

// The argument as it can be printed on one line: control bytes as \xNN, at most 200 bytes of it.
std::string shown(std::string_view text) {
  constexpr std::size_t kMaxShownBytes = 200;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMaxShownBytes; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_control(c)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (text.size() > kMaxShownBytes) out += "...";
  return out;
}

}  // namespace

std::optional<std::string> find_control_character_argument(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    for (std::size_t pos = 0; pos < arg.size(); ++pos) {
      if (!is_control(static_cast<unsigned char>(arg[pos]))) continue;
      std::string message = "argument " + std::to_string(i);
      // Name the option it belongs to: "--opt=value", or the "--opt" just before a value.
      if (arg.starts_with("-")) {
        message += " (" + std::string(arg.substr(0, arg.find('='))) + ")";
      } else if (i > 1 && std::string_view(argv[i - 1]).starts_with("-")) {
        message += " (the value of " + std::string(argv[i - 1]) + ")";
      }
      message += " \"" + shown(arg) + "\" holds a control character at byte " + std::to_string(pos) +
                 ": retype it without line breaks, tabs or escape sequences";
      return message;
    }
  }
  return std::nullopt;
}

}  // namespace rmq::tools
