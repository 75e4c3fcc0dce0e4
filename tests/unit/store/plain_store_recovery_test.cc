// DefaultMessageStore start and stop (storage.md 2.2-2.7): clean restart, lock refusal, torn tail after a
// crash, consume queues rebuilt from the commitlog, commitlog files removed below the queue, and a store
// written by rmq-gen-store (the Java layout) opened and served.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/store/commitlog_files.h"
#include "tests/cli/gen_store_harness.h"
#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using namespace rmq::store::testing;
using rmq::testing::TempDir;

common::Bytes file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return common::Bytes(std::istreambuf_iterator<char>(in), {});
}

// Puts `count` messages round-robin over 3 queues of topic T; bodies "m<i>".
void fill(MessageStore& store, int count) {
  for (int i = 0; i < count; ++i) {
    const PutResult r = put(store, make_message("T", i % 3, "m" + std::to_string(i) + std::string(200, '.'), "tag"));
    ASSERT_EQ(r.status, PutStatus::kOk) << r.detail;
  }
}

// Every message of fill() is readable through its queue with its queue offset.
void expect_filled(MessageStore& store, int count) {
  for (int q = 0; q < 3; ++q) {
    const GetResult r = store.get_messages("T", q, 0, 1000, 1 << 24, nullptr);
    const auto records = decode_all(r.records);
    const int expected = (count - q + 2) / 3;
    ASSERT_EQ(static_cast<int>(records.size()), expected) << "queue " << q;
    for (int k = 0; k < expected; ++k) {
      EXPECT_EQ(records[static_cast<std::size_t>(k)].queue_offset, k);
      EXPECT_EQ(body_of(records[static_cast<std::size_t>(k)]), "m" + std::to_string(k * 3 + q) + std::string(200, '.'));
    }
  }
}

TEST(PlainStoreRecoveryTest, CleanRestartKeepsEverything) {
  TempDir dir;
  std::int64_t end = 0;
  {
    auto store = DefaultMessageStore::open(small_config(dir.path()));
    EXPECT_TRUE(store->last_exit_was_clean());
    EXPECT_TRUE(fs::exists(dir.path() / "abort"));
    fill(*store, 60);  // ~15 KB over 4 KB files
    end = store->stats().max_physical_offset;
    store->shutdown();
  }
  EXPECT_FALSE(fs::exists(dir.path() / "abort"));
  const common::Bytes lock = file_bytes(dir.path() / "lock");
  EXPECT_EQ(std::string(lock.begin(), lock.end()), "lock");
  const common::Bytes checkpoint = file_bytes(dir.path() / "checkpoint");
  ASSERT_EQ(checkpoint.size(), 4096u);
  EXPECT_GT(common::load_i64_be(checkpoint.data()), 0) << "physicMsgTimestamp";
  EXPECT_GT(common::load_i64_be(checkpoint.data() + 8), 0) << "logicsMsgTimestamp";

  auto store = DefaultMessageStore::open(small_config(dir.path()));
  EXPECT_TRUE(store->last_exit_was_clean());
  EXPECT_EQ(store->stats().max_physical_offset, end);
  expect_filled(*store, 60);
  const PutResult next = put(*store, make_message("T", 0, "after"));
  EXPECT_EQ(next.queue_offset, 20);
  EXPECT_GE(next.physical_offset, end);
}

TEST(PlainStoreRecoveryTest, SecondOpenOfALockedStoreFails) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  try {
    DefaultMessageStore::open(small_config(dir.path()));
    FAIL() << "opened a locked store";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "store " + dir.path().string() + " is locked by another process (MQ already started)");
  }
  store->shutdown();
  EXPECT_NO_THROW(DefaultMessageStore::open(small_config(dir.path()))) << "released at shutdown";
}

TEST(PlainStoreRecoveryTest, TornTailIsTruncatedAndTheNextAppendLandsThere) {
  TempDir dir;
  std::int64_t end = 0;
  {
    auto store = DefaultMessageStore::open(small_config(dir.path()));
    fill(*store, 10);
    end = store->stats().max_physical_offset;
    store->shutdown();
  }
  // A crash half-way through a 300-byte record: its first 40 bytes (TOTALSIZE, magic, ...) are on disk.
  const fs::path file = dir.path() / "commitlog" / commitlog_file_name(end - end % 4096);
  {
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(end % 4096);
    const common::Bytes torn = {0x00, 0x00, 0x01, 0x2C, 0xDA, 0xA3, 0x20, 0xA7, 0x12, 0x34, 0x56, 0x78,
                                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
                                0xFF, 0xFF, 0xFF, 0xFF, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE,
                                0x00, 0x00, 0x00, 0x00};
    out.write(reinterpret_cast<const char*>(torn.data()), static_cast<std::streamsize>(torn.size()));
  }
  rmq::testing::write_file(dir.path() / "abort", {});
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  EXPECT_FALSE(store->last_exit_was_clean());
  EXPECT_EQ(store->stats().max_physical_offset, end);
  EXPECT_FALSE(store->recovery_stop_detail().empty());
  expect_filled(*store, 10);
  const PutResult r = put(*store, make_message("T", 1, "x"));
  EXPECT_EQ(r.physical_offset, end);
  EXPECT_EQ(r.queue_offset, 3);
  store->shutdown();
  const common::Bytes bytes = file_bytes(file);
  for (std::size_t i = static_cast<std::size_t>(end % 4096) + static_cast<std::size_t>(r.size_bytes); i < bytes.size(); ++i) {
    ASSERT_EQ(bytes[i], 0) << "byte " << i << " after the new record";
  }
}

