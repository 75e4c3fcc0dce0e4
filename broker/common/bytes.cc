#include "broker/common/bytes.h"

namespace rmq::common {
namespace {
std::string to_hex(ByteSpan bytes, const char* digits) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}
}  // namespace

std::string to_hex_upper(ByteSpan bytes) { return to_hex(bytes, "0123456789ABCDEF"); }
std::string to_hex_lower(ByteSpan bytes) { return to_hex(bytes, "0123456789abcdef"); }

}  // namespace rmq::common
