// What a migration copies from a store root, built by hand: the commitlog data files but not strays, config/
// without unfinished *.tmp writes, the whole consumequeue/ tree, never abort/lock/checkpoint/index; and how a
// changed source is told from an unchanged one. Also the test hook's parser.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/common/java_properties.h"
#include "broker/common/mapped_file.h"
#include "migrate/migrate_inventory.h"
#include "migrate/migrate_test_hooks.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::migrate {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kSize = 4096;

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path r = tmp_.path();
    for (const char* name : {"00000000000000004096", "00000000000000008192"}) {
      rmq::testing::write_file(r / "commitlog" / name, std::vector<std::uint8_t>(kSize, 1));
    }
    rmq::testing::write_file(r / "commitlog" / "00000000000000004096.bak", {1});
    for (const char* name : {"topics.json", "topics.json.bak", "consumerOffset.json", "delayOffset.json.tmp"}) {
      rmq::testing::write_file(r / "config" / name, {'{', '}'});
    }
    rmq::testing::write_file(r / "consumequeue" / "T" / "0" / "00000000000000000000", {1, 2});
    rmq::testing::write_file(r / "consumequeue" / "T" / "1" / "00000000000000000000", {3});
    rmq::testing::write_file(r / "index" / "20240101000000000", {1});
    for (const char* name : {"abort", "lock", "checkpoint"}) rmq::testing::write_file(r / name, {1});
  }
  StoreLocation location() const { return {tmp_.path().string(), tmp_.path(), tmp_.path() / "commitlog", kSize, {}}; }
  rmq::testing::TempDir tmp_;
};

TEST_F(InventoryTest, ListsExactlyWhatEveryNodeReceives) {
  const Inventory inv = take_inventory(location(), kSize);
  std::vector<std::string> paths;
  for (const auto& i : inv.items) paths.push_back(i.rel_path);
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "commitlog/00000000000000004096", "commitlog/00000000000000008192", "config/consumerOffset.json",
                       "config/topics.json", "config/topics.json.bak", "consumequeue/T/0/00000000000000000000",
                       "consumequeue/T/1/00000000000000000000"}));
  EXPECT_EQ(inv.count(ItemKind::kCommitlog), 2u);
  EXPECT_EQ(inv.count(ItemKind::kConfig), 3u);
  EXPECT_EQ(inv.count(ItemKind::kConsumeQueue), 2u);
  EXPECT_EQ(inv.total_bytes(), 2 * kSize + 3 * 2 + 2 + 1);
  ASSERT_EQ(inv.left_behind.size(), 2u);
  EXPECT_NE(inv.left_behind[0].find(".bak"), std::string::npos);
  EXPECT_NE(inv.left_behind[1].find("delayOffset.json.tmp"), std::string::npos);
  EXPECT_EQ(inv.items[0].source_path, tmp_.path() / "commitlog" / "00000000000000004096");
}

TEST_F(InventoryTest, AMissingCommitlogDirectoryIsAnError) {
  StoreLocation loc = location();
  loc.commitlog_dir = tmp_.path() / "nowhere";
  EXPECT_THROW(take_inventory(loc, kSize), common::IoError);
}

TEST_F(InventoryTest, DifferencesNameWhatChangedAppearedOrVanished) {
  const nlohmann::json before = inventory_json(take_inventory(location(), kSize));
  EXPECT_TRUE(inventory_differences(before, before).empty());

  rmq::testing::write_file(tmp_.path() / "config" / "topics.json", {'{', ' ', '}'});
  fs::remove(tmp_.path() / "consumequeue" / "T" / "1" / "00000000000000000000");
  rmq::testing::write_file(tmp_.path() / "commitlog" / "00000000000000012288", std::vector<std::uint8_t>(kSize, 0));
  const auto diffs = inventory_differences(before, inventory_json(take_inventory(location(), kSize)));
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_NE(diffs[0].find("config/topics.json: 2 bytes then, 3 now"), std::string::npos) << diffs[0];
  EXPECT_NE(diffs[1].find("gone from the source"), std::string::npos) << diffs[1];
  EXPECT_NE(diffs[2].find("new in the source"), std::string::npos) << diffs[2];
  EXPECT_EQ(inventory_differences(before, nlohmann::json::array(), 2).size(), 2u);
}

TEST(TestHooksTest, ParsesEveryKillPointAndRefusesTypos) {
  EXPECT_EQ(TestHooks::parse("files:3").description(), "files:3");
  EXPECT_EQ(TestHooks::parse("half:1").description(), "half:1");
  EXPECT_EQ(TestHooks::parse("renamed:12").description(), "renamed:12");
  EXPECT_EQ(TestHooks::parse("phase:verify").description(), "phase:verify");
  EXPECT_FALSE(TestHooks().enabled());
  for (const char* bad : {"files", "files:0", "files:x", "phase:start", "explode:1", "half:-2"}) {
    EXPECT_THROW(TestHooks::parse(bad), common::ConfigError) << bad;
  }
  // Counts below the kill point pass through.
  TestHooks hooks = TestHooks::parse("files:3");
  hooks.file_journaled();
  hooks.file_journaled();
  hooks.file_renamed();
  hooks.phase_journaled("copy");
  SUCCEED();
}

}  // namespace
}  // namespace rmq::migrate