TEST(PlainStoreRecoveryTest, DeletedConsumeQueuesAreRebuilt) {
  TempDir dir;
  {
    auto store = DefaultMessageStore::open(small_config(dir.path()));
    fill(*store, 40);
    store->shutdown();
  }
  fs::remove_all(dir.path() / "consumequeue");
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  expect_filled(*store, 40);
  EXPECT_EQ(put(*store, make_message("T", 2, "n")).queue_offset, 13);
}

TEST(PlainStoreRecoveryTest, QueueMinOffsetFollowsTheOldestCommitlogFile) {
  TempDir dir;
  {
    auto store = DefaultMessageStore::open(small_config(dir.path()));
    fill(*store, 60);
    store->shutdown();
  }
  fs::remove(dir.path() / "commitlog" / "00000000000000000000");
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  const std::int64_t min = store->min_offset_in_queue("T", 0);
  EXPECT_GT(min, 0);
  GetResult r = store->get_messages("T", 0, 0, 32, 1 << 20, nullptr);
  EXPECT_EQ(r.status, GetStatus::kOffsetTooSmall);
  EXPECT_EQ(r.next_begin_offset, min);
  r = store->get_messages("T", 0, min, 1, 1 << 20, nullptr);
  ASSERT_EQ(r.status, GetStatus::kFound);
  EXPECT_GE(decode_all(r.records)[0].physical_offset, 4096);
}

TEST(PlainStoreRecoveryTest, OpensAndServesAGeneratedJavaLayoutStore) {
  TempDir dir;
  const auto run = gen_store_test::run_gen_store(
      {"--out", (dir.path() / "gen").string(), "--scenario", "master-only", "--messages", "300", "--file-size",
       "65536"},
      dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const fs::path root = dir.path() / "gen" / "master";
  const gen_store_test::ScannedLog log = gen_store_test::scan_commitlog(root / "commitlog", 65536);
  ASSERT_GT(log.records.size(), 100u);
  StoreConfig config = small_config(root, 65536, static_cast<std::int64_t>(kDefaultConsumeQueueFileSize));
  {
    auto store = DefaultMessageStore::open(config);
    EXPECT_EQ(store->stats().max_physical_offset, log.end_offset);
    for (const auto& scanned : log.records) {
      const std::int32_t tx = scanned.record.sys_flag & sysflag::kTransactionMask;
      if (tx == sysflag::kTransactionPrepared || tx == sysflag::kTransactionRollback) continue;
      const GetResult r = store->get_messages(scanned.record.topic, scanned.record.queue_id,
                                              scanned.record.queue_offset, 1, 1 << 24, nullptr);
      ASSERT_EQ(r.status, GetStatus::kFound) << scanned.record.topic << "/" << scanned.record.queue_id << "@"
                                             << scanned.record.queue_offset;
      const auto records = decode_all(r.records);
      ASSERT_EQ(records.size(), 1u);
      EXPECT_EQ(records[0].physical_offset, scanned.offset);
    }
    const auto& last = log.records.back().record;
    const PutResult r = put(*store, make_message(last.topic, last.queue_id, "ours"));
    ASSERT_EQ(r.status, PutStatus::kOk);
    EXPECT_EQ(r.physical_offset, log.end_offset);
    store->shutdown();
  }
  const gen_store_test::ScannedLog after = gen_store_test::scan_commitlog(root / "commitlog", 65536);
  EXPECT_TRUE(after.problems.empty()) << after.problems.front();
  EXPECT_FALSE(after.failure.has_value());
  EXPECT_EQ(after.records.size(), log.records.size() + 1);
  const fs::path rmqctl = fs::path(RMQ_BINARY_DIR) / "rmqctl";
  if (fs::exists(rmqctl)) {
    const std::string command = "'" + rmqctl.string() + "' check-commitlog --store '" + root.string() + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
  }
}

}  // namespace
}  // namespace rmq::store
