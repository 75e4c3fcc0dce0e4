// The fault-injection file system's own model: what survives a crash, and how faults fire.
#include "tests/unit/store/fault_fs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/store/hex_bytes.h"

namespace rmq::store::testing {
namespace {

using common::Bytes;
using common::OpenMode;

void write(common::File& f, std::uint64_t at, std::string_view text) { f.write_at(at, text_bytes(text)); }

// A directory /d that is durable, with a durable empty file /d/f open for writing.
std::unique_ptr<common::File> durable_file(FaultFs& fs) {
  fs.create_dir("/d");
  fs.sync_dir("/");
  auto f = fs.open("/d/f", OpenMode::kCreate);
  f->sync();
  fs.sync_dir("/d");
  return f;
}

TEST(FaultFs, DropUnsyncedKeepsOnlySyncedContent) {
  FaultFs fs;
  auto f = durable_file(fs);
  write(*f, 0, "hello");
  f->sync();
  write(*f, 5, " world");
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("hello world"));
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("hello"));
  EXPECT_THROW(f->size_bytes(), SimulatedCrash);  // handles from before the crash are dead
}

TEST(FaultFs, FileWhoseDirectoryWasNotSyncedIsLost) {
  FaultFs fs;
  fs.create_dir("/d");
  fs.sync_dir("/");
  auto f = fs.open("/d/new", OpenMode::kCreate);
  write(*f, 0, "data");
  f->sync();  // the content is durable, the name is not
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_FALSE(fs.exists("/d/new"));
}

TEST(FaultFs, RenameAndRemoveAreDurableOnlyAfterDirectorySync) {
  FaultFs fs;
  auto f = durable_file(fs);
  write(*f, 0, "old");
  f->sync();
  auto g = fs.open("/d/g", OpenMode::kCreate);
  write(*g, 0, "new");
  g->sync();
  fs.rename("/d/g", "/d/f");
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("new"));
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("old"));
  EXPECT_FALSE(fs.exists("/d/g"));

  fs.remove_file("/d/f");
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("old"));  // the removal was never made durable
  fs.remove_file("/d/f");
  fs.sync_dir("/d");
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_FALSE(fs.exists("/d/f"));
}

TEST(FaultFs, KeepSomeUnsyncedKeepsWholeWritesInAnySubset) {
  bool saw_partial = false;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    FaultFs fs;
    auto f = durable_file(fs);
    write(*f, 0, "aaaa");
    write(*f, 4, "bbbb");
    fs.crash(CrashMode::kKeepSomeUnsynced, seed);
    const Bytes c = fs.contents("/d/f");
    EXPECT_TRUE(c.empty() || c == text_bytes("aaaa") || c == text_bytes("aaaabbbb") ||
                c == (Bytes{0, 0, 0, 0, 'b', 'b', 'b', 'b'}))
        << seed;
    if (c == (Bytes{0, 0, 0, 0, 'b', 'b', 'b', 'b'})) saw_partial = true;
  }
  EXPECT_TRUE(saw_partial);  // a later write can survive an earlier one
}

TEST(FaultFs, TearUnsyncedKeepsSectorsOfAWrite) {
  bool saw_torn = false;
  for (std::uint64_t seed = 0; seed < 64 && !saw_torn; ++seed) {
    FaultFs fs;
    auto f = durable_file(fs);
    f->truncate(2048);
    f->sync();
    f->write_at(0, Bytes(2048, 0xAB));
    fs.crash(CrashMode::kTearUnsynced, seed);
    const Bytes c = fs.contents("/d/f");
    ASSERT_EQ(c.size(), 2048u);
    int kept = 0;
    for (int sector = 0; sector < 4; ++sector) {
      const auto first = c.begin() + sector * 512;
      const bool all_ab = std::all_of(first, first + 512, [](std::uint8_t b) { return b == 0xAB; });
      const bool all_zero = std::all_of(first, first + 512, [](std::uint8_t b) { return b == 0; });
      EXPECT_TRUE(all_ab || all_zero);  // sectors are atomic
      kept += all_ab ? 1 : 0;
    }
    saw_torn = kept > 0 && kept < 4;
  }
  EXPECT_TRUE(saw_torn);
}

TEST(FaultFs, InjectedFailureSkipsTheOperationOnce) {
  FaultFs fs;
  auto f = durable_file(fs);
  fs.inject(FaultKind::kFail, fs.op_count(OpCounter::kWrite) + 2, OpCounter::kWrite);
  write(*f, 0, "a");
  EXPECT_THROW(write(*f, 1, "b"), common::IoError);
  write(*f, 1, "c");
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("ac"));
}

TEST(FaultFs, AFailedSyncIsNotARetry) {
  FaultFs fs;
  auto f = durable_file(fs);
  write(*f, 0, "a");
  fs.inject(FaultKind::kFail, fs.op_count(OpCounter::kSync) + 1, OpCounter::kSync);
  EXPECT_THROW(f->sync(), common::IoError);
  EXPECT_EQ(fs.contents("/d/f"), text_bytes("a"));  // still visible: the pages were only marked clean
  write(*f, 1, "b");
  f->sync();  // "succeeds", but writes only what was written after the failure
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_EQ(fs.contents("/d/f"), text_bytes(std::string("\0b", 2)));
}

TEST(FaultFs, InjectedCrashStopsEverythingUntilCrashIsApplied) {
  FaultFs fs;
  auto f = durable_file(fs);
  write(*f, 0, "a");
  fs.inject(FaultKind::kCrash, fs.op_count(OpCounter::kSync) + 1, OpCounter::kSync);
  EXPECT_THROW(f->sync(), SimulatedCrash);
  EXPECT_TRUE(fs.crashed());
  EXPECT_THROW(write(*f, 1, "b"), SimulatedCrash);
  EXPECT_THROW(fs.list_dir("/d"), SimulatedCrash);
  fs.crash(CrashMode::kDropUnsynced, 1);
  EXPECT_FALSE(fs.crashed());
  EXPECT_EQ(fs.contents("/d/f"), Bytes{});  // the sync never happened
}

TEST(FaultFs, CountsOperationsByKind) {
  FaultFs fs;
  fs.create_dir("/d");                                   // meta
  auto f = fs.open("/d/f", OpenMode::kCreate);           // meta
  write(*f, 0, "x");                                     // write
  f->truncate(10);                                       // write
  f->sync();                                             // sync
  fs.sync_dir("/d");                                     // sync
  fs.rename("/d/f", "/d/g");                             // meta
  Bytes buf(4);
  f->read_at(0, buf);                                    // reads do not count
  EXPECT_EQ(fs.op_count(OpCounter::kMeta), 3u);
  EXPECT_EQ(fs.op_count(OpCounter::kWrite), 2u);
  EXPECT_EQ(fs.op_count(OpCounter::kSync), 2u);
  EXPECT_EQ(fs.op_count(), 7u);
}

}  // namespace
}  // namespace rmq::store::testing
