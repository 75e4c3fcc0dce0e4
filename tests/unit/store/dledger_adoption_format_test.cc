// What a DLedger node writes when it adopts a legacy commitlog, against bytes assembled by hand from
// storage.md: the blank at the legacy tail (1.8: int32 remaining length, then CB D4 31 94), the divided
// offset at the next file boundary and the first DLedger data file named after it (6.3), the first entry at
// pos = dividedCommitlogOffset with its record's PHYSICALOFFSET = pos + 48 (5.2, 6.2), and the no-op entry
// body (dledger_noop.h) as the first entry of a leader's term. CRC values: Python zlib.crc32 & 0x7FFFFFFF.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "broker/common/file_system_posix.h"
#include "broker/store/dledger_adoption.h"
#include "broker/store/dledger_message_store.h"
#include "tests/unit/store/hex_bytes.h"
#include "tests/unit/store/local_replicator.h"
#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;
using testing::concat;
using testing::hex_bytes;
using testing::text_bytes;

// A 94-byte v1 record (91 + body "hi" + topic "T"), storage.md 1.2, at legacy offset 0.
const common::Bytes kLegacyRecord = concat({
    hex_bytes("0000005E"),           // TOTALSIZE 94
    hex_bytes("DAA320A7"),           // MAGICCODE v1
    hex_bytes("58932AAC"),           // BODYCRC = crc32("hi") & 0x7FFFFFFF
    hex_bytes("00000000"),           // QUEUEID
    hex_bytes("00000000"),           // FLAG
    hex_bytes("0000000000000000"),   // QUEUEOFFSET
    hex_bytes("0000000000000000"),   // PHYSICALOFFSET
    hex_bytes("00000000"),           // SYSFLAG
    hex_bytes("0000018BCFE56800"),   // BORNTIMESTAMP 1700000000000
    hex_bytes("7F000001 0000C350"),  // BORNHOST 127.0.0.1:50000
    hex_bytes("0000018BCFE56801"),   // STORETIMESTAMP
    hex_bytes("0A000007 00002A9F"),  // STOREHOST 10.0.0.7:10911
    hex_bytes("00000000"),           // RECONSUMETIMES
    hex_bytes("0000000000000000"),   // PREPAREDTRANSACTIONOFFSET
    hex_bytes("00000002"), text_bytes("hi"),
    hex_bytes("01"), text_bytes("T"),
    hex_bytes("0000"),
});

constexpr std::int64_t kFileSize = 4096;

common::Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return common::Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

fs::path make_legacy_store(const fs::path& root) {
  common::Bytes file = kLegacyRecord;
  file.resize(kFileSize, 0);
  rmq::testing::write_file(root / "commitlog" / "00000000000000000000", file);
  return root;
}

DLedgerCommitLogOptions options_for(const fs::path& root) {
  DLedgerCommitLogOptions o;
  o.store_root = root;
  o.self_id = "n0";
  o.file_size_bytes = kFileSize;
  o.index_file_bytes = 32 * 64;
  return o;
}

TEST(DLedgerAdoptionFormat, BlankAtTheLegacyTailAndDataFileAtTheNextBoundary) {
  TempDir dir;
  const fs::path root = make_legacy_store(dir.path());
  common::PosixFileSystem posix;
  const DLedgerAdoption a = prepare_dledger_commit_log(posix, options_for(root));
  EXPECT_TRUE(a.first_start);
  EXPECT_TRUE(a.blank_written);
  EXPECT_EQ(a.record.divided_offset, 4096);
  EXPECT_EQ(a.legacy_data_end, 94);
  EXPECT_EQ(a.entry_store_options.first_entry_pos, 4096);

  common::Bytes expected = concat({kLegacyRecord,
                                   hex_bytes("00000FA2"),    // remaining length 4096 - 94 = 4002
                                   hex_bytes("CBD43194")});  // commitlog BLANK_MAGIC_CODE
  expected.resize(kFileSize, 0);  // the rest of the file is not written
  EXPECT_EQ(read_file(root / "commitlog" / "00000000000000000000"), expected);

  const fs::path data_file = root / "dledger-n0" / "data" / "00000000000000004096";
  ASSERT_TRUE(fs::exists(data_file));
  EXPECT_EQ(fs::file_size(data_file), 4096u);
  EXPECT_EQ(read_file(data_file), common::Bytes(kFileSize, 0));
  EXPECT_TRUE(fs::exists(root / "dledger-n0.legacy"));
}

TEST(DLedgerAdoptionFormat, FirstEntryIsTheNoopAtTheDividedOffsetThenMessagesAtPosPlus48) {
  TempDir dir;
  const fs::path root = make_legacy_store(dir.path());
  common::PosixFileSystem posix;
  StoreConfig config = testing::small_config(root, kFileSize);
  auto start = DLedgerMessageStore::prepare(posix, config, options_for(root));
  testing::LocalReplicator replicator(posix, start->adoption.entry_store_options);
  auto store = DLedgerMessageStore::open(std::move(start), replicator);
  replicator.become_leader(1);
  ASSERT_TRUE(testing::eventually([&] { return store->ready_as_leader(); }));
  const PutResult put = testing::put(*store, testing::make_message("T", 0, "ours"));
  ASSERT_EQ(put.status, PutStatus::kOk) << put.detail;
  store->shutdown();

  const common::Bytes data = read_file(root / "dledger-n0" / "data" / "00000000000000004096");
  const common::Bytes noop_entry = concat({
      hex_bytes("00000001"),          // magic
      hex_bytes("000000A7"),          // size = 48 + 119
      hex_bytes("0000000000000000"),  // index 0
      hex_bytes("0000000000000001"),  // term 1
      hex_bytes("0000000000001000"),  // pos = dividedCommitlogOffset 4096
      hex_bytes("00000000 00000000 00000000"),  // channel, chainCrc, bodyCrc
      hex_bytes("00000077"),          // bodyLen 119
      // the no-op record (dledger_noop.h), PHYSICALOFFSET = 4096 + 48
      hex_bytes("00000077 DAA320A7 1225EFFF 00000000 00000000 0000000000000000 0000000000001030 0000000C"),
      hex_bytes("0000000000000000 00000000 00000000 0000000000000000 00000000 00000000 00000000"),
      hex_bytes("0000000000000000 00000008 0000000000000001 14"),
      text_bytes("RMQ_SYS_DLEDGER_NOOP"),
      hex_bytes("0000"),
  });
  ASSERT_GE(data.size(), noop_entry.size() + 48 + 32);
  EXPECT_EQ(common::Bytes(data.begin(), data.begin() + static_cast<long>(noop_entry.size())), noop_entry);

  // The message: entry 1 at pos 4096 + 167 = 4263 (0x10A7), its record's PHYSICALOFFSET 4311 (0x10D7).
  const auto at = data.begin() + static_cast<long>(noop_entry.size());
  EXPECT_EQ(common::Bytes(at, at + 32), concat({hex_bytes("00000001"), hex_bytes("00000090"),  // 48 + 96 (91 + "ours" + "T")
                                                hex_bytes("0000000000000001"), hex_bytes("0000000000000001"),
                                                hex_bytes("00000000000010A7")}));
  EXPECT_EQ(common::Bytes(at + 48 + 28, at + 48 + 36), hex_bytes("00000000000010D7"));
  EXPECT_EQ(put.physical_offset, 0x10D7);
  EXPECT_EQ(put.queue_offset, 1);  // the legacy record holds queue offset 0 of T/0
}

}  // namespace
}  // namespace rmq::store
