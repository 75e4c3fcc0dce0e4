// Every way decode_record refuses a record, on hand-assembled bytes (storage.md 1.2, 1.6, 1.8), plus the
// empty-space cases that end the data in an active file.
#include <gtest/gtest.h>

#include <string>

#include "broker/store/message_record.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using testing::concat;
using testing::hex_bytes;
using testing::text_bytes;

// Body "Hello", topic "TopicTest", properties TAGS=TagA, IPv4 hosts, v1: 115 bytes. The offsets of the
// variable fields: BODYLENGTH at 84, body at 88, TOPICLENGTH at 93, topic at 94, PROPERTIESLENGTH at 103.
Bytes valid_record() {
  return hex_bytes(
      "00000073 DAA320A7 77D18982 00000003 00000000"   // TOTALSIZE, MAGICCODE, BODYCRC, QUEUEID, FLAG
      "000000000000002A 0000000000001000 00000000"     // QUEUEOFFSET, PHYSICALOFFSET, SYSFLAG
      "0000018BCFE56800 0A000007 0000D431"             // BORNTIMESTAMP, BORNHOST
      "0000018BCFE56805 C0A8010A 00002A9F"             // STORETIMESTAMP, STOREHOSTADDRESS
      "00000000 0000000000000000"                      // RECONSUMETIMES, PREPAREDTRANSACTIONOFFSET
      "00000005 48656C6C6F"                            // BODY "Hello"
      "09 546F70696354657374"                          // TOPIC "TopicTest"
      "000A 54414753 01 54616741 02");                 // PROPERTIES
}
constexpr std::size_t kBodyLengthAt = 84;
constexpr std::size_t kBodyAt = 88;
constexpr std::size_t kTopicLengthAt = 93;
constexpr std::size_t kPropertiesLengthAt = 103;

DecodeResult decode(const Bytes& bytes, bool check_crc = true) {
  return decode_record(ByteSpan(bytes), check_crc, nullptr);
}

void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

TEST(MessageRecordDecodeTest, ValidRecordIsOkWithItsSize) {
  const DecodeResult result = decode(valid_record());
  EXPECT_EQ(result.status, DecodeStatus::kOk) << result.detail;
  EXPECT_EQ(result.size, 115);
}

TEST(MessageRecordDecodeTest, RecordFollowedByMoreDataIsOk) {
  Bytes bytes = concat({valid_record(), hex_bytes("00000073 DAA320A7")});
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kOk);
}

TEST(MessageRecordDecodeTest, ZeroSizeAndMagicIsEmpty) {
  EXPECT_EQ(decode(Bytes(64, 0)).status, DecodeStatus::kEmpty);
}

TEST(MessageRecordDecodeTest, ShortAllZeroSpanIsEmpty) {
  EXPECT_EQ(decode(Bytes(5, 0)).status, DecodeStatus::kEmpty);
  EXPECT_EQ(decode(Bytes()).status, DecodeStatus::kEmpty);
}

TEST(MessageRecordDecodeTest, ShortNonZeroSpanIsTruncated) {
  EXPECT_EQ(decode(hex_bytes("00000073 DAA3")).status, DecodeStatus::kTruncated);
}

TEST(MessageRecordDecodeTest, SpanEndingInsideTheRecordIsTruncated) {
  Bytes bytes = valid_record();
  bytes.resize(100);
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kTruncated);
  EXPECT_NE(result.detail.find("115"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, UnknownMagicIsBadMagic) {
  Bytes bytes = valid_record();
  put_be32(bytes, 4, 0xDAA320A8);
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kBadMagic);
  EXPECT_NE(result.detail.find("0xdaa320a8"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, ZeroMagicWithNonZeroSizeIsBadMagic) {
  EXPECT_EQ(decode(hex_bytes("00000073 00000000 0000")).status, DecodeStatus::kBadMagic);
}

TEST(MessageRecordDecodeTest, DLedgerBlankMagicIsBadMagicInTheCommitlog) {
  EXPECT_EQ(decode(hex_bytes("FFFFFFFF 00000100")).status, DecodeStatus::kBadMagic);
}

TEST(MessageRecordDecodeTest, TotalSizeBelowMinimumIsBadSize) {
  Bytes bytes = valid_record();
  put_be32(bytes, 0, 90);
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kBadSize);
}

TEST(MessageRecordDecodeTest, NegativeTotalSizeIsBadSize) {
  Bytes bytes = valid_record();
  put_be32(bytes, 0, 0xFFFFFF8D);  // -115
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kBadSize);
}

