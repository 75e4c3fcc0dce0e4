#include "broker/store/message_record.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <stdexcept>

#include "broker/common/crc32.h"
#include "broker/store/java_string.h"

namespace rmq::store {
namespace {

using common::load_i16_be;
using common::load_i32_be;
using common::load_i64_be;

// Field offsets of the part every record shares (storage.md 1.2); the rest moves with the host widths.
constexpr std::size_t kTotalSizeOffset = 0;
constexpr std::size_t kMagicOffset = 4;
constexpr std::size_t kBodyCrcOffset = 8;
constexpr std::size_t kQueueIdOffset = 12;
constexpr std::size_t kFlagOffset = 16;
constexpr std::size_t kQueueOffsetOffset = 20;
constexpr std::size_t kPhysicalOffsetOffset = 28;
constexpr std::size_t kSysFlagOffset = 36;
constexpr std::size_t kBornTimestampOffset = 40;
constexpr std::size_t kBornHostOffset = 48;

constexpr std::size_t kIpv4HostSize = 4 + 4;    // address + int32 port
constexpr std::size_t kIpv6HostSize = 16 + 4;
constexpr std::size_t kMaxTopicBytesV1 = 127;   // the length is a signed Java byte
constexpr std::size_t kMaxTopicBytesV2 = 32767; // a signed Java short
constexpr std::size_t kMaxPropertiesBytes = 32767;
constexpr std::int32_t kTopicLengthV2Threshold = 127;  // autoMessageVersionOnTopicLen: v2 above this

std::size_t born_host_size(std::int32_t sys_flag) {
  return (sys_flag & sysflag::kBornHostV6) != 0 ? kIpv6HostSize : kIpv4HostSize;
}
std::size_t store_host_size(std::int32_t sys_flag) {
  return (sys_flag & sysflag::kStoreHostV6) != 0 ? kIpv6HostSize : kIpv4HostSize;
}
std::size_t topic_length_field_size(std::int32_t magic) { return magic == kMessageMagicV2 ? 2 : 1; }

// Offset of BODYLENGTH: everything before it is fixed once the host widths are known.
std::size_t body_length_offset(std::int32_t sys_flag) {
  return kBornHostOffset + born_host_size(sys_flag) + 8 /*STORETIMESTAMP*/ + store_host_size(sys_flag) +
         4 /*RECONSUMETIMES*/ + 8 /*PREPAREDTRANSACTIONOFFSET*/;
}

DecodeResult fail(DecodeStatus status, std::string detail) {
  DecodeResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

HostAddress read_host(const std::uint8_t* p, std::size_t host_size) {
  HostAddress host;
  const std::size_t ip_size = host_size - 4;
  host.ip.assign(p, p + ip_size);
  host.port = load_i32_be(p + ip_size);
  return host;
}

void write_host(common::ByteWriter& w, const HostAddress& host) {
  w.bytes(ByteSpan(host.ip));
  w.i32(host.port);
}

void check_host(const HostAddress& host, bool v6_flag, const char* name) {
  const std::size_t want = v6_flag ? 16 : 4;
  if (host.ip.size() != want) {
    throw std::invalid_argument(fmt::format("{} has {} address bytes but SYSFLAG says {} (IPv{})", name,
                                            host.ip.size(), want, v6_flag ? 6 : 4));
  }
}

}  // namespace

std::string HostAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (ip.size() == 4 && inet_ntop(AF_INET, ip.data(), text, sizeof text) != nullptr) {
    return fmt::format("{}:{}", text, port);
  }
  if (ip.size() == 16 && inet_ntop(AF_INET6, ip.data(), text, sizeof text) != nullptr) {
    return fmt::format("[{}]:{}", text, port);
  }
  return fmt::format("<{}-byte address {}>:{}", ip.size(), common::to_hex_upper(ByteSpan(ip)), port);
}

std::size_t encoded_size(const MessageRecord& record) {
  return kMinRecordSize - 2 * kIpv4HostSize - 1 + born_host_size(record.sys_flag) +
         store_host_size(record.sys_flag) + topic_length_field_size(record.magic) + record.body.size() +
         record.topic.size() + record.properties.size();
}

void seal(MessageRecord& record) {
  record.magic = java_utf16_length(record.topic) > static_cast<std::size_t>(kTopicLengthV2Threshold)
                     ? kMessageMagicV2
                     : kMessageMagicV1;
  record.sys_flag &= ~(sysflag::kBornHostV6 | sysflag::kStoreHostV6);
  if (record.born_host.is_v6()) record.sys_flag |= sysflag::kBornHostV6;
  if (record.store_host.is_v6()) record.sys_flag |= sysflag::kStoreHostV6;
  record.body_crc = common::masked_crc32(ByteSpan(record.body));
}

void encode(const MessageRecord& record, Bytes& out) {
  if (record.magic != kMessageMagicV1 && record.magic != kMessageMagicV2) {
    throw std::invalid_argument(fmt::format("magic {:#010x} is not a message magic",
                                            static_cast<std::uint32_t>(record.magic)));
  }
  check_host(record.born_host, (record.sys_flag & sysflag::kBornHostV6) != 0, "born host");
  check_host(record.store_host, (record.sys_flag & sysflag::kStoreHostV6) != 0, "store host");
  const std::size_t max_topic = record.magic == kMessageMagicV2 ? kMaxTopicBytesV2 : kMaxTopicBytesV1;
  if (record.topic.size() > max_topic) {
    throw std::invalid_argument(fmt::format("topic of {} bytes does not fit the {} topic length (max {})",
                                            record.topic.size(),
                                            record.magic == kMessageMagicV2 ? "v2 int16" : "v1 int8", max_topic));
  }
  if (record.properties.size() > kMaxPropertiesBytes) {
    throw std::invalid_argument(fmt::format("properties of {} bytes exceed the int16 length (max {})",
                                            record.properties.size(), kMaxPropertiesBytes));
  }
  const std::size_t total = encoded_size(record);
  if (total > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument(fmt::format("record of {} bytes does not fit TOTALSIZE", total));
  }

  const std::size_t start = out.size();
  out.reserve(start + total);
  common::ByteWriter w(out);
  w.i32(static_cast<std::int32_t>(total));
  w.i32(record.magic);
  w.i32(record.body_crc);
  w.i32(record.queue_id);
  w.i32(record.flag);
  w.i64(record.queue_offset);
  w.i64(record.physical_offset);
  w.i32(record.sys_flag);
  w.i64(record.born_timestamp_ms);
  write_host(w, record.born_host);
  w.i64(record.store_timestamp_ms);
  write_host(w, record.store_host);
  w.i32(record.reconsume_times);
  w.i64(record.prepared_transaction_offset);
  w.i32(static_cast<std::int32_t>(record.body.size()));
  w.bytes(ByteSpan(record.body));
  if (record.magic == kMessageMagicV2) {
    w.i16(static_cast<std::int16_t>(record.topic.size()));
  } else {
    w.u8(static_cast<std::uint8_t>(record.topic.size()));
  }
  w.bytes(std::string_view(record.topic));
  w.i16(static_cast<std::int16_t>(record.properties.size()));
  w.bytes(std::string_view(record.properties));
  assert(out.size() - start == total);
}

void encode_blank(std::int32_t remaining_bytes, Bytes& out) {
  if (remaining_bytes < static_cast<std::int32_t>(kBlankRecordSize)) {
    throw std::invalid_argument(
        fmt::format("a blank record needs {} bytes, remaining length {} is too small", kBlankRecordSize,
                    remaining_bytes));
  }
  common::ByteWriter w(out);
  w.i32(remaining_bytes);
  w.i32(kBlankMagic);
}

const char* to_string(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kBlank: return "blank";
    case DecodeStatus::kEmpty: return "empty";
    case DecodeStatus::kTruncated: return "truncated";
    case DecodeStatus::kBadMagic: return "bad-magic";
    case DecodeStatus::kBadSize: return "bad-size";
    case DecodeStatus::kBadCrc: return "bad-crc";
  }
  return "unknown";
}

