// A data write that fails part way (a short pwrite, then ENOSPC) must not leave bytes the store later trusts
// (issue 13, the fault suite's torn-entry finding): the store cuts the data back durably to where the failed
// write began, so the log reopens to exactly the whole entries before it, even with DLedger's own checks only
// (no body check, which is what recovery had to go on when the torn entry's header was intact), and even after
// a machine crash that replays unsynced writes.
#include <gtest/gtest.h>

#include <algorithm>

#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_error.h"
#include "tests/unit/store/fault_fs.h"
#include "tests/unit/store/fault_fs_dledger.h"

namespace rmq::store {
namespace {

using testing::CrashMode;
using testing::FaultFs;
using testing::OpCounter;
using testing::self_checked_body;
using testing::small_store_options;

const std::filesystem::path kData = "/store/dledger-n0/data";

std::filesystem::path data_file(std::int64_t start) { return kData / DLedgerFileList::file_name(start); }

DLedgerEntryRef ref_of(const DLedgerEntry& e) {
  DLedgerEntryRef r;
  r.magic = e.magic;
  r.index = e.index;
  r.term = e.term;
  r.pos = e.pos;
  r.body = e.body;
  return r;
}

bool all_zero_from(const common::Bytes& file, std::int64_t from) {
  return std::all_of(file.begin() + from, file.end(), [](std::uint8_t b) { return b == 0; });
}

// The leader's own append: a short write of the entry's first `written` bytes, for every cut point that leaves
// part of the entry (a header prefix, the whole header with part of the body, all but the last byte).
TEST(DLedgerShortWrite, LeaderEntryCutPartWayLeavesOnlyTheWholeEntriesBefore) {
  for (const std::uint64_t written : {1u, 20u, 48u, 100u, 239u}) {
    SCOPED_TRACE("short write of " + std::to_string(written) + " bytes");
    FaultFs fs;
    auto options = small_store_options(64 * 1024);
    std::vector<DLedgerEntry> kept;
    std::int64_t torn_pos = 0;
    {
      auto store = DLedgerEntryStore::open(fs, options);
      for (int i = 0; i < 5; ++i) kept.push_back(store->append_as_leader(1, self_checked_body(i, 192)));
      torn_pos = store->write_pos();
      fs.inject_short_write(fs.op_count(OpCounter::kWrite) + 1, written);
      EXPECT_THROW(store->append_as_leader(1, self_checked_body(5, 192)), common::IoError);  // 240 bytes
      EXPECT_EQ(store->end_index(), 4);
      EXPECT_THROW(store->append_as_leader(1, self_checked_body(6, 192)), DLedgerStoreFailed);
      // The torn bytes are gone from the file at once, not only after recovery.
      EXPECT_TRUE(all_zero_from(fs.contents(data_file(0)), torn_pos));
    }
    auto reopened = DLedgerEntryStore::open(fs, options);  // DLedger's own checks only
    EXPECT_EQ(reopened->end_index(), 4);
    EXPECT_EQ(reopened->write_pos(), torn_pos);
    for (const auto& e : kept) EXPECT_EQ(*reopened->get(e.index), e);
    const DLedgerEntry next = reopened->append_as_leader(1, self_checked_body(7, 192));
    EXPECT_EQ(next.index, 5);
    EXPECT_EQ(next.pos, torn_pos);
  }
}

// The finding itself: a follower's batch written with one pwrite (append_run_as_follower) that runs out of
// space in the middle of its fourth entry. Nothing of the batch is kept (its earlier entries were written by the
// same failed write and are not acknowledged either), the cut is durable (a crash that replays unsynced writes
// does not bring the torn bytes back), and after a reopen the same batch lands right after the whole entries
// and leaves the leader's bytes.
TEST(DLedgerShortWrite, FollowerBatchCutPartWayIsCutBackToTheBatchStartDurably) {
  FaultFs leader_fs;
  auto options = small_store_options(64 * 1024);
  auto leader = DLedgerEntryStore::open(leader_fs, options);
  std::vector<DLedgerEntry> entries;
  for (int i = 0; i < 12; ++i) entries.push_back(leader->append_as_leader(1, self_checked_body(i, 150 + i)));
  std::vector<DLedgerEntryRef> before;
  std::vector<DLedgerEntryRef> batch;
  for (int i = 0; i < 12; ++i) (i < 5 ? before : batch).push_back(ref_of(entries[static_cast<std::size_t>(i)]));
  // The fourth entry of the batch (index 8) is cut 9 bytes before its end, as in soak seed 7695693054524974730.
  const std::int64_t batch_pos = entries[5].pos;
  const std::int64_t torn_end = entries[8].pos + static_cast<std::int64_t>(entries[8].size_bytes()) - 9;

  for (const CrashMode mode : {CrashMode::kKeepSomeUnsynced, CrashMode::kTearUnsynced}) {
    SCOPED_TRACE(to_string(mode));
    FaultFs fs;
    {
      auto follower = DLedgerEntryStore::open(fs, options);
      ASSERT_EQ(follower->append_run_as_follower(before).written, 5u);
      follower->sync();
      fs.inject_short_write(fs.op_count(OpCounter::kWrite) + 1, static_cast<std::uint64_t>(torn_end - batch_pos));
      EXPECT_THROW(follower->append_run_as_follower(batch), common::IoError);
      EXPECT_EQ(follower->end_index(), 4);
      EXPECT_THROW(follower->get(0), DLedgerStoreFailed);
      EXPECT_TRUE(all_zero_from(fs.contents(data_file(0)), batch_pos));
    }
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      fs.crash(mode, seed);
      auto reopened = DLedgerEntryStore::open(fs, options);
      ASSERT_EQ(reopened->end_index(), 4);
      ASSERT_EQ(reopened->write_pos(), batch_pos);
      ASSERT_TRUE(all_zero_from(fs.contents(data_file(0)), batch_pos));
    }
    auto reopened = DLedgerEntryStore::open(fs, options);
    const DLedgerRunAppendResult r = reopened->append_run_as_follower(batch);
    EXPECT_EQ(r.status, DLedgerAppendStatus::kOk);
    EXPECT_EQ(r.written, batch.size());
    EXPECT_EQ(reopened->end_index(), 11);
    EXPECT_EQ(fs.contents(data_file(0)), leader_fs.contents(data_file(0)));
  }
}

// A batch that crosses a data file end is written with one write per file: when the write into the new file
// runs out of space, the entries written whole into the first file stay; the blank after them and the new file
// (written by the failed write) go.
TEST(DLedgerShortWrite, FollowerBatchAcrossAFileEndKeepsThePartWrittenWhole) {
  FaultFs leader_fs;
  auto options = small_store_options(4096);
  auto leader = DLedgerEntryStore::open(leader_fs, options);
  std::vector<DLedgerEntry> entries;
  for (int i = 0; i < 18; ++i) entries.push_back(leader->append_as_leader(1, self_checked_body(i, 300)));
  std::size_t first_in_second_file = 0;
  while (entries[first_in_second_file].pos < 4096) ++first_in_second_file;
  ASSERT_GT(first_in_second_file, 2u);
  ASSERT_LT(entries.back().pos, 8192);  // two files: the batch is written with two writes

  std::vector<DLedgerEntryRef> batch;
  for (const auto& e : entries) batch.push_back(ref_of(e));
  // The batch's last write is its entries in the new file (the index units stay in memory): find its number
  // in a dry run of the same calls.
  std::uint64_t last_write = 0;
  {
    FaultFs dry;
    auto follower = DLedgerEntryStore::open(dry, options);
    ASSERT_EQ(follower->append_run_as_follower(batch).written, batch.size());
    last_write = dry.op_count(OpCounter::kWrite);
  }
  FaultFs fs;
  {
    auto follower = DLedgerEntryStore::open(fs, options);
    fs.inject_short_write(last_write, 700);
    EXPECT_THROW(follower->append_run_as_follower(batch), common::IoError);
    EXPECT_EQ(follower->end_index(), static_cast<std::int64_t>(first_in_second_file) - 1);
  }
  EXPECT_EQ(fs.list_dir(kData), std::vector<std::string>{DLedgerFileList::file_name(0)});
  auto reopened = DLedgerEntryStore::open(fs, options);
  EXPECT_EQ(reopened->end_index(), static_cast<std::int64_t>(first_in_second_file) - 1);
  // The failed write began with the blank that pads the first file: that goes too.
  const DLedgerEntry& last_kept = entries[first_in_second_file - 1];
  EXPECT_EQ(reopened->write_pos(), last_kept.pos + static_cast<std::int64_t>(last_kept.size_bytes()));
  const DLedgerRunAppendResult r =
      reopened->append_run_as_follower(std::span<const DLedgerEntryRef>(batch).subspan(first_in_second_file));
  EXPECT_EQ(r.status, DLedgerAppendStatus::kOk);
  EXPECT_EQ(reopened->end_index(), 17);
  EXPECT_EQ(fs.contents(data_file(0)), leader_fs.contents(data_file(0)));
  EXPECT_EQ(fs.contents(data_file(4096)), leader_fs.contents(data_file(4096)));
}

// A short write of the blank that pads a file's end (the entry goes to the next file): cut back to where the
// blank began, so a reopen neither sees half a blank nor an entry in a file that was never finished.
TEST(DLedgerShortWrite, TornBlankIsCutBackToo) {
  FaultFs fs;
  auto options = small_store_options(4096);
  std::int64_t end_before = 0;
  {
    auto store = DLedgerEntryStore::open(fs, options);
    while (store->write_pos() + 400 + 48 + 8 <= 4096) store->append_as_leader(1, self_checked_body(store->end_index() + 1, 400));
    end_before = store->write_pos();
    ASSERT_LT(end_before, 4096);
    store->save_checkpoint();  // writes the index units now, so the next write is the blank
    fs.inject_short_write(fs.op_count(OpCounter::kWrite) + 1, 5);  // the blank: 4 bytes of magic, 1 of its length
    EXPECT_THROW(store->append_as_leader(1, self_checked_body(99, 400)), common::IoError);
  }
  EXPECT_TRUE(all_zero_from(fs.contents(data_file(0)), end_before));
  auto reopened = DLedgerEntryStore::open(fs, options);
  EXPECT_EQ(reopened->write_pos(), end_before);
  const DLedgerEntry next = reopened->append_as_leader(1, self_checked_body(100, 400));
  EXPECT_EQ(next.pos, 4096);
}

}  // namespace
}  // namespace rmq::store
