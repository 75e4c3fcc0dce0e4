// Record layouts assembled by hand from storage.md 1.2 (one hex group per field), checked against both the
// encoder (byte for byte) and the decoder (field by field).
#include <gtest/gtest.h>

#include <string>

#include "broker/store/message_record.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using testing::concat;
using testing::hex_bytes;
using testing::text_bytes;

// Body "Hello", topic "TopicTest", properties TAGS=TagA; IPv4 hosts, v1 magic.
// 91 + 5 + 9 + 10 = 115 bytes.
const Bytes kV1Ipv4Record = hex_bytes(
    "00000073"            // TOTALSIZE 115
    "DAA320A7"            // MAGICCODE v1
    "77D18982"            // BODYCRC: CRC32("Hello") 0xF7D18982 & 0x7FFFFFFF
    "00000003"            // QUEUEID 3
    "00000000"            // FLAG 0
    "000000000000002A"    // QUEUEOFFSET 42
    "0000000000001000"    // PHYSICALOFFSET 4096
    "00000000"            // SYSFLAG 0
    "0000018BCFE56800"    // BORNTIMESTAMP 1700000000000
    "0A000007 0000D431"   // BORNHOST 10.0.0.7:54321
    "0000018BCFE56805"    // STORETIMESTAMP 1700000000005
    "C0A8010A 00002A9F"   // STOREHOSTADDRESS 192.168.1.10:10911
    "00000000"            // RECONSUMETIMES 0
    "0000000000000000"    // PREPAREDTRANSACTIONOFFSET 0
    "00000005 48656C6C6F" // BODYLENGTH 5, "Hello"
    "09 546F70696354657374"                // TOPICLENGTH 9 (int8), "TopicTest"
    "000A 54414753 01 54616741 02");       // PROPERTIESLENGTH 10, "TAGS" 0x01 "TagA" 0x02

MessageRecord v1_ipv4_fields() {
  MessageRecord r;
  r.magic = kMessageMagicV1;
  r.body_crc = 0x77D18982;
  r.queue_id = 3;
  r.queue_offset = 42;
  r.physical_offset = 4096;
  r.born_timestamp_ms = 1700000000000;
  r.born_host = HostAddress{{10, 0, 0, 7}, 54321};
  r.store_timestamp_ms = 1700000000005;
  r.store_host = HostAddress{{192, 168, 1, 10}, 10911};
  r.body = text_bytes("Hello");
  r.topic = "TopicTest";
  r.properties = std::string("TAGS\x01TagA\x02");
  return r;
}

const Bytes kFd00_7 = hex_bytes("FD000000000000000000000000000007");
const Bytes kFd00_10 = hex_bytes("FD000000000000000000000000000010");

// The same message with IPv6 born and store hosts: SYSFLAG 0x30, each host 16+4 bytes, 115 + 24 = 139.
const Bytes kV1Ipv6Record = hex_bytes(
    "0000008B"            // TOTALSIZE 139
    "DAA320A7"            // MAGICCODE v1
    "77D18982"            // BODYCRC
    "00000003"            // QUEUEID 3
    "00000000"            // FLAG 0
    "000000000000002A"    // QUEUEOFFSET 42
    "0000000000001000"    // PHYSICALOFFSET 4096
    "00000030"            // SYSFLAG BORNHOST_V6 | STOREHOSTADDRESS_V6
    "0000018BCFE56800"    // BORNTIMESTAMP
    "FD000000000000000000000000000007 0000D431"   // BORNHOST [fd00::7]:54321
    "0000018BCFE56805"    // STORETIMESTAMP, at 68 because the born host is v6
    "FD000000000000000000000000000010 00002A9F"   // STOREHOSTADDRESS [fd00::10]:10911
    "00000000"            // RECONSUMETIMES
    "0000000000000000"    // PREPAREDTRANSACTIONOFFSET
    "00000005 48656C6C6F" // BODY
    "09 546F70696354657374"                // TOPIC
    "000A 54414753 01 54616741 02");       // PROPERTIES

MessageRecord v1_ipv6_fields() {
  MessageRecord r = v1_ipv4_fields();
  r.sys_flag = sysflag::kBornHostV6 | sysflag::kStoreHostV6;
  r.born_host = HostAddress{kFd00_7, 54321};
  r.store_host = HostAddress{kFd00_10, 10911};
  return r;
}