// A broker with a raised maxMessageSize writes bodies over the 4 MiB default, and Java recovery reads them:
// 5 MiB of 'x', topic "TopicTest", TAGS=TagA. 91 + 5242880 + 9 + 10 = 5242990 bytes.
constexpr std::size_t kBigBodyBytes = 5 * 1024 * 1024;
Bytes big_record() {
  return concat({hex_bytes("0050006E DAA320A7 070433C4 00000001 00000000"  // TOTALSIZE 5242990, BODYCRC of the body
                           "0000000000000007 0000000000000000 00000000"
                           "0000018BCFE56800 0A000007 0000D431"
                           "0000018BCFE56805 C0A8010A 00002A9F"
                           "00000000 0000000000000000"
                           "00500000"),                                  // BODYLENGTH 5242880
                 Bytes(kBigBodyBytes, 'x'),
                 hex_bytes("09 546F70696354657374"
                           "000A 54414753 01 54616741 02")});
}

TEST(MessageRecordDecodeTest, BodyOverTheDefaultMaxMessageSizeIsOk) {
  const Bytes bytes = big_record();
  ASSERT_EQ(bytes.size(), 5242990u);
  MessageRecord record;
  const DecodeResult result = decode_record(ByteSpan(bytes), /*check_crc=*/true, &record);
  ASSERT_EQ(result.status, DecodeStatus::kOk) << result.detail;
  EXPECT_EQ(result.size, 5242990);
  EXPECT_EQ(record.body, Bytes(kBigBodyBytes, 'x'));
  EXPECT_EQ(record.topic, "TopicTest");
  EXPECT_EQ(record.properties, std::string("TAGS\x01TagA\x02"));
  EXPECT_EQ(record.queue_offset, 7);
}

TEST(MessageRecordDecodeTest, GarbageTotalSizePastTheSpanWithInconsistentFieldsIsBadSize) {
  // TOTALSIZE runs far past the span, but BODYLENGTH, TOPICLENGTH and PROPERTIESLENGTH are all inside it and
  // add up to 115: a corrupt length in the middle of a file, not a torn tail.
  for (const std::uint32_t garbage : {0x7FFFFFFFu, 4u * 1024 * 1024 + 64 * 1024 + 117, 200u}) {
    Bytes bytes = concat({valid_record(), Bytes(40, 0)});
    put_be32(bytes, 0, garbage);
    const DecodeResult result = decode(bytes);
    EXPECT_EQ(result.status, DecodeStatus::kBadSize) << garbage;
    EXPECT_NE(result.detail.find("TOTALSIZE " + std::to_string(garbage) + " != 115"), std::string::npos)
        << result.detail;
  }
}

TEST(MessageRecordDecodeTest, GarbageBodyLengthPastTheSpanIsBadSize) {
  // A huge TOTALSIZE and a BODYLENGTH that overruns it: refused on the lengths alone.
  Bytes bytes = valid_record();
  put_be32(bytes, 0, 0x01000000);
  put_be32(bytes, kBodyLengthAt, 0x01000000);
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kBadSize);
}

TEST(MessageRecordDecodeTest, RecordCutByTheSpanEndIsTruncated) {
  const Bytes whole = big_record();
  // Cut inside the body: every length field before the cut agrees with TOTALSIZE so far.
  Bytes in_body(whole.begin(), whole.begin() + 1024 * 1024);
  DecodeResult result = decode(in_body);
  EXPECT_EQ(result.status, DecodeStatus::kTruncated) << result.detail;
  EXPECT_NE(result.detail.find("5242990"), std::string::npos) << result.detail;
  // Cut after PROPERTIESLENGTH: all lengths read, they add up to TOTALSIZE, the properties are missing.
  Bytes in_properties(whole.begin(), whole.end() - 4);
  result = decode(in_properties);
  EXPECT_EQ(result.status, DecodeStatus::kTruncated) << result.detail;
  // Cut before BODYLENGTH: nothing to check TOTALSIZE against.
  Bytes before_body_length(whole.begin(), whole.begin() + kBodyLengthAt + 2);
  EXPECT_EQ(decode(before_body_length).status, DecodeStatus::kTruncated);
  Bytes before_sysflag(whole.begin(), whole.begin() + 30);
  EXPECT_EQ(decode(before_sysflag).status, DecodeStatus::kTruncated);
}

TEST(MessageRecordDecodeTest, TotalSizeLargerThanTheFieldsIsBadSize) {
  Bytes bytes = concat({valid_record(), hex_bytes("00")});
  put_be32(bytes, 0, 116);
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kBadSize);
  EXPECT_NE(result.detail.find("TOTALSIZE 116 != 115"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, BodyLengthPastTotalSizeIsBadSize) {
  Bytes bytes = valid_record();
  put_be32(bytes, kBodyLengthAt, 1000);
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kBadSize);
}

