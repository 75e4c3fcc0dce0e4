// Test helper: bytes written as hex in the test source, field by field from the spec tables, so that
// expected record layouts never come from the encoder under test.
#pragma once

#include <cctype>
#include <stdexcept>
#include <string_view>

#include "broker/common/bytes.h"

namespace rmq::store::testing {

// "DA A3 20 A7" or "daa320a7" -> bytes; whitespace is ignored.
inline common::Bytes hex_bytes(std::string_view hex) {
  common::Bytes out;
  int high = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) throw std::invalid_argument("not a hex digit");
    const int nibble = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | nibble));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline common::Bytes concat(std::initializer_list<common::Bytes> parts) {
  common::Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

inline common::Bytes text_bytes(std::string_view text) { return common::Bytes(text.begin(), text.end()); }

}  // namespace rmq::store::testing
