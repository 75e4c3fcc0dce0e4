// DLedgerMessageStore over a single-node LocalReplicator: a legacy store from rmq-gen-store adopted and served
// across both regions at the original queue offsets, restart without rewriting the legacy prefix, consume
// queues rebuilt over both regions, dispatch of committed entries only (follower), queue offsets continued by
// a new leader from what was dispatched, the put path's refusals and failures, and the refusals at start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "broker/common/file_system_posix.h"
#include "broker/common/md5.h"
#include "broker/store/dledger_adoption.h"
#include "broker/store/dledger_error.h"
#include "broker/store/dledger_message_store.h"
#include "broker/store/consume_queue.h"
#include "broker/store/dledger_data_files.h"
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include "tests/cli/gen_store_harness.h"
#include "tests/unit/store/local_replicator.h"
#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;
using testing::decode_all;
using testing::eventually;
using testing::LocalReplicator;
using testing::make_message;

constexpr std::int64_t kFileSize = 65536;

// One node: its store root, its replicator and its message store.
struct Node {
  explicit Node(fs::path root_dir, std::string id = "n0") : root(std::move(root_dir)), self_id(std::move(id)) {}
  ~Node() { close(); }

  StoreConfig config() const {
    StoreConfig c = testing::small_config(root, kFileSize, static_cast<std::int64_t>(kDefaultConsumeQueueFileSize));
    return c;
  }
  DLedgerCommitLogOptions options() const {
    DLedgerCommitLogOptions o;
    o.self_id = self_id;
    o.index_file_bytes = 32 * 1024;
    return o;
  }
  void open() {
    auto start = DLedgerMessageStore::prepare(posix, config(), options());
    adoption = start->adoption;
    replicator = std::make_unique<LocalReplicator>(posix, start->adoption.entry_store_options, self_id);
    store = DLedgerMessageStore::open(std::move(start), *replicator);
  }
  void close() {
    if (store) store->shutdown();
    store.reset();
    if (replicator) replicator->entry_store().save_checkpoint();
    replicator.reset();
  }
  void lead(std::int64_t term) {
    replicator->become_leader(term);
    ASSERT_TRUE(eventually([&] { return store->ready_as_leader(); })) << "term " << term;
  }

  fs::path root;
  std::string self_id;
  common::PosixFileSystem posix;
  DLedgerAdoption adoption;
  std::unique_ptr<LocalReplicator> replicator;
  std::unique_ptr<DLedgerMessageStore> store;
};

std::optional<MessageRecord> get_one(MessageStore& store, const std::string& topic, std::int32_t queue_id,
                                     std::int64_t offset) {
  const GetResult r = store.get_messages(topic, queue_id, offset, 1, 1 << 24, nullptr);
  if (r.status != GetStatus::kFound) return std::nullopt;
  auto records = decode_all(r.records);
  if (records.size() != 1) return std::nullopt;
  return records.front();
}

gen_store_test::ScannedLog generate_legacy(const fs::path& scratch, const fs::path& root) {
  const auto run = gen_store_test::run_gen_store({"--out", (scratch / "gen").string(), "--scenario", "master-only",
                                                  "--messages", "300", "--file-size", std::to_string(kFileSize)},
                                                 scratch);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  fs::rename(scratch / "gen" / "master", root);
  return gen_store_test::scan_commitlog(root / "commitlog", kFileSize);
}

bool counted(const MessageRecord& r) {
  const std::int32_t tx = r.sys_flag & sysflag::kTransactionMask;
  return tx != sysflag::kTransactionPrepared && tx != sysflag::kTransactionRollback;
}

