// The no-op entry body (dledger_noop.h) against bytes assembled by hand from storage.md 1.2 (record layout),
// 1.3 (SYSFLAG 0xC = TRANSACTION_ROLLBACK), 1.6 (BODYCRC: zlib crc32 masked with 0x7FFFFFFF; the values
// below were computed with Python's zlib.crc32) and 6.2 (PHYSICALOFFSET = entry pos + 48).
#include <gtest/gtest.h>

#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_noop.h"
#include "broker/store/message_record.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using testing::concat;
using testing::hex_bytes;
using testing::text_bytes;

// term 3 at entry pos 1073741824 (the first DLedger entry after a one-file 1 GiB legacy log).
const common::Bytes kNoopTerm3AtOneGiB = concat({
    hex_bytes("00000077"),          // TOTALSIZE = 91 + 8 + 20 + 0 = 119
    hex_bytes("DAA320A7"),          // MAGICCODE v1
    hex_bytes("7C2B8ED3"),          // BODYCRC = crc32(00..03) & 0x7FFFFFFF
    hex_bytes("00000000"),          // QUEUEID
    hex_bytes("00000000"),          // FLAG
    hex_bytes("0000000000000000"),  // QUEUEOFFSET (0 for rollback records)
    hex_bytes("0000000040000030"),  // PHYSICALOFFSET = 1073741824 + 48
    hex_bytes("0000000C"),          // SYSFLAG = TRANSACTION_ROLLBACK
    hex_bytes("0000000000000000"),  // BORNTIMESTAMP
    hex_bytes("00000000 00000000"), // BORNHOST 0.0.0.0, port 0
    hex_bytes("0000000000000000"),  // STORETIMESTAMP
    hex_bytes("00000000 00000000"), // STOREHOST 0.0.0.0, port 0
    hex_bytes("00000000"),          // RECONSUMETIMES
    hex_bytes("0000000000000000"),  // PREPAREDTRANSACTIONOFFSET
    hex_bytes("00000008"),          // BODYLENGTH
    hex_bytes("0000000000000003"),  // BODY = term
    hex_bytes("14"),                // TOPICLENGTH = 20
    text_bytes("RMQ_SYS_DLEDGER_NOOP"),
    hex_bytes("0000"),              // PROPERTIESLENGTH
});

TEST(DLedgerNoopFormat, BodyMatchesHandAssembledRecord) {
  EXPECT_EQ(encode_noop_body(3, 1073741824), kNoopTerm3AtOneGiB);
  EXPECT_EQ(kNoopTerm3AtOneGiB.size(), kDLedgerNoopBodyBytes);
}

TEST(DLedgerNoopFormat, UnpositionedBodyPatchedByTheAppendHookIsTheSameBytes) {
  common::Bytes body = encode_noop_body_unpositioned(3);
  EXPECT_EQ(common::load_i64_be(body.data() + 28), 0);
  write_commitlog_physical_offset(1073741824, body);
  EXPECT_EQ(body, kNoopTerm3AtOneGiB);
}

TEST(DLedgerNoopFormat, DeterministicPerTermAndPosition) {
  EXPECT_EQ(encode_noop_body(7, 0), encode_noop_body(7, 0));
  EXPECT_NE(encode_noop_body(7, 0), encode_noop_body(8, 0));
  common::Bytes term7_at_0 = kNoopTerm3AtOneGiB;
  // term 7 at pos 0: BODYCRC, PHYSICALOFFSET and BODY change, nothing else.
  const common::Bytes crc7 = hex_bytes("7B464ACA"), phys = hex_bytes("0000000000000030"),
                      body7 = hex_bytes("0000000000000007");
  std::copy(crc7.begin(), crc7.end(), term7_at_0.begin() + 8);
  std::copy(phys.begin(), phys.end(), term7_at_0.begin() + 28);
  std::copy(body7.begin(), body7.end(), term7_at_0.begin() + 88);
  EXPECT_EQ(encode_noop_body(7, 0), term7_at_0);
}

TEST(DLedgerNoopFormat, ReadsAsAValidRollbackRecord) {
  MessageRecord r;
  const DecodeResult d = decode_record(kNoopTerm3AtOneGiB, /*check_crc=*/true, &r);
  ASSERT_EQ(d.status, DecodeStatus::kOk) << d.detail;
  EXPECT_EQ(d.size, 119);
  EXPECT_EQ(r.topic, "RMQ_SYS_DLEDGER_NOOP");
  EXPECT_EQ(r.sys_flag & sysflag::kTransactionMask, sysflag::kTransactionRollback);
  EXPECT_EQ(r.physical_offset, 1073741824 + 48);
}

TEST(DLedgerNoopFormat, RecognisedOnlyWhenExact) {
  EXPECT_EQ(decode_noop_term(kNoopTerm3AtOneGiB), 3);
  common::Bytes other_pos = encode_noop_body(3, 4096);
  EXPECT_EQ(decode_noop_term(other_pos), 3);  // PHYSICALOFFSET may be anything

  common::Bytes bad_crc = kNoopTerm3AtOneGiB;
  bad_crc[11] ^= 1;
  EXPECT_FALSE(decode_noop_term(bad_crc).has_value());

  common::Bytes not_rollback = kNoopTerm3AtOneGiB;
  not_rollback[39] = 0x00;  // SYSFLAG 0: an ordinary message on the same topic is not a no-op
  EXPECT_FALSE(decode_noop_term(not_rollback).has_value());

  common::Bytes stamped = kNoopTerm3AtOneGiB;
  stamped[63] = 1;  // STORETIMESTAMP 1
  EXPECT_FALSE(decode_noop_term(stamped).has_value());

  common::Bytes other_topic = kNoopTerm3AtOneGiB;
  other_topic[97] = 'X';
  EXPECT_FALSE(decode_noop_term(other_topic).has_value());

  EXPECT_FALSE(decode_noop_term(common::ByteSpan(kNoopTerm3AtOneGiB).first(118)).has_value());
  EXPECT_FALSE(decode_noop_term(common::Bytes(119, 0)).has_value());
}

}  // namespace
}  // namespace rmq::store
