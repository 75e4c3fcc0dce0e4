// The raft <-> DLedger entry mapping (entry_codec.h) and the layout rule for where the next entry lands,
// checked against hand-computed positions (storage.md 5.3: an entry goes to the next file when it and an
// 8-byte blank do not fit) and against where the entry store itself places entries.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "broker/common/file_system_posix.h"
#include "broker/dledger/entry_codec.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_noop.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::dledger {
namespace {

using store::testing::concat;
using store::testing::hex_bytes;

TEST(EntryCodec, NextEntryPosFollowsTheBlankRule) {
  EXPECT_EQ(next_entry_pos(0, 100, 1024), 0);
  EXPECT_EQ(next_entry_pos(1000, 16, 1024), 1000);   // 16 + 8 = 24 fits the 24 bytes left
  EXPECT_EQ(next_entry_pos(1000, 17, 1024), 1024);   // 25 does not: blank, next file
  EXPECT_EQ(next_entry_pos(1024, 500, 1024), 1024);  // a file boundary starts a new file
  EXPECT_EQ(next_entry_pos(3 * 1024 + 10, 1016, 1024), 4 * 1024);
  EXPECT_THROW(next_entry_pos(0, 1017, 1024), std::invalid_argument);  // no file can hold it
}

TEST(EntryCodec, NormalEntryDataIsPositionThenBody) {
  const common::Bytes body = hex_bytes("AABBCC");
  EXPECT_EQ(encode_entry_data(0x0102030405, body), concat({hex_bytes("0000000102030405"), body}));
  raft::Entry e{7, 3, raft::EntryType::kNormal, encode_entry_data(4096, body)};
  const store::DLedgerEntry stored = to_store_entry(e, 999, 1 << 20);  // the log end is not consulted
  EXPECT_EQ(stored.index, 6);
  EXPECT_EQ(stored.term, 3);
  EXPECT_EQ(stored.pos, 4096);
  EXPECT_EQ(stored.body, body);
  EXPECT_EQ(to_raft_entry(stored), e);
  EXPECT_EQ(stored_entry_bytes(e), 48 + 3);
  EXPECT_THROW(entry_data_pos(hex_bytes("00")), std::invalid_argument);
}

TEST(EntryCodec, NoopIsPlacedAfterTheLogAndReadsBackAsNoop) {
  raft::Entry noop{5, 3, raft::EntryType::kNoop, {}};
  const store::DLedgerEntry stored = to_store_entry(noop, 1000, 1024);  // 167 + 8 bytes do not fit in 24
  EXPECT_EQ(stored.pos, 1024);
  EXPECT_EQ(stored.body, store::encode_noop_body(3, 1024));
  EXPECT_EQ(to_raft_entry(stored), noop);
  // The same bytes under another term are not this entry's no-op: they read back as a normal entry.
  store::DLedgerEntry other = stored;
  other.term = 4;
  EXPECT_EQ(to_raft_entry(other).type, raft::EntryType::kNormal);
}

TEST(EntryCodec, PositionsMatchWhereTheEntryStorePlacesEntries) {
  std::mt19937_64 rng(42);
  const auto dir = std::filesystem::temp_directory_path() / ("entry-codec-test-" + std::to_string(rng()));
  common::PosixFileSystem fs;
  std::filesystem::create_directories(dir);
  {
    store::DLedgerStoreOptions so;
    so.store_root = dir;
    so.self_id = "n0";
    so.data_file_bytes = 4096;
    so.index_file_bytes = 32 * 64;
    auto s = store::DLedgerEntryStore::open(fs, so);
    std::int64_t end = s->first_file_offset();
    for (int i = 0; i < 200; ++i) {
      const std::size_t body_bytes = 1 + rng() % 900;
      const std::int64_t expected = next_entry_pos(end, static_cast<std::int64_t>(48 + body_bytes), 4096);
      const store::DLedgerEntry e = s->append_as_leader(1, common::Bytes(body_bytes, 7));
      ASSERT_EQ(e.pos, expected) << "entry " << i;
      end = e.pos + static_cast<std::int64_t>(e.size_bytes());
      ASSERT_EQ(s->write_pos(), end);
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::dledger