// Only the born host is IPv6 (SYSFLAG 0x10): born host 20 bytes at 48, STORETIMESTAMP at 68, IPv4 store host
// at 76. 115 + 12 = 127 bytes.
const Bytes kBornV6Record = hex_bytes(
    "0000007F"            // TOTALSIZE 127
    "DAA320A7"            // MAGICCODE v1
    "77D18982"            // BODYCRC
    "00000003"            // QUEUEID 3
    "00000000"            // FLAG 0
    "000000000000002A"    // QUEUEOFFSET 42
    "0000000000001000"    // PHYSICALOFFSET 4096
    "00000010"            // SYSFLAG BORNHOST_V6
    "0000018BCFE56800"    // BORNTIMESTAMP
    "FD000000000000000000000000000007 0000D431"   // BORNHOST [fd00::7]:54321, 48..68
    "0000018BCFE56805"    // STORETIMESTAMP at 68
    "C0A8010A 00002A9F"   // STOREHOSTADDRESS 192.168.1.10:10911 at 76
    "00000000"            // RECONSUMETIMES at 84
    "0000000000000000"    // PREPAREDTRANSACTIONOFFSET at 88
    "00000005 48656C6C6F" // BODY, BODYLENGTH at 96
    "09 546F70696354657374"                // TOPIC
    "000A 54414753 01 54616741 02");       // PROPERTIES

MessageRecord born_v6_fields() {
  MessageRecord r = v1_ipv4_fields();
  r.sys_flag = sysflag::kBornHostV6;
  r.born_host = HostAddress{kFd00_7, 54321};
  return r;
}

// Only the store host is IPv6 (SYSFLAG 0x20): IPv4 born host at 48, STORETIMESTAMP at 56, store host 20 bytes
// at 64. 115 + 12 = 127 bytes.
const Bytes kStoreV6Record = hex_bytes(
    "0000007F"            // TOTALSIZE 127
    "DAA320A7"            // MAGICCODE v1
    "77D18982"            // BODYCRC
    "00000003"            // QUEUEID 3
    "00000000"            // FLAG 0
    "000000000000002A"    // QUEUEOFFSET 42
    "0000000000001000"    // PHYSICALOFFSET 4096
    "00000020"            // SYSFLAG STOREHOSTADDRESS_V6
    "0000018BCFE56800"    // BORNTIMESTAMP
    "0A000007 0000D431"   // BORNHOST 10.0.0.7:54321, 48..56
    "0000018BCFE56805"    // STORETIMESTAMP at 56
    "FD000000000000000000000000000010 00002A9F"   // STOREHOSTADDRESS [fd00::10]:10911, 64..84
    "00000000"            // RECONSUMETIMES at 84
    "0000000000000000"    // PREPAREDTRANSACTIONOFFSET at 88
    "00000005 48656C6C6F" // BODY, BODYLENGTH at 96
    "09 546F70696354657374"                // TOPIC
    "000A 54414753 01 54616741 02");       // PROPERTIES

MessageRecord store_v6_fields() {
  MessageRecord r = v1_ipv4_fields();
  r.sys_flag = sysflag::kStoreHostV6;
  r.store_host = HostAddress{kFd00_10, 10911};
  return r;
}

const std::string kLongTopic(200, 'L');  // over 127 chars: v2 magic, int16 topic length

// v2 with a 200-byte topic: 91 + 1 + 5 + 200 + 10 = 307 bytes.
const Bytes kV2Record = concat({hex_bytes("00000133"   // TOTALSIZE 307
                                          "DAA320AB"   // MAGICCODE v2
                                          "77D18982"   // BODYCRC
                                          "00000000"   // QUEUEID 0
                                          "00000000"   // FLAG
                                          "0000000000000000"    // QUEUEOFFSET
                                          "0000000000000000"    // PHYSICALOFFSET
                                          "00000000"            // SYSFLAG
                                          "0000018BCFE56800"    // BORNTIMESTAMP
                                          "0A000007 0000D431"   // BORNHOST
                                          "0000018BCFE56805"    // STORETIMESTAMP
                                          "C0A8010A 00002A9F"   // STOREHOSTADDRESS
                                          "00000000"            // RECONSUMETIMES
                                          "0000000000000000"    // PREPAREDTRANSACTIONOFFSET
                                          "00000005 48656C6C6F" // BODY
                                          "00C8"),              // TOPICLENGTH 200 as int16
                                text_bytes(kLongTopic),
                                hex_bytes("000A 54414753 01 54616741 02")});

