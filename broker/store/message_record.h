// The commitlog message record (storage.md section 1): the unit every RocketMQ store is made of.
//
// Layout (big-endian, storage.md 1.2): TOTALSIZE, MAGICCODE, BODYCRC, QUEUEID, FLAG, QUEUEOFFSET,
// PHYSICALOFFSET, SYSFLAG, BORNTIMESTAMP, BORNHOST (8 or 20), STORETIMESTAMP, STOREHOSTADDRESS (8 or 20),
// RECONSUMETIMES, PREPAREDTRANSACTIONOFFSET, BODYLENGTH+BODY, TOPICLENGTH (int8 v1 / int16 v2)+TOPIC,
// PROPERTIESLENGTH (int16)+PROPERTIES. With IPv4 hosts and v1 the size is 91 + body + topic + properties.
//
// A file ends with an 8-byte blank record (int32 remaining length, then the blank magic) when the next record
// does not fit with 8 bytes to spare; the rest of the file is not written.
//
// Decoding never trusts a length from disk: every length is checked against the span and against TOTALSIZE
// before it is used, and a record whose TOTALSIZE differs from the size its fields add up to is rejected.
// There is no upper bound on TOTALSIZE (Java recovery has none either): nothing past the span is ever read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/common/bytes.h"

namespace rmq::store {

using common::Bytes;
using common::ByteSpan;

inline constexpr std::int32_t kMessageMagicV1 = -626843481;   // DA A3 20 A7
inline constexpr std::int32_t kMessageMagicV2 = -626843477;   // DA A3 20 AB (5.x, topic length int16)
inline constexpr std::int32_t kBlankMagic = -875286124;       // CB D4 31 94, commitlog end-of-file
inline constexpr std::size_t kBlankRecordSize = 8;            // END_FILE_MIN_BLANK_LENGTH
inline constexpr std::size_t kMinRecordSize = 91;             // v1, IPv4 hosts, empty body/topic/properties
// maxMessageSize's default; it applies to the body. The writer's limit only: a broker configured with a larger
// maxMessageSize writes larger records, and Java recovery reads them, so the decoder has no size cap (a
// record is bounded by the span it is read from and by the lengths of its own fields).
inline constexpr std::int32_t kDefaultMaxBodySize = 4 * 1024 * 1024;

// SYSFLAG bits (MessageSysFlag, storage.md 1.3).
namespace sysflag {
inline constexpr std::int32_t kCompressed = 0x1;
inline constexpr std::int32_t kMultiTags = 0x2;
inline constexpr std::int32_t kTransactionMask = 0xC;
inline constexpr std::int32_t kTransactionPrepared = 0x4;
inline constexpr std::int32_t kTransactionCommit = 0x8;
inline constexpr std::int32_t kTransactionRollback = 0xC;
inline constexpr std::int32_t kBornHostV6 = 0x10;
inline constexpr std::int32_t kStoreHostV6 = 0x20;
}  // namespace sysflag

// An address as RocketMQ stores it: 4 or 16 address bytes in network order, then the port as int32.
struct HostAddress {
  Bytes ip;              // 4 bytes (IPv4) or 16 bytes (IPv6)
  std::int32_t port = 0;
  bool is_v6() const { return ip.size() == 16; }
  std::string to_string() const;  // "1.2.3.4:10911" or "[::1]:10911"
  bool operator==(const HostAddress&) const = default;
};

struct MessageRecord {
  std::int32_t magic = kMessageMagicV1;
  std::int32_t body_crc = 0;
  std::int32_t queue_id = 0;
  std::int32_t flag = 0;
  std::int64_t queue_offset = 0;
  std::int64_t physical_offset = 0;
  std::int32_t sys_flag = 0;
  std::int64_t born_timestamp_ms = 0;
  HostAddress born_host;
  std::int64_t store_timestamp_ms = 0;
  HostAddress store_host;
  std::int32_t reconsume_times = 0;
  std::int64_t prepared_transaction_offset = 0;
  Bytes body;
  std::string topic;
  std::string properties;  // the raw properties string (storage.md 1.5)
  bool operator==(const MessageRecord&) const = default;
};

// calMsgLength: the TOTALSIZE the record's fields add up to, with the host and magic widths it declares.
std::size_t encoded_size(const MessageRecord& record);

// Makes a record self-consistent the way the store does before writing it: v2 magic only when the topic is
// longer than 127 UTF-16 chars (autoMessageVersionOnTopicLen), host v6 bits from the address sizes, and
// BODYCRC = masked CRC32 of the body.
void seal(MessageRecord& record);

// Appends the record's bytes exactly as its fields say (BODYCRC, magic and sysflag are written as given;
// call seal() first for a store-valid record). Throws std::invalid_argument when a field cannot be
// represented (topic or properties too long for their length field, host of wrong size).
void encode(const MessageRecord& record, Bytes& out);

// Appends the 8-byte blank record that ends a file: remaining length, then the blank magic.
void encode_blank(std::int32_t remaining_bytes, Bytes& out);

enum class DecodeStatus {
  kOk,          // a message record; size is its TOTALSIZE
  kBlank,       // the end-of-file blank record; size is the remaining length it declares
  kEmpty,       // TOTALSIZE and magic are zero: unwritten space, the normal end of data in the active file
  kTruncated,   // the span ends before the record it starts (torn tail): the length fields the span holds
                // are consistent with TOTALSIZE, and the span ends before TOTALSIZE or before the next field
  kBadMagic,    // not a message or blank magic
  kBadSize,     // TOTALSIZE below the minimum, a negative length, or the lengths the span holds add up to
                // something other than TOTALSIZE (even when TOTALSIZE runs past the span: a garbage length
                // in the middle of a file is not a torn tail)
  kBadCrc,      // BODYCRC does not match the body
};
const char* to_string(DecodeStatus status);

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kEmpty;
  std::int32_t size = 0;     // TOTALSIZE for kOk, the declared remaining length for kBlank
  std::string detail;        // what was wrong, for problem reports ("BODYCRC 0x1 != computed 0x2")
};

// Decodes the record that starts at data[0]. `data` runs to the end of the file (or of the written area);
// nothing past it is read. With check_crc the body CRC is verified (checkCRCOnRecover). `out` may be null
// when only validity and size are wanted (the fast path of a scan).
DecodeResult decode_record(ByteSpan data, bool check_crc, MessageRecord* out);

// The message id (offsetMsgId, storage.md 1.10): store host address + port + PHYSICALOFFSET in upper-case hex.
std::string message_id(const HostAddress& store_host, std::int64_t physical_offset);

// Java String.hashCode of the TAGS value over UTF-16 code units, sign-extended (storage.md 1.11).
std::int64_t tags_hash_code(std::string_view tags_utf8);

}  // namespace rmq::store
