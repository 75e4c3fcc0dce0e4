// DLedger 0.3.1.2 on-disk formats against bytes assembled by hand from storage.md 5.1-5.4, field by field,
// never from the encoder under test.
#include <gtest/gtest.h>

#include "broker/store/dledger_data_files.h"
#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_index.h"
#include "broker/store/dledger_member_state_file.h"
#include "tests/unit/store/fault_fs.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using testing::concat;
using testing::hex_bytes;
using testing::text_bytes;

// storage.md 5.2: magic, size, index, term, pos, channel, chainCrc, bodyCrc, bodyLen, body.
const common::Bytes kEntryIndex5Term3AtOneGiB = concat({
    hex_bytes("00000001"),          // magic = 1
    hex_bytes("00000033"),          // size = 48 + 3 = 51
    hex_bytes("0000000000000005"),  // index
    hex_bytes("0000000000000003"),  // term
    hex_bytes("0000000040000000"),  // pos = 1073741824
    hex_bytes("00000000"),          // channel
    hex_bytes("00000000"),          // chainCrc (never computed)
    hex_bytes("00000000"),          // bodyCrc (never computed)
    hex_bytes("00000003"),          // bodyLen
    text_bytes("abc"),
});

DLedgerEntry entry_index5_term3() {
  DLedgerEntry e;
  e.index = 5;
  e.term = 3;
  e.pos = 1073741824;
  e.body = text_bytes("abc");
  return e;
}

TEST(DLedgerFormat, EntryHeaderMatchesSpecLayout) {
  common::Bytes out;
  encode_entry(entry_index5_term3(), out);
  EXPECT_EQ(out, kEntryIndex5Term3AtOneGiB);
}

TEST(DLedgerFormat, DecodesSpecEntry) {
  EXPECT_EQ(decode_entry(kEntryIndex5Term3AtOneGiB), entry_index5_term3());
  const DLedgerEntryHeader h = decode_entry_header(kEntryIndex5Term3AtOneGiB);
  EXPECT_EQ(h.size, 51);
  EXPECT_EQ(h.body_len, 3);
  EXPECT_FALSE(entry_header_problem(h, 1073741824).has_value());
}

TEST(DLedgerFormat, HeaderProblemsFollowUpstreamChecks) {
  DLedgerEntryHeader h = decode_entry_header(kEntryIndex5Term3AtOneGiB);
  EXPECT_TRUE(entry_header_problem(h, 1073741825).has_value());  // pos must equal where it lies
  DLedgerEntryHeader bad = h;
  bad.body_len = 4;  // size != bodyLen + 48
  EXPECT_TRUE(entry_header_problem(bad, h.pos).has_value());
  bad = h;
  bad.magic = 2;  // 0.4's NOOP magic is not 0.3.1.2's
  EXPECT_TRUE(entry_header_problem(bad, h.pos).has_value());
  bad = h;
  bad.size = 44;  // size must exceed HEADER_SIZE = 44
  bad.body_len = -4;
  EXPECT_TRUE(entry_header_problem(bad, h.pos).has_value());
  bad = h;
  bad.size = 48;  // an empty body is allowed: 48 > 44
  bad.body_len = 0;
  EXPECT_FALSE(entry_header_problem(bad, h.pos).has_value());
}

TEST(DLedgerFormat, DecodeRejectsWrongLength) {
  common::Bytes cut(kEntryIndex5Term3AtOneGiB.begin(), kEntryIndex5Term3AtOneGiB.end() - 1);
  EXPECT_THROW(decode_entry(cut), std::invalid_argument);
  EXPECT_THROW(decode_entry_header(common::ByteSpan(kEntryIndex5Term3AtOneGiB).first(47)), std::invalid_argument);
}

TEST(DLedgerFormat, IndexUnitMatchesSpecLayout) {
  // storage.md 5.4: magic, pos, size, index, term (not the data header's order).
  const common::Bytes expected = concat({
      hex_bytes("00000001"),          // magic
      hex_bytes("0000000040000000"),  // pos
      hex_bytes("00000033"),          // size
      hex_bytes("0000000000000005"),  // index
      hex_bytes("0000000000000003"),  // term
  });
  ASSERT_EQ(expected.size(), kDLedgerIndexUnitBytes);
  const DLedgerIndexUnit unit = index_unit_for(decode_entry_header(kEntryIndex5Term3AtOneGiB));
  common::Bytes out(32);
  encode_index_unit(unit, out);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(decode_index_unit(expected), unit);
  EXPECT_EQ(index_unit_offset(5), 160);
}