MessageRecord v2_fields() {
  MessageRecord r = v1_ipv4_fields();
  r.magic = kMessageMagicV2;
  r.queue_id = 0;
  r.queue_offset = 0;
  r.physical_offset = 0;
  r.topic = kLongTopic;
  return r;
}

Bytes encoded(const MessageRecord& r) {
  Bytes out;
  encode(r, out);
  return out;
}

MessageRecord decoded(const Bytes& bytes) {
  MessageRecord r;
  const DecodeResult result = decode_record(ByteSpan(bytes), /*check_crc=*/true, &r);
  EXPECT_EQ(result.status, DecodeStatus::kOk) << result.detail;
  EXPECT_EQ(result.size, static_cast<std::int32_t>(bytes.size()));
  return r;
}

TEST(MessageRecordLayoutTest, V1Ipv4EncodesToTheSpecBytes) { EXPECT_EQ(encoded(v1_ipv4_fields()), kV1Ipv4Record); }

TEST(MessageRecordLayoutTest, V1Ipv4DecodesToTheFields) { EXPECT_EQ(decoded(kV1Ipv4Record), v1_ipv4_fields()); }

TEST(MessageRecordLayoutTest, V1Ipv4SizeIs91PlusVariableParts) {
  EXPECT_EQ(encoded_size(v1_ipv4_fields()), 115u);
}

TEST(MessageRecordLayoutTest, Ipv6HostsEncodeToTheSpecBytes) { EXPECT_EQ(encoded(v1_ipv6_fields()), kV1Ipv6Record); }

TEST(MessageRecordLayoutTest, Ipv6HostsDecodeToTheFields) { EXPECT_EQ(decoded(kV1Ipv6Record), v1_ipv6_fields()); }

TEST(MessageRecordLayoutTest, Ipv6HostsAdd24Bytes) {
  EXPECT_EQ(kV1Ipv6Record.size(), kV1Ipv4Record.size() + 24);
  EXPECT_EQ(encoded_size(v1_ipv6_fields()), 139u);
}

// The mixed layouts: a born/store mix-up in the host widths moves STORETIMESTAMP and the store host, which
// the all-v4 and all-v6 layouts cannot show.
TEST(MessageRecordLayoutTest, BornHostV6OnlyEncodesToTheSpecBytes) {
  EXPECT_EQ(encoded(born_v6_fields()), kBornV6Record);
}

TEST(MessageRecordLayoutTest, BornHostV6OnlyDecodesToTheFields) {
  const MessageRecord r = decoded(kBornV6Record);
  EXPECT_EQ(r, born_v6_fields());
  EXPECT_EQ(r.born_host.ip, kFd00_7);
  EXPECT_EQ(r.store_timestamp_ms, 1700000000005);
  EXPECT_EQ(r.store_host, (HostAddress{{192, 168, 1, 10}, 10911}));
  EXPECT_EQ(r.reconsume_times, 0);
  EXPECT_EQ(r.body, text_bytes("Hello"));
}

TEST(MessageRecordLayoutTest, BornHostV6OnlyFieldOffsets) {
  ASSERT_EQ(kBornV6Record.size(), 127u);
  EXPECT_EQ(Bytes(kBornV6Record.begin() + 48, kBornV6Record.begin() + 64), kFd00_7);
  EXPECT_EQ(Bytes(kBornV6Record.begin() + 68, kBornV6Record.begin() + 76), hex_bytes("0000018BCFE56805"));
  EXPECT_EQ(Bytes(kBornV6Record.begin() + 76, kBornV6Record.begin() + 84), hex_bytes("C0A8010A 00002A9F"));
  EXPECT_EQ(encoded_size(born_v6_fields()), 127u);
}

TEST(MessageRecordLayoutTest, StoreHostV6OnlyEncodesToTheSpecBytes) {
  EXPECT_EQ(encoded(store_v6_fields()), kStoreV6Record);
}

TEST(MessageRecordLayoutTest, StoreHostV6OnlyDecodesToTheFields) {
  const MessageRecord r = decoded(kStoreV6Record);
  EXPECT_EQ(r, store_v6_fields());
  EXPECT_EQ(r.born_host, (HostAddress{{10, 0, 0, 7}, 54321}));
  EXPECT_EQ(r.store_timestamp_ms, 1700000000005);
  EXPECT_EQ(r.store_host.ip, kFd00_10);
  EXPECT_EQ(r.store_host.port, 10911);
  EXPECT_EQ(r.body, text_bytes("Hello"));
}

