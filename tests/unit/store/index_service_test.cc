// IndexService (storage.md 3.2): which keys are indexed, rolling to a new file when one is full, queries across
// files newest first within a time range and a count limit, reload, and the unclean-exit deletion rule.
#include "broker/store/index_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "broker/store/index_file.h"
#include "broker/store/message_properties.h"
#include "broker/store/message_record.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

constexpr std::int64_t kT0 = 1700000000000;  // whole seconds, so the file's 1-second time resolution is exact

std::string props(const PropertyList& list) { return format_properties(list); }

std::vector<std::string> index_files(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(IndexService, IndexesEveryKeysTokenAndTheUniqKey) {
  rmq::testing::TempDir dir;
  IndexService index((dir.path() / "index").string(), 101, 50);
  index.load(true, 0);
  index.build_index("TopicTest", props({{"KEYS", "order-1  order-2"}, {"UNIQ_KEY", "AC11000100002A9F0000000000000001"}}), 0,
                    0, kT0);
  index.build_index("TopicTest", props({{"KEYS", "order-2"}}), 0, 200, kT0 + 1000);
  index.build_index("Other", props({{"KEYS", "order-1"}}), 0, 300, kT0 + 2000);

  EXPECT_EQ(index.query("TopicTest", "order-1", 10, 0, kT0 + 10000).physical_offsets, std::vector<std::int64_t>{0});
  EXPECT_EQ(index.query("TopicTest", "order-2", 10, 0, kT0 + 10000).physical_offsets,
            (std::vector<std::int64_t>{200, 0}));
  EXPECT_EQ(index.query("TopicTest", "AC11000100002A9F0000000000000001", 10, 0, kT0 + 10000).physical_offsets,
            std::vector<std::int64_t>{0});
  EXPECT_EQ(index.query("Other", "order-1", 10, 0, kT0 + 10000).physical_offsets, std::vector<std::int64_t>{300});
  EXPECT_TRUE(index.query("TopicTest", "", 10, 0, kT0 + 10000).physical_offsets.empty());
  const auto hits = index.query("TopicTest", "nope", 10, 0, kT0 + 10000);
  EXPECT_TRUE(hits.physical_offsets.empty());
  EXPECT_EQ(hits.last_update_timestamp_ms, kT0 + 2000);
  EXPECT_EQ(hits.last_update_phy_offset, 300);
  EXPECT_EQ(index.max_physical_offset(), 300);
}

TEST(IndexService, SkipsRollbacksAndRecordsAlreadyIndexed) {
  rmq::testing::TempDir dir;
  IndexService index((dir.path() / "index").string(), 101, 50);
  index.load(true, 0);
  index.build_index("T", props({{"KEYS", "k"}}), sysflag::kTransactionRollback, 0, kT0);
  EXPECT_TRUE(index.query("T", "k", 10, 0, kT0 + 1000).physical_offsets.empty());
  index.build_index("T", props({{"KEYS", "k"}}), sysflag::kTransactionPrepared, 0, kT0);
  index.build_index("T", props({{"KEYS", "k"}}), sysflag::kTransactionCommit, 100, kT0);
  // Re-dispatch after a restart hands the same records again: nothing is added twice.
  index.build_index("T", props({{"KEYS", "k"}}), 0, 0, kT0);
  index.build_index("T", props({{"KEYS", "k"}}), 0, 100, kT0);
  EXPECT_EQ(index.query("T", "k", 10, 0, kT0 + 1000).physical_offsets, (std::vector<std::int64_t>{100, 0}));
}

TEST(IndexService, RollsWhenFullAndQueriesNewestFirstAcrossFiles) {
  rmq::testing::TempDir dir;
  const auto index_dir = dir.path() / "index";
  IndexService index(index_dir.string(), 7, 3);  // 2 entries per file
  index.load(true, 0);
  for (int i = 0; i < 7; ++i) {
    index.build_index("T", props({{"KEYS", "k"}}), 0, 100 * i, kT0 + 1000 * i);
  }
  const auto names = index_files(index_dir);
  ASSERT_EQ(names.size(), 4u);
  for (const auto& name : names) EXPECT_EQ(name.size(), 17u) << name;  // yyyyMMddHHmmssSSS
  EXPECT_EQ(std::filesystem::file_size(index_dir / names[0]), 40u + 7 * 4 + 3 * 20);
  // The third file filled at entry 6 (store time kT0+5000) and was flushed when the fourth was started.
  EXPECT_EQ(index.index_msg_timestamp(), kT0 + 5000);

  EXPECT_EQ(index.query("T", "k", 100, 0, kT0 + 100000).physical_offsets,
            (std::vector<std::int64_t>{600, 500, 400, 300, 200, 100, 0}));
  EXPECT_EQ(index.query("T", "k", 3, 0, kT0 + 100000).physical_offsets, (std::vector<std::int64_t>{600, 500, 400}));
  EXPECT_EQ(index.query("T", "k", 100, kT0 + 2000, kT0 + 4000).physical_offsets,
            (std::vector<std::int64_t>{400, 300, 200}));
  EXPECT_TRUE(index.query("T", "k", 100, kT0 + 7000, kT0 + 9000).physical_offsets.empty());
  EXPECT_TRUE(index.query("T", "k", 0, 0, kT0 + 100000).physical_offsets.empty());
}

TEST(IndexService, ReloadKeepsEverythingAfterACleanExit) {
  rmq::testing::TempDir dir;
  const auto index_dir = dir.path() / "index";
  {
    IndexService index(index_dir.string(), 7, 3);
    index.load(true, 0);
    for (int i = 0; i < 5; ++i) index.build_index("T", props({{"KEYS", "k"}}), 0, 100 * i, kT0 + 1000 * i);
    index.shutdown();
    index.shutdown();  // idempotent
  }
  IndexService index(index_dir.string(), 7, 3);
  index.load(true, 0);
  EXPECT_EQ(index.max_physical_offset(), 400);
  EXPECT_EQ(index.index_msg_timestamp(), kT0 + 3000);  // newest full file
  EXPECT_EQ(index.query("T", "k", 100, 0, kT0 + 100000).physical_offsets,
            (std::vector<std::int64_t>{400, 300, 200, 100, 0}));
  index.build_index("T", props({{"KEYS", "k"}}), 0, 400, kT0 + 4000);  // already there
  index.build_index("T", props({{"KEYS", "k"}}), 0, 500, kT0 + 5000);
  EXPECT_EQ(index.query("T", "k", 100, 0, kT0 + 100000).physical_offsets,
            (std::vector<std::int64_t>{500, 400, 300, 200, 100, 0}));
}

TEST(IndexService, UncleanExitDeletesFilesNewerThanTheCheckpoint) {
  rmq::testing::TempDir dir;
  const auto index_dir = dir.path() / "index";
  {
    IndexService index(index_dir.string(), 7, 3);
    index.load(true, 0);
    for (int i = 0; i < 5; ++i) index.build_index("T", props({{"KEYS", "k"}}), 0, 100 * i, kT0 + 1000 * i);
    // No shutdown: the files stay as a SIGKILL would leave them (mapped shared).
  }
  ASSERT_EQ(index_files(index_dir).size(), 3u);  // ends kT0+1000, kT0+3000, kT0+4000
  IndexService index(index_dir.string(), 7, 3);
  index.load(false, kT0 + 1000);  // checkpoint indexMsgTimestamp: only the first file is trusted
  EXPECT_EQ(index_files(index_dir).size(), 1u);
  EXPECT_EQ(index.max_physical_offset(), 100);
  EXPECT_EQ(index.query("T", "k", 100, 0, kT0 + 100000).physical_offsets, (std::vector<std::int64_t>{100, 0}));
  // Re-dispatch from the commitlog re-adds the rest exactly once.
  for (int i = 0; i < 5; ++i) index.build_index("T", props({{"KEYS", "k"}}), 0, 100 * i, kT0 + 1000 * i);
  EXPECT_EQ(index.query("T", "k", 100, 0, kT0 + 100000).physical_offsets,
            (std::vector<std::int64_t>{400, 300, 200, 100, 0}));
}

TEST(IndexService, LoadRejectsAFileOfTheWrongSize) {
  rmq::testing::TempDir dir;
  const auto index_dir = dir.path() / "index";
  rmq::testing::write_file(index_dir / "20261126120000000", common::Bytes(100, 0));
  rmq::testing::write_file(index_dir / "not-an-index-file", common::Bytes(3, 0));  // ignored
  IndexService index(index_dir.string(), 7, 3);
  try {
    index.load(true, 0);
    FAIL() << "accepted a 100-byte index file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("20261126120000000"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace rmq::store