TEST(DLedgerFormat, BlankMatchesSpecLayout) {
  // storage.md 5.3: int32 -1, int32 remaining length, zeros to the end of the file.
  const common::Bytes expected = concat({hex_bytes("FFFFFFFF"), hex_bytes("00000010"), common::Bytes(8, 0)});
  common::Bytes out;
  encode_dledger_blank(16, out);
  EXPECT_EQ(out, expected);
}

TEST(DLedgerFormat, FileNamesAreTwentyDigitOffsets) {
  EXPECT_EQ(DLedgerFileList::file_name(0), "00000000000000000000");
  EXPECT_EQ(DLedgerFileList::file_name(1073741824), "00000000001073741824");
  EXPECT_EQ(kDLedgerDefaultIndexFileBytes, 167772160);
  EXPECT_EQ(kDLedgerDefaultDataFileBytes, 1073741824);
}

TEST(DLedgerFormat, PhysicalOffsetHookWritesPosPlus48AtBodyOffset28) {
  common::Bytes body(40, 0xAA);
  write_commitlog_physical_offset(1073741824, body);
  const common::Bytes expected = concat({common::Bytes(28, 0xAA), hex_bytes("0000000040000030"), common::Bytes(4, 0xAA)});
  EXPECT_EQ(body, expected);
}

TEST(DLedgerFormat, CurrTermTextIsWhatDLedgerWrites) {
  // MemberState.persistTerm through IOUtils.properties2String: "key=value\n", JDK 8 Hashtable order.
  EXPECT_EQ(encode_currterm(DLedgerHardState{3, "n1"}), "voteLeader=n1\ncurrTerm=3\n");
  EXPECT_EQ(encode_currterm(DLedgerHardState{7, ""}), "voteLeader=\ncurrTerm=7\n");
  EXPECT_EQ(encode_checkpoint(DLedgerCheckpoint{10, 7}), "endIndex=10\ncommittedIndex=7\n");
}

TEST(DLedgerFormat, SavedFilesHoldExactlyThatText) {
  testing::FaultFs fs;
  fs.create_dir("/s");
  DLedgerMemberStateFile files(fs, "/s");
  files.save_hard_state(DLedgerHardState{3, "n1"});
  files.save_checkpoint(DLedgerCheckpoint{-1, -1});
  EXPECT_EQ(fs.contents("/s/currterm"), text_bytes("voteLeader=n1\ncurrTerm=3\n"));
  EXPECT_EQ(fs.contents("/s/checkpoint"), text_bytes("endIndex=-1\ncommittedIndex=-1\n"));
}

// A store with 256-byte data files: each entry is 48 + 100 bytes, so the second one does not fit after the
// first with 8 bytes to spare (148 + 148 + 8 > 256) and the first file ends in a blank of 108 bytes.
TEST(DLedgerFormat, StoreWritesBlankThenNextFileAtItsStart) {
  testing::FaultFs fs;
  DLedgerStoreOptions options;
  options.store_root = "/store";
  options.self_id = "n0";
  options.data_file_bytes = 256;
  options.index_file_bytes = 64;
  options.first_entry_pos = 512;
  auto store = DLedgerEntryStore::open(fs, options);
  const common::Bytes body(100, 0x5A);
  store->append_as_leader(1, body);
  store->append_as_leader(1, body);
  store->save_checkpoint();  // a clean shutdown: index units written

  const common::Bytes first = fs.contents("/store/dledger-n0/data/00000000000000000512");
  const common::Bytes second = fs.contents("/store/dledger-n0/data/00000000000000000768");
  ASSERT_EQ(first.size(), 256u);  // every data file is exactly the configured size
  ASSERT_EQ(second.size(), 256u);
  const common::Bytes expected_first = concat({
      hex_bytes("00000001 00000094 0000000000000000 0000000000000001 0000000000000200"),  // size 148, index 0, pos 512
      hex_bytes("00000000 00000000 00000000 00000064"), body,
      hex_bytes("FFFFFFFF 0000006C"), common::Bytes(100, 0),  // blank: -1, remaining 108, zeros
  });
  EXPECT_EQ(first, expected_first);
  const common::Bytes expected_second = concat({
      hex_bytes("00000001 00000094 0000000000000001 0000000000000001 0000000000000300"),  // index 1, pos 768
      hex_bytes("00000000 00000000 00000000 00000064"), body, common::Bytes(256 - 148, 0),
  });
  EXPECT_EQ(second, expected_second);

  const common::Bytes index = fs.contents("/store/dledger-n0/index/00000000000000000000");
  const common::Bytes expected_index = concat({
      hex_bytes("00000001 0000000000000200 00000094 0000000000000000 0000000000000001"),
      hex_bytes("00000001 0000000000000300 00000094 0000000000000001 0000000000000001"),
  });
  EXPECT_EQ(index, expected_index);
}

}  // namespace
}  // namespace rmq::store
