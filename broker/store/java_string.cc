#include "broker/store/java_string.h"

namespace rmq::store {
namespace {

constexpr std::uint32_t kReplacementChar = 0xFFFD;

// Decodes one code point starting at s[i] and advances i past it. Malformed input yields U+FFFD and
// advances past the maximal subpart that could still have started a valid sequence (at least one byte).
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto byte_at = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t lead = byte_at(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t continuation_count = 0;
  std::uint32_t code_point = 0;
  std::uint8_t second_min = 0x80;
  std::uint8_t second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_count = 1;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_count = 2;
    code_point = lead & 0x0F;
    if (lead == 0xE0) second_min = 0xA0;  // no overlong forms
    if (lead == 0xED) second_max = 0x9F;  // no UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_count = 3;
    code_point = lead & 0x07;
    if (lead == 0xF0) second_min = 0x90;  // no overlong forms
    if (lead == 0xF4) second_max = 0x8F;  // nothing above U+10FFFF
  } else {
    ++i;  // a stray continuation byte or a lead byte that never starts a valid sequence
    return kReplacementChar;
  }
  std::size_t k = i + 1;
  for (std::size_t n = 0; n < continuation_count; ++n, ++k) {
    const std::uint8_t min = n == 0 ? second_min : std::uint8_t{0x80};
    const std::uint8_t max = n == 0 ? second_max : std::uint8_t{0xBF};
    if (k >= s.size() || byte_at(k) < min || byte_at(k) > max) {
      i = k;  // the lead and the valid continuations so far form one malformed subpart
      return kReplacementChar;
    }
    code_point = (code_point << 6) | (byte_at(k) & 0x3F);
  }
  i = k;
  return code_point;
}

// Calls fn(code_unit) for every UTF-16 code unit of the decoded string.
template <typename Fn>
void for_each_utf16_unit(std::string_view utf8, Fn&& fn) {
  std::size_t i = 0;
  while (i < utf8.size()) {
    const std::uint32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      fn(static_cast<std::uint16_t>(0xD800 + (v >> 10)));
      fn(static_cast<std::uint16_t>(0xDC00 + (v & 0x3FF)));
    } else {
      fn(static_cast<std::uint16_t>(cp));
    }
  }
}

}  // namespace

std::size_t java_utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  for_each_utf16_unit(utf8, [&](std::uint16_t) { ++units; });
  return units;
}

std::int32_t java_string_hash(std::string_view utf8) {
  std::uint32_t h = 0;  // unsigned arithmetic wraps exactly like Java's int
  for_each_utf16_unit(utf8, [&](std::uint16_t unit) { h = 31 * h + unit; });
  return static_cast<std::int32_t>(h);
}

}  // namespace rmq::store