TEST(DLedgerMessageStore, GeneratedLegacyStoreIsServedAcrossBothRegionsAndSurvivesRestart) {
  TempDir dir;
  const fs::path root = dir.path() / "node";
  const auto log = generate_legacy(dir.path(), root);
  ASSERT_GT(log.records.size(), 100u);
  const std::string last_legacy = log.files.back();
  const std::int64_t divided = std::stoll(last_legacy) + kFileSize;

  Node node(root);
  node.open();
  EXPECT_TRUE(node.adoption.first_start);
  EXPECT_EQ(node.adoption.record.divided_offset, divided);
  EXPECT_EQ(node.adoption.legacy_data_end, log.end_offset);
  node.lead(1);
  for (const auto& scanned : log.records) {
    if (!counted(scanned.record)) continue;
    const auto got = get_one(*node.store, scanned.record.topic, scanned.record.queue_id, scanned.record.queue_offset);
    ASSERT_TRUE(got) << scanned.record.topic << "/" << scanned.record.queue_id << "@" << scanned.record.queue_offset;
    EXPECT_EQ(got->physical_offset, scanned.offset);
  }
  // New sends continue every queue's offsets, above the divided offset.
  const auto& last = log.records.back().record;
  const std::int64_t next = node.store->max_offset_in_queue(last.topic, last.queue_id);
  const PutResult put = testing::put(*node.store, make_message(last.topic, last.queue_id, "after", "TagA", "k1"));
  ASSERT_EQ(put.status, PutStatus::kOk) << put.detail;
  EXPECT_EQ(put.queue_offset, next);
  EXPECT_GE(put.physical_offset, divided + 48);
  ASSERT_TRUE(eventually([&] { return node.store->max_offset_in_queue(last.topic, last.queue_id) == next + 1; }));
  auto got = get_one(*node.store, last.topic, last.queue_id, next);
  ASSERT_TRUE(got);
  EXPECT_EQ(testing::body_of(*got), "after");
  EXPECT_EQ(got->physical_offset, put.physical_offset);
  // read_record on both sides of the divided offset; nothing at the blank or inside an entry header.
  ASSERT_TRUE(node.store->read_record(log.records.front().offset));
  ASSERT_TRUE(node.store->read_record(put.physical_offset));
  EXPECT_FALSE(node.store->read_record(log.end_offset));
  EXPECT_FALSE(node.store->read_record(put.physical_offset - 48));
  EXPECT_FALSE(node.store->read_record(divided));
  const QueryResult q = node.store->query_messages(last.topic, "k1", 10, 0, INT64_MAX);
  EXPECT_EQ(q.message_count, 1);
  // The dispatcher advances its dispatched index after it has written the entry's consume queue and index
  // entries, so the queue offset above can be visible a moment before the stats say 0 behind (seen under
  // ASan on a loaded machine: 171 bytes behind).
  ASSERT_TRUE(eventually([&] { return node.store->stats().dispatch_behind_bytes == 0; }));
  const StoreStats stats = node.store->stats();
  EXPECT_EQ(stats.divided_commitlog_offset, divided);
  EXPECT_EQ(stats.dispatch_behind_bytes, 0);
  EXPECT_EQ(stats.max_physical_offset, put.physical_offset + put.size_bytes);
  EXPECT_EQ(stats.min_physical_offset, 0);
  node.close();

  // Restart: the legacy prefix is not touched again, and everything is served as before.
  const std::string md5_before = common::md5_file_hex(root / "commitlog" / last_legacy);
  node.open();
  EXPECT_FALSE(node.adoption.first_start);
  EXPECT_EQ(common::md5_file_hex(root / "commitlog" / last_legacy), md5_before);
  EXPECT_EQ(node.adoption.record.last_file_md5, md5_before);
  node.lead(2);
  got = get_one(*node.store, last.topic, last.queue_id, next);
  ASSERT_TRUE(got);
  EXPECT_EQ(testing::body_of(*got), "after");
  const PutResult put2 = testing::put(*node.store, make_message(last.topic, last.queue_id, "again"));
  ASSERT_EQ(put2.status, PutStatus::kOk) << put2.detail;
  EXPECT_EQ(put2.queue_offset, next + 1);
  node.close();

  // Consume queues lost: rebuilt over both regions at open.
  fs::remove_all(root / "consumequeue");
  node.open();
  ASSERT_TRUE(eventually([&] { return node.store->max_offset_in_queue(last.topic, last.queue_id) == next + 2; }));
  for (const auto& scanned : log.records) {
    if (!counted(scanned.record)) continue;
    const auto again = get_one(*node.store, scanned.record.topic, scanned.record.queue_id, scanned.record.queue_offset);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->physical_offset, scanned.offset);
  }
  got = get_one(*node.store, last.topic, last.queue_id, next + 1);
  ASSERT_TRUE(got);
  EXPECT_EQ(testing::body_of(*got), "again");
}