TEST(MessageRecordDecodeTest, NegativeBodyLengthIsBadSize) {
  Bytes bytes = valid_record();
  put_be32(bytes, kBodyLengthAt, 0xFFFFFFFF);
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kBadSize);
  EXPECT_NE(result.detail.find("BODYLENGTH -1"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, NegativePropertiesLengthIsBadSize) {
  Bytes bytes = valid_record();
  bytes[kPropertiesLengthAt] = 0xFF;
  bytes[kPropertiesLengthAt + 1] = 0xF6;  // -10
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kBadSize);
  EXPECT_NE(result.detail.find("PROPERTIESLENGTH -10"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, V1TopicLengthByteWithHighBitIsBadSize) {
  // A 200-byte topic under the v1 magic: the length byte 0xC8 is -56 as a Java byte. TOTALSIZE (91 + 5 +
  // 200 + 10 = 306) matches an unsigned reading, which must still be refused.
  Bytes bytes = concat({hex_bytes("00000132 DAA320A7 77D18982 00000000 00000000"
                                  "0000000000000000 0000000000000000 00000000"
                                  "0000018BCFE56800 0A000007 0000D431"
                                  "0000018BCFE56805 C0A8010A 00002A9F"
                                  "00000000 0000000000000000"
                                  "00000005 48656C6C6F"
                                  "C8"),
                        text_bytes(std::string(200, 'L')), hex_bytes("000A 54414753 01 54616741 02")});
  ASSERT_EQ(bytes.size(), 306u);
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kBadSize);
  EXPECT_NE(result.detail.find("TOPICLENGTH -56"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, V2NegativeTopicLengthIsBadSize) {
  Bytes bytes = concat({hex_bytes("00000074 DAA320AB 77D18982 00000000 00000000"
                                  "0000000000000000 0000000000000000 00000000"
                                  "0000018BCFE56800 0A000007 0000D431"
                                  "0000018BCFE56805 C0A8010A 00002A9F"
                                  "00000000 0000000000000000"
                                  "00000005 48656C6C6F"
                                  "FFF7"),  // -9
                        text_bytes("TopicTest"), hex_bytes("000A 54414753 01 54616741 02")});
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kBadSize);
}

TEST(MessageRecordDecodeTest, TopicLengthPastTotalSizeIsBadSize) {
  Bytes bytes = valid_record();
  bytes[kTopicLengthAt] = 0x7F;
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kBadSize);
}

TEST(MessageRecordDecodeTest, FlippedBodyByteIsBadCrc) {
  Bytes bytes = valid_record();
  bytes[kBodyAt + 4] ^= 0x1F;  // "Hellp"
  const DecodeResult result = decode(bytes);
  EXPECT_EQ(result.status, DecodeStatus::kBadCrc);
  EXPECT_NE(result.detail.find("0x77d18982"), std::string::npos) << result.detail;
}

TEST(MessageRecordDecodeTest, CrcIsNotCheckedWhenNotAsked) {
  Bytes bytes = valid_record();
  bytes[kBodyAt + 4] ^= 0x1F;
  EXPECT_EQ(decode(bytes, /*check_crc=*/false).status, DecodeStatus::kOk);
}

TEST(MessageRecordDecodeTest, EmptyBodySkipsTheCrc) {
  // No body: 91 + 0 + 9 + 10 = 110 bytes, BODYCRC left at a non-zero value that would never match.
  const Bytes bytes = hex_bytes(
      "0000006E DAA320A7 12345678 00000000 00000000"
      "0000000000000000 0000000000000000 00000000"
      "0000018BCFE56800 0A000007 0000D431"
      "0000018BCFE56805 C0A8010A 00002A9F"
      "00000000 0000000000000000"
      "00000000"
      "09 546F70696354657374"
      "000A 54414753 01 54616741 02");
  EXPECT_EQ(decode(bytes).status, DecodeStatus::kOk);
}

TEST(MessageRecordDecodeTest, NegativeBlankLengthIsBadSize) {
  EXPECT_EQ(decode(hex_bytes("FFFFFFF8 CBD43194")).status, DecodeStatus::kBadSize);
}

TEST(MessageRecordDecodeTest, BlankDoesNotNeedTheRestOfTheFile) {
  // The blank declares 4096 remaining bytes; the span may end right after its 8 bytes.
  const DecodeResult result = decode(hex_bytes("00001000 CBD43194"));
  EXPECT_EQ(result.status, DecodeStatus::kBlank);
  EXPECT_EQ(result.size, 4096);
}

TEST(MessageRecordDecodeTest, StatusNames) {
  EXPECT_STREQ(to_string(DecodeStatus::kOk), "ok");
  EXPECT_STREQ(to_string(DecodeStatus::kBadCrc), "bad-crc");
}

}  // namespace
}  // namespace rmq::store
