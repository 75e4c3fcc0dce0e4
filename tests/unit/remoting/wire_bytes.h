// Byte assembly for hand-written frames: tests spell frames out from the spec's tables instead of
// trusting our own encoder to produce the bytes they compare against.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "broker/common/bytes.h"

namespace rmq::remoting::testing {

using common::Bytes;

// Appends raw byte values and text pieces in order:
//   Wire().raw({0x00, 0x00, 0x00, 0x2A}).text(R"({"code":0})").bytes()
class Wire {
 public:
  Wire& raw(std::initializer_list<int> values) {
    for (int v : values) bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Wire& text(std::string_view text) {
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  Wire& append(const Bytes& more) {
    bytes_.insert(bytes_.end(), more.begin(), more.end());
    return *this;
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

inline Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace rmq::remoting::testing