TEST(DLedgerMessageStore, FollowerDispatchesCommittedEntriesOnlyAndANewLeaderContinuesQueueOffsets) {
  TempDir dir;
  Node leader(dir.path() / "a", "n0");
  Node follower(dir.path() / "b", "n1");
  leader.open();
  follower.open();
  follower.replicator->become_follower(1, "n0");
  leader.lead(1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(testing::put(*leader.store, make_message("T", i % 2, "m" + std::to_string(i))).status, PutStatus::kOk);
  }
  // Ship the leader's entries to the follower as they are; commit only the first six there.
  const auto entries = leader.replicator->read_entries(0, 100, 1 << 20);
  ASSERT_EQ(entries.size(), 11u);  // the no-op and ten messages
  for (const auto& e : entries) ASSERT_EQ(follower.replicator->append_as_follower(e), DLedgerAppendStatus::kOk);
  EXPECT_EQ(follower.store->max_offset_in_queue("T", 0), 0);  // nothing committed yet, nothing dispatched
  follower.replicator->commit_to(6);  // the no-op + m0..m5
  ASSERT_TRUE(eventually([&] { return follower.store->dispatch_status().dispatched_index == 6; }));
  EXPECT_EQ(follower.store->max_offset_in_queue("T", 0), 3);
  EXPECT_EQ(follower.store->max_offset_in_queue("T", 1), 3);
  EXPECT_EQ(follower.store->stats().dispatch_behind_bytes, 0);
  EXPECT_FALSE(follower.store->ready_as_leader());
  const PutResult refused = testing::put(*follower.store, make_message("T", 0, "x"));
  EXPECT_EQ(refused.status, PutStatus::kServiceNotAvailable);
  EXPECT_NE(refused.detail.find("leader is n0"), std::string::npos) << refused.detail;
  // Same bytes at the same positions on both replicas: reads by the leader's physical offsets work here.
  auto m4 = get_one(*follower.store, "T", 0, 2);
  ASSERT_TRUE(m4);
  EXPECT_EQ(testing::body_of(*m4), "m4");
  EXPECT_EQ(follower.store->read_record(m4->physical_offset), leader.store->read_record(m4->physical_offset));

  // The follower becomes leader: its no-op commits everything before it; queue offsets continue from the
  // dispatched consume queues (m6..m9 are committed now with the new term's entry).
  follower.replicator->become_leader(2);
  ASSERT_TRUE(eventually([&] { return follower.store->ready_as_leader(); }));
  const PutResult next = testing::put(*follower.store, make_message("T", 0, "m10"));
  ASSERT_EQ(next.status, PutStatus::kOk) << next.detail;
  EXPECT_EQ(next.queue_offset, 5);
  ASSERT_TRUE(eventually([&] { return follower.store->max_offset_in_queue("T", 0) == 6; }));
  for (std::int64_t q = 0; q < 6; ++q) {
    const auto r = get_one(*follower.store, "T", 0, q);
    ASSERT_TRUE(r) << q;
    EXPECT_EQ(testing::body_of(*r), "m" + std::to_string(2 * q)) << q;
  }
}

TEST(DLedgerMessageStore, ANewLeaderIsNotReadyUntilItsLogIsCommittedAndDispatched) {
  TempDir dir;
  Node node(dir.path() / "a");
  node.open();
  node.replicator->set_auto_commit(false);
  node.replicator->become_leader(1);  // the no-op waits for commit
  EXPECT_FALSE(node.store->ready_as_leader());
  std::optional<PutResult> result;
  node.store->put_message(make_message("T", 0, "early"), [&](const PutResult& r) { result = r; });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, PutStatus::kServiceNotAvailable);
  node.replicator->commit_to(0);
  ASSERT_TRUE(eventually([&] { return node.store->ready_as_leader(); }));

  // Appends that stay uncommitted: no answer, no dispatch, a real dispatch-behind figure once committed.
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) {
    node.store->put_message(make_message("T", 0, "p" + std::to_string(i)), [&](const PutResult& r) {
      EXPECT_EQ(r.status, PutStatus::kOk);
      ++answered;
    });
  }
  EXPECT_EQ(answered.load(), 0);
  EXPECT_EQ(node.store->max_offset_in_queue("T", 0), 0);
  node.replicator->commit_to(3);
  EXPECT_EQ(answered.load(), 3);
  ASSERT_TRUE(node.store->wait_dispatched(5000));
  EXPECT_EQ(node.store->max_offset_in_queue("T", 0), 3);
  EXPECT_EQ(node.store->stats().dispatch_behind_bytes, 0);
}

