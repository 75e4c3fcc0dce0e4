// Big-endian integer access over byte spans.
//
// Every RocketMQ and DLedger on-disk and on-wire integer is big-endian (Java ByteBuffer's default), so all
// codecs go through these helpers instead of memcpy + byte swaps scattered across the tree. Readers take a
// span and an offset and never read past the span: callers bounds-check lengths that come from disk or the
// network first, and ByteReader does it for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::common {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

inline std::uint16_t load_u16_be(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}
inline std::uint32_t load_u32_be(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline std::uint64_t load_u64_be(const std::uint8_t* p) {
  return (std::uint64_t{load_u32_be(p)} << 32) | load_u32_be(p + 4);
}
inline std::int16_t load_i16_be(const std::uint8_t* p) { return static_cast<std::int16_t>(load_u16_be(p)); }
inline std::int32_t load_i32_be(const std::uint8_t* p) { return static_cast<std::int32_t>(load_u32_be(p)); }
inline std::int64_t load_i64_be(const std::uint8_t* p) { return static_cast<std::int64_t>(load_u64_be(p)); }

inline void store_u16_be(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_u32_be(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void store_u64_be(std::uint8_t* p, std::uint64_t v) {
  store_u32_be(p, static_cast<std::uint32_t>(v >> 32));
  store_u32_be(p + 4, static_cast<std::uint32_t>(v));
}

// Appends big-endian values to a growing buffer.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void i16(std::int16_t v) { put(static_cast<std::uint16_t>(v)); }
  void i32(std::int32_t v) { put(static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v)); }
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  std::size_t size() const { return out_.size(); }

 private:
  void put(std::uint16_t v) { std::uint8_t b[2]; store_u16_be(b, v); out_.insert(out_.end(), b, b + 2); }
  void put(std::uint32_t v) { std::uint8_t b[4]; store_u32_be(b, v); out_.insert(out_.end(), b, b + 4); }
  void put(std::uint64_t v) { std::uint8_t b[8]; store_u64_be(b, v); out_.insert(out_.end(), b, b + 8); }
  Bytes& out_;
};

// Reads big-endian values from a span; every read is bounds-checked and a short read leaves ok() false
// instead of touching memory outside the span.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}
  bool ok() const { return ok_; }
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  std::uint8_t u8() { return need(1) ? data_[pos_++] : 0; }
  std::int8_t i8() { return static_cast<std::int8_t>(u8()); }
  std::int16_t i16() { return need(2) ? advance(load_i16_be(data_.data() + pos_), 2) : std::int16_t{0}; }
  std::int32_t i32() { return need(4) ? advance(load_i32_be(data_.data() + pos_), 4) : 0; }
  std::int64_t i64() { return need(8) ? advance(load_i64_be(data_.data() + pos_), 8) : 0; }
  ByteSpan bytes(std::size_t n) {
    if (!need(n)) return {};
    ByteSpan s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(std::size_t n) { if (need(n)) pos_ += n; }

 private:
  bool need(std::size_t n) {
    if (!ok_ || data_.size() - pos_ < n) { ok_ = false; return false; }
    return true;
  }
  template <typename T>
  T advance(T v, std::size_t n) { pos_ += n; return v; }
  ByteSpan data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Upper-case hex, as RocketMQ's UtilAll.bytes2string prints message ids.
std::string to_hex_upper(ByteSpan bytes);
// Lower-case hex, as md5sum prints digests.
std::string to_hex_lower(ByteSpan bytes);

}  // namespace rmq::common
