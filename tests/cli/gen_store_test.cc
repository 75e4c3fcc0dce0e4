// rmq-gen-store, run as a process: every scenario's stores are read back with the record codec and checked
// against the JSON line the generator prints. Small files (64 KiB) keep each run in the milliseconds.
#include <gtest/gtest.h>

#include <set>

#include "broker/common/java_properties.h"
#include "broker/store/message_properties.h"
#include "tests/cli/gen_store_harness.h"

namespace rmq::gen_store_test {
namespace {

constexpr std::uint64_t kFileSize = 65536;

class GenStoreTest : public ::testing::Test {
 protected:
  // Runs a scenario into a fresh directory; fails the test unless it exits 0.
  nlohmann::json generate(const std::string& scenario, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--out", out().string(), "--scenario", scenario, "--file-size",
                                  std::to_string(kFileSize), "--seed", "7"};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult r = run_gen_store(args, tmp_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    return r.json();
  }
  fs::path out() const { return tmp_.path() / "pair"; }
  fs::path master() const { return out() / "master"; }
  fs::path slave() const { return out() / "slave"; }
  ScannedLog scan(const fs::path& root) const { return scan_commitlog(root / "commitlog", kFileSize); }

  TempDir tmp_;
};

void expect_clean(const ScannedLog& log) {
  EXPECT_FALSE(log.failure.has_value()) << store::to_string(*log.failure) << " at " << log.failure_offset;
  EXPECT_TRUE(log.problems.empty()) << log.problems.front();
}

std::vector<std::string> json_files(const nlohmann::json& j, const char* key) {
  return j.at(key).get<std::vector<std::string>>();
}

TEST_F(GenStoreTest, ConsistentPairIsIdenticalAndValid) {
  const nlohmann::json j = generate("consistent");
  const ScannedLog m = scan(master());
  expect_clean(m);
  EXPECT_GE(m.files.size(), 3u);  // about 2.5 files by default
  EXPECT_EQ(m.files, json_files(j, "master_files"));
  EXPECT_EQ(m.end_offset, j["master_max_offset"].get<std::int64_t>());
  EXPECT_EQ(m.records.size(), j["master_messages"].get<std::size_t>());
  EXPECT_TRUE(j["first_difference_offset"].is_null());
  for (const std::string& f : m.files) {
    EXPECT_EQ(read_bytes(master() / "commitlog" / f), read_bytes(slave() / "commitlog" / f)) << f;
  }
}

TEST_F(GenStoreTest, RecordsCarryTagsKeysAndIncreasingStoreTimes) {
  generate("consistent");
  const ScannedLog m = scan(master());
  std::set<std::string> topics;
  std::int64_t previous_store_ms = 0;
  for (const ScannedRecord& r : m.records) {
    topics.insert(r.record.topic);
    EXPECT_GT(r.record.store_timestamp_ms, previous_store_ms);
    previous_store_ms = r.record.store_timestamp_ms;
    EXPECT_TRUE(store::property_value(r.record.properties, store::property::kKeys).has_value());
    const auto uniq = store::property_value(r.record.properties, store::property::kUniqKey);
    ASSERT_TRUE(uniq.has_value());
    EXPECT_EQ(uniq->size(), 32u);
  }
  EXPECT_GE(topics.size(), 3u);
}

TEST_F(GenStoreTest, ConsumeQueueEntriesPointAtTheRecords) {
  generate("consistent");
  ConsumeQueueReader queues(master());
  for (const ScannedRecord& r : scan(master()).records) {
    const auto tags = store::property_value(r.record.properties, store::property::kTags);
    const auto entry = queues.entry(r.record.topic, r.record.queue_id, r.record.queue_offset);
    ASSERT_TRUE(entry.has_value()) << r.record.topic << "/" << r.record.queue_id << "@" << r.record.queue_offset;
    EXPECT_EQ(*entry, (store::ConsumeQueueEntry{r.offset, r.size, store::tags_hash_code(tags.value_or(""))}));
  }
}

TEST_F(GenStoreTest, StoreRootHasConfigCheckpointAndBrokerConf) {
  generate("consistent");
  EXPECT_EQ(fs::file_size(master() / "checkpoint"), 4096u);
  const common::Bytes checkpoint = read_bytes(master() / "checkpoint");
  EXPECT_EQ(common::load_i64_be(checkpoint.data()), scan(master()).records.back().record.store_timestamp_ms);
  for (const char* name : {"topics.json", "consumerOffset.json", "subscriptionGroup.json", "delayOffset.json"}) {
    EXPECT_TRUE(fs::exists(master() / "config" / name)) << name;
  }
  EXPECT_NE(read_text(master() / "config" / "consumerOffset.json").find("{0:"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::accept(read_text(master() / "config" / "topics.json")));

  const auto conf = common::JavaProperties::load(master() / "broker.conf");
  EXPECT_EQ(conf.get("brokerRole"), "ASYNC_MASTER");
  EXPECT_EQ(conf.get("brokerId"), "0");
  EXPECT_EQ(conf.get("storePathRootDir"), fs::absolute(master()).lexically_normal().string());
  EXPECT_EQ(conf.get("mappedFileSizeCommitLog"), std::to_string(kFileSize));
  const auto slave_conf = common::JavaProperties::load(slave() / "broker.conf");
  EXPECT_EQ(slave_conf.get("brokerRole"), "SLAVE");
  EXPECT_EQ(slave_conf.get("listenPort"), "10921");
}

TEST_F(GenStoreTest, SameSeedGivesIdenticalBytes) {
  const nlohmann::json j = generate("consistent", {"--messages", "50"});
  const RunResult again = run_gen_store({"--out", (tmp_.path() / "again").string(), "--scenario", "consistent",
                                         "--file-size", std::to_string(kFileSize), "--seed", "7", "--messages", "50"},
                                        tmp_.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const std::string& f : json_files(j, "master_files")) {
    EXPECT_EQ(read_bytes(master() / "commitlog" / f), read_bytes(tmp_.path() / "again" / "master" / "commitlog" / f));
  }
}

TEST_F(GenStoreTest, SlaveBehindIsAPrefixEndingInTheLastFile) {
  const nlohmann::json j = generate("slave-behind");
  const ScannedLog m = scan(master());
  const ScannedLog s = scan(slave());
  expect_clean(m);
  expect_clean(s);
  EXPECT_EQ(s.end_offset, j["slave_max_offset"].get<std::int64_t>());
  EXPECT_EQ(s.end_offset, j["first_difference_offset"].get<std::int64_t>());
  EXPECT_LT(s.end_offset, m.end_offset);
  EXPECT_EQ(s.files, m.files);
  EXPECT_LT(s.records.size(), m.records.size());
  EXPECT_GT(s.records.back().offset, std::stoll(m.files.back()));  // the slave ends inside the last file
  for (std::size_t i = 0; i < s.records.size(); ++i) EXPECT_EQ(s.records[i].record, m.records[i].record);
}

TEST_F(GenStoreTest, SlaveMissingFilesLacksTheOldestFile) {
  const nlohmann::json j = generate("slave-missing-files");
  const ScannedLog m = scan(master());
  const ScannedLog s = scan(slave());
  ASSERT_GE(m.files.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(m.files.begin() + 1, m.files.end()), s.files);
  EXPECT_EQ(j["slave_min_offset"].get<std::int64_t>(), static_cast<std::int64_t>(kFileSize));
  EXPECT_EQ(json_files(j, "missing_files"), std::vector<std::string>{m.files.front()});
  EXPECT_TRUE(j["first_difference_offset"].is_null());
  for (const std::string& f : s.files) {
    EXPECT_EQ(read_bytes(master() / "commitlog" / f), read_bytes(slave() / "commitlog" / f)) << f;
  }
}

TEST_F(GenStoreTest, DivergedSlaveHasOtherBodiesAtTheSameOffsets) {
  const nlohmann::json j = generate("diverged");
  const std::int64_t diverge_at = j["first_difference_offset"].get<std::int64_t>();
  EXPECT_NE(diverge_at % static_cast<std::int64_t>(kFileSize), 0);
  const ScannedLog m = scan(master());
  const ScannedLog s = scan(slave());
  expect_clean(m);
  expect_clean(s);
  ASSERT_EQ(m.records.size(), s.records.size());
  bool seen = false;
  for (std::size_t i = 0; i < m.records.size(); ++i) {
    EXPECT_EQ(m.records[i].offset, s.records[i].offset);
    if (m.records[i].offset < diverge_at) {
      EXPECT_EQ(m.records[i].record, s.records[i].record);
    } else {
      seen = seen || m.records[i].offset == diverge_at;
      EXPECT_NE(m.records[i].record.body, s.records[i].record.body);
      EXPECT_EQ(m.records[i].record.topic, s.records[i].record.topic);
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(GenStoreTest, CorruptMasterFailsCrcAtTheReportedRecord) {
  const nlohmann::json j = generate("corrupt-master");
  const ScannedLog m = scan(master());
  ASSERT_TRUE(m.failure.has_value());
  EXPECT_EQ(*m.failure, store::DecodeStatus::kBadCrc);
  EXPECT_EQ(m.failure_offset, j["corrupt_offset"].get<std::int64_t>());
  EXPECT_EQ(j["corrupt_side"], "master");
  expect_clean(scan(slave()));
}

TEST_F(GenStoreTest, CorruptSlaveFailsCrcAtTheReportedRecord) {
  const nlohmann::json j = generate("corrupt-slave");
  const ScannedLog s = scan(slave());
  ASSERT_TRUE(s.failure.has_value());
  EXPECT_EQ(*s.failure, store::DecodeStatus::kBadCrc);
  EXPECT_EQ(s.failure_offset, j["corrupt_offset"].get<std::int64_t>());
  expect_clean(scan(master()));
}

TEST_F(GenStoreTest, TornMasterEndsInARecordThatFailsAndZeros) {
  const nlohmann::json j = generate("torn-master");
  const std::int64_t torn = j["torn_offset"].get<std::int64_t>();
  const ScannedLog m = scan(master());
  ASSERT_TRUE(m.failure.has_value());
  EXPECT_TRUE(*m.failure == store::DecodeStatus::kBadSize || *m.failure == store::DecodeStatus::kBadCrc);
  EXPECT_EQ(m.failure_offset, torn);
  EXPECT_EQ(j["master_max_offset"].get<std::int64_t>(), torn);
  // Header intact, zeros from the middle of the body to the end of the file.
  const common::Bytes last = read_bytes(master() / "commitlog" / m.files.back());
  const std::size_t at = static_cast<std::size_t>(torn - std::stoll(m.files.back()));
  const std::int32_t size = common::load_i32_be(last.data() + at);
  EXPECT_EQ(common::load_i32_be(last.data() + at + 4), store::kMessageMagicV1);
  EXPECT_TRUE(std::all_of(last.begin() + static_cast<std::ptrdiff_t>(at + static_cast<std::size_t>(size)), last.end(),
                          [](auto b) { return b == 0; }));
  const ScannedLog s = scan(slave());
  expect_clean(s);
  EXPECT_EQ(s.records.back().offset, torn);
}

TEST_F(GenStoreTest, SlaveAheadHasRecordsAfterTheMasterEnd) {
  const nlohmann::json j = generate("slave-ahead");
  const ScannedLog m = scan(master());
  const ScannedLog s = scan(slave());
  expect_clean(m);
  expect_clean(s);
  EXPECT_GT(s.end_offset, m.end_offset);
  EXPECT_EQ(j["first_difference_offset"].get<std::int64_t>(), m.end_offset);
  EXPECT_EQ(j["slave_max_offset"].get<std::int64_t>(), s.end_offset);
  ASSERT_GT(s.records.size(), m.records.size());
  for (std::size_t i = 0; i < m.records.size(); ++i) EXPECT_EQ(s.records[i].record, m.records[i].record);
}

TEST_F(GenStoreTest, StrayFilesSitBesideTheLog) {
  const nlohmann::json j = generate("stray-file");
  EXPECT_TRUE(fs::exists(master() / "commitlog" / "00000000000000000000.bak"));
  EXPECT_TRUE(fs::exists(master() / "commitlog" / "notes.txt"));
  EXPECT_EQ(json_files(j, "stray_files").size(), 2u);
  expect_clean(scan(master()));
}

TEST_F(GenStoreTest, MasterOnlyHasNoSlave) {
  const nlohmann::json j = generate("master-only");
  EXPECT_TRUE(fs::exists(master() / "commitlog"));
  EXPECT_FALSE(fs::exists(slave()));
  EXPECT_FALSE(j.contains("slave_max_offset"));
}

TEST_F(GenStoreTest, Ipv6AndLongTopic) {
  generate("consistent", {"--ipv6", "--long-topic", "--messages", "40"});
  const ScannedLog m = scan(master());
  expect_clean(m);
  bool long_topic_seen = false;
  for (const ScannedRecord& r : m.records) {
    EXPECT_EQ(r.record.sys_flag & 0x30, 0x30);
    EXPECT_EQ(r.record.store_host.ip.size(), 16u);
    if (r.record.topic.size() == 200) {
      long_topic_seen = true;
      EXPECT_EQ(r.record.magic, store::kMessageMagicV2);
    } else {
      EXPECT_EQ(r.record.magic, store::kMessageMagicV1);
    }
  }
  EXPECT_TRUE(long_topic_seen);
}

TEST_F(GenStoreTest, FixedBodySize) {
  generate("consistent", {"--body-size", "4096", "--messages", "30"});
  for (const ScannedRecord& r : scan(master()).records) EXPECT_EQ(r.record.body.size(), 4096u);
}

TEST_F(GenStoreTest, UnknownScenarioIsAUsageError) {
  const RunResult r = run_gen_store({"--out", out().string(), "--scenario", "nope"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(master()));
}

TEST_F(GenStoreTest, RecordLargerThanTheFileIsAUsageError) {
  const RunResult r =
      run_gen_store({"--out", out().string(), "--scenario", "consistent", "--file-size", "1000", "--body-size", "4096"},
                    tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(master()));
}

TEST_F(GenStoreTest, NegativeFileSizeIsAUsageError) {
  const RunResult r =
      run_gen_store({"--out", out().string(), "--scenario", "consistent", "--file-size", "-5"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(master()));
}

TEST_F(GenStoreTest, MissingOptionIsAUsageError) {
  const RunResult r = run_gen_store({"--scenario", "consistent"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(GenStoreTest, ExistingStoreIsRefused) {
  fs::create_directories(master());
  const RunResult r = run_gen_store({"--out", out().string(), "--scenario", "consistent"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
}

}  // namespace
}  // namespace rmq::gen_store_test