TEST(DLedgerMessageStore, FailedAppendsGiveBackOrRecountQueueOffsets) {
  TempDir dir;
  Node node(dir.path() / "a");
  node.open();
  node.lead(1);
  ASSERT_EQ(testing::put(*node.store, make_message("T", 0, "a")).queue_offset, 0);
  // Refused before anything was written: the queue offset is given back.
  node.replicator->fail_appends(ReplicateStatus::kBusy, /*after_write=*/false);
  EXPECT_EQ(testing::put(*node.store, make_message("T", 0, "busy")).status, PutStatus::kOsPageCacheBusy);
  node.replicator->clear_failure();
  ASSERT_EQ(testing::put(*node.store, make_message("T", 0, "b")).queue_offset, 1);
  // Written but not committed in time: the offset is used; puts wait until the log has settled, then the
  // table is rebuilt from what was dispatched.
  node.replicator->set_auto_commit(false);
  node.replicator->fail_appends(ReplicateStatus::kTimeout, /*after_write=*/true);
  EXPECT_EQ(testing::put(*node.store, make_message("T", 0, "slow")).status, PutStatus::kOsPageCacheBusy);
  node.replicator->clear_failure();
  std::optional<PutResult> refused;
  node.store->put_message(make_message("T", 0, "c"), [&](const PutResult& r) { refused = r; });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, PutStatus::kServiceNotAvailable);
  node.replicator->commit_to(node.replicator->status().end_index);  // "slow" commits after all
  node.replicator->set_auto_commit(true);
  ASSERT_TRUE(eventually([&] { return node.store->ready_as_leader(); }));
  const PutResult c = testing::put(*node.store, make_message("T", 0, "c"));
  ASSERT_EQ(c.status, PutStatus::kOk);
  EXPECT_EQ(c.queue_offset, 3);
  ASSERT_TRUE(eventually([&] { return node.store->max_offset_in_queue("T", 0) == 4; }));
  EXPECT_EQ(testing::body_of(*get_one(*node.store, "T", 0, 2)), "slow");
}