TEST(MessageRecordLayoutTest, StoreHostV6OnlyFieldOffsets) {
  ASSERT_EQ(kStoreV6Record.size(), 127u);
  EXPECT_EQ(Bytes(kStoreV6Record.begin() + 48, kStoreV6Record.begin() + 56), hex_bytes("0A000007 0000D431"));
  EXPECT_EQ(Bytes(kStoreV6Record.begin() + 56, kStoreV6Record.begin() + 64), hex_bytes("0000018BCFE56805"));
  EXPECT_EQ(Bytes(kStoreV6Record.begin() + 64, kStoreV6Record.begin() + 80), kFd00_10);
  EXPECT_EQ(encoded_size(store_v6_fields()), 127u);
}

TEST(MessageRecordLayoutTest, V2LongTopicEncodesToTheSpecBytes) { EXPECT_EQ(encoded(v2_fields()), kV2Record); }

TEST(MessageRecordLayoutTest, V2LongTopicDecodesToTheFields) { EXPECT_EQ(decoded(kV2Record), v2_fields()); }

TEST(MessageRecordLayoutTest, SealChoosesV2OnlyAbove127Chars) {
  MessageRecord r = v1_ipv4_fields();
  r.topic = std::string(127, 'x');
  seal(r);
  EXPECT_EQ(r.magic, kMessageMagicV1);
  r.topic = std::string(128, 'x');
  seal(r);
  EXPECT_EQ(r.magic, kMessageMagicV2);
}

TEST(MessageRecordLayoutTest, SealCountsUtf16CharsNotBytes) {
  MessageRecord r = v1_ipv4_fields();
  // 100 x U+00E9 is 200 UTF-8 bytes but only 100 Java chars: Java keeps v1 (and could not encode it).
  r.topic.clear();
  for (int i = 0; i < 100; ++i) r.topic += "\xC3\xA9";
  seal(r);
  EXPECT_EQ(r.magic, kMessageMagicV1);
}

TEST(MessageRecordLayoutTest, SealSetsHostFlagsAndBodyCrc) {
  MessageRecord r = v1_ipv6_fields();
  r.sys_flag = sysflag::kMultiTags;
  r.body_crc = 0;
  seal(r);
  EXPECT_EQ(r.sys_flag, sysflag::kMultiTags | sysflag::kBornHostV6 | sysflag::kStoreHostV6);
  EXPECT_EQ(r.body_crc, 0x77D18982);
}

TEST(MessageRecordLayoutTest, EncodeRejectsTopicTooLongForV1) {
  MessageRecord r = v1_ipv4_fields();
  r.topic = std::string(128, 'x');
  Bytes out;
  EXPECT_THROW(encode(r, out), std::invalid_argument);
}

TEST(MessageRecordLayoutTest, EncodeRejectsHostThatDisagreesWithSysflag) {
  MessageRecord r = v1_ipv4_fields();
  r.sys_flag = sysflag::kBornHostV6;  // but the born host has 4 address bytes
  Bytes out;
  EXPECT_THROW(encode(r, out), std::invalid_argument);
}

TEST(MessageRecordLayoutTest, BlankRecordIsSizeThenMagic) {
  Bytes out;
  encode_blank(1000, out);
  EXPECT_EQ(out, hex_bytes("000003E8 CBD43194"));  // remaining length 1000, then the blank magic
}

TEST(MessageRecordLayoutTest, BlankRecordDecodesToItsRemainingLength) {
  const Bytes blank = hex_bytes("000003E8 CBD43194");
  const DecodeResult result = decode_record(ByteSpan(blank), true, nullptr);
  EXPECT_EQ(result.status, DecodeStatus::kBlank);
  EXPECT_EQ(result.size, 1000);
}

TEST(MessageRecordLayoutTest, HostAddressPrintsAddressAndPort) {
  EXPECT_EQ((HostAddress{{192, 168, 1, 10}, 10911}).to_string(), "192.168.1.10:10911");
  EXPECT_EQ((HostAddress{kFd00_10, 10911}).to_string(), "[fd00::10]:10911");
}

}  // namespace
}  // namespace rmq::store