// The scan path (out == nullptr) reads a handful of big-endian fields and runs the CRC over the body in
// place; nothing allocates unless a problem needs a detail string.
DecodeResult decode_record(ByteSpan data, bool check_crc, MessageRecord* out) {
  const std::uint8_t* p = data.data();
  const std::size_t available = data.size();
  if (available < kBlankRecordSize) {
    if (std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; })) return {};
    return fail(DecodeStatus::kTruncated,
                fmt::format("only {} bytes left, a record header needs {}", available, kBlankRecordSize));
  }
  const std::int32_t total_size = load_i32_be(p + kTotalSizeOffset);
  const std::int32_t magic = load_i32_be(p + kMagicOffset);
  if (total_size == 0 && magic == 0) return {};
  if (magic == kBlankMagic) {
    if (total_size < 0) {
      return fail(DecodeStatus::kBadSize,
                  fmt::format("blank record declares a negative remaining length {}", total_size));
    }
    DecodeResult blank;
    blank.status = DecodeStatus::kBlank;
    blank.size = total_size;
    return blank;
  }
  if (magic != kMessageMagicV1 && magic != kMessageMagicV2) {
    return fail(DecodeStatus::kBadMagic,
                fmt::format("MAGICCODE {:#010x} is neither a message magic (v1 0xdaa320a7, v2 0xdaa320ab) nor "
                            "the blank magic 0xcbd43194 (TOTALSIZE {})",
                            static_cast<std::uint32_t>(magic), total_size));
  }
  if (total_size < static_cast<std::int32_t>(kMinRecordSize)) {
    return fail(DecodeStatus::kBadSize,
                fmt::format("TOTALSIZE {} is below the minimum record size {}", total_size, kMinRecordSize));
  }
  // TOTALSIZE has no upper bound (a broker with a raised maxMessageSize writes larger records), so it cannot
  // bound the reads: each field is read only once the span is known to hold it. A field that would end past
  // TOTALSIZE means the lengths disagree (kBadSize), whether or not the span holds it; one that ends inside
  // TOTALSIZE but past the span means the record is cut short (kTruncated). A garbage TOTALSIZE in the middle
  // of a file is thus told apart from a torn tail by the length fields that follow it.
  const std::size_t total = static_cast<std::size_t>(total_size);
  auto cut_short = [&](std::string_view field, std::size_t at) {
    return fail(DecodeStatus::kTruncated,
                fmt::format("TOTALSIZE {} but only {} bytes left, ending before {} at +{}", total_size, available,
                            field, at));
  };

  if (kSysFlagOffset + 4 > available) return cut_short("SYSFLAG", kSysFlagOffset);
  const std::int32_t sys_flag = load_i32_be(p + kSysFlagOffset);
  std::size_t pos = body_length_offset(sys_flag);
  if (pos + 4 > total) {
    return fail(DecodeStatus::kBadSize,
                fmt::format("TOTALSIZE {} is smaller than the {} fixed bytes SYSFLAG {:#x} implies", total_size,
                            pos + 4 + topic_length_field_size(magic) + 2, sys_flag));
  }
  if (pos + 4 > available) return cut_short("BODYLENGTH", pos);
  const std::int32_t body_length = load_i32_be(p + pos);
  pos += 4;
  if (body_length < 0) {
    return fail(DecodeStatus::kBadSize, fmt::format("BODYLENGTH {} is negative", body_length));
  }
  if (static_cast<std::size_t>(body_length) > total - pos) {
    return fail(DecodeStatus::kBadSize, fmt::format("BODYLENGTH {} at +{} runs past TOTALSIZE {}",
                                                    body_length, pos - 4, total_size));
  }
  const std::size_t body_offset = pos;
  pos += static_cast<std::size_t>(body_length);

  const std::size_t topic_field = topic_length_field_size(magic);
  if (pos + topic_field > total) {
    return fail(DecodeStatus::kBadSize,
                fmt::format("TOPICLENGTH at +{} runs past TOTALSIZE {}", pos, total_size));
  }
  if (pos + topic_field > available) return cut_short("TOPICLENGTH", pos);
  const std::int32_t topic_length =
      magic == kMessageMagicV2 ? load_i16_be(p + pos) : static_cast<std::int8_t>(p[pos]);
  pos += topic_field;
  if (topic_length < 0) {
    return fail(DecodeStatus::kBadSize,
                fmt::format("TOPICLENGTH {} at +{} is negative (a signed {})", topic_length, pos - topic_field,
                            magic == kMessageMagicV2 ? "int16" : "Java byte; v1 topics are at most 127 bytes"));
  }
  if (static_cast<std::size_t>(topic_length) > total - pos) {
    return fail(DecodeStatus::kBadSize, fmt::format("TOPICLENGTH {} at +{} runs past TOTALSIZE {}",
                                                    topic_length, pos - topic_field, total_size));
  }
  const std::size_t topic_offset = pos;
  pos += static_cast<std::size_t>(topic_length);

  if (pos + 2 > total) {
    return fail(DecodeStatus::kBadSize,
                fmt::format("PROPERTIESLENGTH at +{} runs past TOTALSIZE {}", pos, total_size));
  }
  if (pos + 2 > available) return cut_short("PROPERTIESLENGTH", pos);
  const std::int16_t properties_length = load_i16_be(p + pos);
  pos += 2;
  if (properties_length < 0) {
    return fail(DecodeStatus::kBadSize, fmt::format("PROPERTIESLENGTH {} at +{} is negative",
                                                    properties_length, pos - 2));
  }
  if (static_cast<std::size_t>(properties_length) > total - pos) {
    return fail(DecodeStatus::kBadSize, fmt::format("PROPERTIESLENGTH {} at +{} runs past TOTALSIZE {}",
                                                    properties_length, pos - 2, total_size));
  }
  const std::size_t properties_offset = pos;
  pos += static_cast<std::size_t>(properties_length);
  if (pos != total) {
    return fail(DecodeStatus::kBadSize,
                fmt::format("TOTALSIZE {} != {} computed from the fields (body {}, topic {}, properties {})",
                            total_size, pos, body_length, topic_length, properties_length));
  }
  if (total > available) {
    return fail(DecodeStatus::kTruncated,
                fmt::format("TOTALSIZE {} but only {} bytes left", total_size, available));
  }

  // From here on the whole record, [0, total), lies inside the span.
  const std::int32_t body_crc = load_i32_be(p + kBodyCrcOffset);
  if (check_crc && body_length > 0) {
    const std::int32_t computed = common::masked_crc32(data.subspan(body_offset, body_length));
    if (computed != body_crc) {
      return fail(DecodeStatus::kBadCrc,
                  fmt::format("BODYCRC {:#010x} != {:#010x} computed over the {}-byte body",
                              static_cast<std::uint32_t>(body_crc), static_cast<std::uint32_t>(computed),
                              body_length));
    }
  }

  if (out != nullptr) {
    const std::size_t born_size = born_host_size(sys_flag);
    const std::size_t store_ts_offset = kBornHostOffset + born_size;
    const std::size_t store_host_offset = store_ts_offset + 8;
    const std::size_t after_store_host = store_host_offset + store_host_size(sys_flag);
    out->magic = magic;
    out->body_crc = body_crc;
    out->queue_id = load_i32_be(p + kQueueIdOffset);
    out->flag = load_i32_be(p + kFlagOffset);
    out->queue_offset = load_i64_be(p + kQueueOffsetOffset);
    out->physical_offset = load_i64_be(p + kPhysicalOffsetOffset);
    out->sys_flag = sys_flag;
    out->born_timestamp_ms = load_i64_be(p + kBornTimestampOffset);
    out->born_host = read_host(p + kBornHostOffset, born_size);
    out->store_timestamp_ms = load_i64_be(p + store_ts_offset);
    out->store_host = read_host(p + store_host_offset, store_host_size(sys_flag));
    out->reconsume_times = load_i32_be(p + after_store_host);
    out->prepared_transaction_offset = load_i64_be(p + after_store_host + 4);
    out->body.assign(p + body_offset, p + body_offset + body_length);
    out->topic.assign(reinterpret_cast<const char*>(p + topic_offset), static_cast<std::size_t>(topic_length));
    out->properties.assign(reinterpret_cast<const char*>(p + properties_offset),
                           static_cast<std::size_t>(properties_length));
  }
  DecodeResult ok;
  ok.status = DecodeStatus::kOk;
  ok.size = total_size;
  return ok;
}

std::string message_id(const HostAddress& store_host, std::int64_t physical_offset) {
  if (store_host.ip.size() != 4 && store_host.ip.size() != 16) {
    throw std::invalid_argument(
        fmt::format("store host has {} address bytes, a message id needs 4 or 16", store_host.ip.size()));
  }
  Bytes id;
  id.reserve(store_host.ip.size() + 4 + 8);
  common::ByteWriter w(id);
  write_host(w, store_host);
  w.i64(physical_offset);
  return common::to_hex_upper(ByteSpan(id));
}

std::int64_t tags_hash_code(std::string_view tags_utf8) {
  return static_cast<std::int64_t>(java_string_hash(tags_utf8));  // sign-extended; "" hashes to 0
}

}  // namespace rmq::store