TEST(DLedgerMessageStore, RefusesToStartWithoutItsDLedgerStoreOrWithADifferentLegacyPrefix) {
  TempDir dir;
  const fs::path root = dir.path() / "node";
  const auto log = generate_legacy(dir.path(), root);
  Node node(root);
  node.open();
  node.lead(1);
  ASSERT_EQ(testing::put(*node.store, make_message("T", 0, "x")).status, PutStatus::kOk);
  node.close();

  // The DLedger store lost (a replaced disk): refused, naming the directory and the repair.
  fs::rename(root / "dledger-n0", dir.path() / "saved");
  try {
    node.open();
    FAIL() << "started without its DLedger store";
  } catch (const DLedgerStartRefused& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("dledger-n0/data is missing"), std::string::npos) << what;
    EXPECT_NE(what.find("re-seed"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  fs::rename(dir.path() / "saved", root / "dledger-n0");

  // A legacy file changed before its tail blank: refused.
  const fs::path last = root / "commitlog" / log.files.back();
  {
    std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(log.end_offset - std::stoll(log.files.back()) - 1));
    f.put('\x5A');
  }
  EXPECT_THROW(node.open(), DLedgerStartRefused);
  // And the lock was released again after the refusal (the process would exit; a test reopens).
}

TEST(DLedgerMessageStore, DiskReserveRefusesPutsButNotReads) {
  TempDir dir;
  Node node(dir.path() / "a");
  node.open();
  node.lead(1);
  ASSERT_EQ(testing::put(*node.store, make_message("T", 0, "before")).status, PutStatus::kOk);
  node.close();
  // Any real file system is more than 1% used: a reserve of 99% refuses every put.
  Node full(dir.path() / "a");
  auto config = full.config();
  config.disk_space_warning_level_percent = 1;
  auto start = DLedgerMessageStore::prepare(full.posix, config, full.options());
  full.replicator = std::make_unique<LocalReplicator>(full.posix, start->adoption.entry_store_options);
  full.store = DLedgerMessageStore::open(std::move(start), *full.replicator);
  full.lead(2);
  const PutResult refused = testing::put(*full.store, make_message("T", 0, "after"));
  EXPECT_EQ(refused.status, PutStatus::kServiceNotAvailable);
  EXPECT_NE(refused.detail.find("disk full"), std::string::npos) << refused.detail;
  EXPECT_TRUE(full.store->disk_space_problem().has_value());
  const auto got = get_one(*full.store, "T", 0, 0);
  ASSERT_TRUE(got);
  EXPECT_EQ(testing::body_of(*got), "before");
}

// After a crash (`abort` left behind) one queue may lag the others: dispatch resumes from the start of the
// data file that holds the queues' end, so the lagging queue is completed (entries already there are ignored).
TEST(DLedgerMessageStore, AfterACrashALaggingQueueIsCompletedFromTheDataFile) {
  TempDir dir;
  const fs::path root = dir.path() / "a";
  Node node(root);
  node.open();
  node.lead(1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(testing::put(*node.store, make_message("T", i % 2, "m" + std::to_string(i))).status, PutStatus::kOk);
  }
  ASSERT_TRUE(node.store->wait_dispatched(5000));
  node.close();
  fs::remove_all(root / "consumequeue" / "T" / "1");  // as if its pages never reached the disk
  rmq::testing::write_file(root / "abort", {});
  node.open();
  EXPECT_FALSE(node.store->last_exit_was_clean());
  ASSERT_TRUE(eventually([&] { return node.store->max_offset_in_queue("T", 1) == 5; }));
  EXPECT_EQ(node.store->max_offset_in_queue("T", 0), 5);
  for (std::int64_t q = 0; q < 5; ++q) {
    const auto r = get_one(*node.store, "T", 1, q);
    ASSERT_TRUE(r) << q;
    EXPECT_EQ(testing::body_of(*r), "m" + std::to_string(2 * q + 1));
  }
}

TEST(DLedgerMessageStore, StartsWithoutLegacyLogAtOffsetZero) {
  TempDir dir;
  Node node(dir.path() / "a");
  node.open();
  EXPECT_EQ(node.adoption.record.divided_offset, 0);
  node.lead(1);
  const PutResult r = testing::put(*node.store, make_message("T", 0, "x"));
  ASSERT_EQ(r.status, PutStatus::kOk);
  EXPECT_EQ(r.physical_offset, 48 + 167);  // after the 167-byte no-op entry at 0
  EXPECT_EQ(r.msg_ids.front(), message_id(HostAddress{{10, 0, 0, 7}, 10911}, 48 + 167));
}

}  // namespace
}  // namespace rmq::store

namespace rmq::store {
namespace {

int run_rmqctl(const std::string& args, std::string* out) {
  const fs::path rmqctl = fs::path(RMQ_BINARY_DIR) / "rmqctl";
  const std::string command = "'" + rmqctl.string() + "' " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out->append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DLedgerMessageStore, CheckCommitlogCoversTheLegacyRegionTheDividedOffsetAndEveryEntry) {
  if (!fs::exists(fs::path(RMQ_BINARY_DIR) / "rmqctl")) GTEST_SKIP() << "rmqctl not built";
  TempDir dir;
  const fs::path root = dir.path() / "node";
  const auto log = generate_legacy(dir.path(), root);
  const std::int64_t divided = std::stoll(log.files.back()) + kFileSize;
  Node node(root);
  node.open();
  node.lead(1);
  std::vector<PutResult> puts;
  for (int i = 0; i < 50; ++i) puts.push_back(testing::put(*node.store, make_message("T", i % 4, std::string(300, 'a' + i % 26))));
  node.close();

  std::string out;
  ASSERT_EQ(run_rmqctl("check-commitlog --store '" + root.string() + "' -o json", &out), 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  ASSERT_EQ(j["dledger"].size(), 1u) << out;
  const auto& d = j["dledger"][0];
  EXPECT_EQ(d["divided_commitlog_offset"], divided);
  EXPECT_EQ(d["legacy_end_offset"], divided);
  EXPECT_EQ(d["legacy_tail_blank"], true);
  EXPECT_EQ(d["entries"], 51);
  EXPECT_EQ(d["noop_entries"], 1);
  EXPECT_EQ(d["committed_index"], 50);
  EXPECT_TRUE(d["problems"].empty()) << out;

  // A flipped byte in a committed entry's message body: CORRUPT (exit 3), naming the entry's position.
  const std::int64_t victim = puts[20].physical_offset;  // record start = entry pos + 48
  const fs::path data_file = root / "dledger-n0" / "data" / DLedgerFileList::file_name(divided);
  {
    std::fstream f(data_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(victim - divided + 100));  // inside the 300-byte body
    f.put('\x01');
  }
  out.clear();
  EXPECT_EQ(run_rmqctl("check-commitlog --store '" + root.string() + "'", &out), 3) << out;
  EXPECT_NE(out.find("bad_entry at " + std::to_string(victim - 48)), std::string::npos) << out;
  EXPECT_NE(out.find("committed"), std::string::npos) << out;

  // The broker refuses to start on it (exit 3 at the process level): DLedgerCorruption naming the position.
  auto start = DLedgerMessageStore::prepare(node.posix, node.config(), node.options());
  try {
    LocalReplicator replicator(node.posix, start->adoption.entry_store_options);
    FAIL() << "opened a store with a damaged committed entry";
  } catch (const DLedgerCorruption& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(victim - 48)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rmq::store

namespace rmq::store {
namespace {

// A legacy master whose last record is torn (rmq-gen-store --scenario torn-master): adoption cuts the torn
// tail and writes the blank at the recovered end; queue entries of the torn record are dropped, so the first
// new send takes the torn record's queue offset instead of leaving a hole.
TEST(DLedgerMessageStore, AdoptsATornLegacyTailAndContinuesItsQueueWithoutAHole) {
  TempDir dir;
  const auto run = gen_store_test::run_gen_store({"--out", (dir.path() / "gen").string(), "--scenario",
                                                  "torn-master", "--messages", "200", "--file-size",
                                                  std::to_string(kFileSize)},
                                                 dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const fs::path root = dir.path() / "node";
  fs::rename(dir.path() / "gen" / "master", root);
  const auto log = gen_store_test::scan_commitlog(root / "commitlog", kFileSize);
  ASSERT_TRUE(log.failure.has_value()) << "expected a torn tail";
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next;
  for (const auto& scanned : log.records) {
    if (!counted(scanned.record)) continue;
    next[{scanned.record.topic, scanned.record.queue_id}] = scanned.record.queue_offset + 1;
  }
  {
    // The old master had dispatched the record that was torn: its queue points past the recovered end.
    const auto& [q, end] = *next.begin();
    ConsumeQueue cq(root / "consumequeue" / q.first / std::to_string(q.second), q.first, q.second,
                    static_cast<std::int64_t>(kDefaultConsumeQueueFileSize));
    cq.load_and_recover();
    ASSERT_EQ(cq.max_offset(), end);
    ASSERT_TRUE(cq.put(ConsumeQueueEntry{log.failure_offset, 120, 0}, end));
    cq.flush();
  }
  Node node(root);
  node.open();
  EXPECT_EQ(node.adoption.legacy_data_end, log.end_offset);
  node.lead(1);
  for (const auto& [queue, offset] : next) {
    EXPECT_EQ(node.store->max_offset_in_queue(queue.first, queue.second), offset) << queue.first << "/" << queue.second;
  }
  const auto& [queue, offset] = *next.begin();
  const PutResult put = testing::put(*node.store, make_message(queue.first, queue.second, "new"));
  ASSERT_EQ(put.status, PutStatus::kOk) << put.detail;
  EXPECT_EQ(put.queue_offset, offset);
  node.close();
  std::string out;
  const fs::path rmqctl = fs::path(RMQ_BINARY_DIR) / "rmqctl";
  if (fs::exists(rmqctl)) {
    EXPECT_EQ(run_rmqctl("check-commitlog --store '" + root.string() + "'", &out), 0) << out;
  }
}

}  // namespace
}  // namespace rmq::store
