// check-commitlog's comparison: one test per verdict, asserting verdict, offsets and exit code.
#include "migrate/commitlog_check.h"

#include <gtest/gtest.h>

#include "broker/common/java_properties.h"
#include "broker/common/md5.h"
#include "tests/unit/store/sample_log.h"

namespace rmq::migrate {
namespace {

using rmq::testing::SampleLogOptions;
using rmq::testing::TempDir;
using rmq::testing::write_sample_log;

StoreLocation at(const std::filesystem::path& dir) { return resolve_store_location(dir.string()); }

struct Pair {
  TempDir tmp;
  std::filesystem::path master() const { return tmp.path() / "master" / "commitlog"; }
  std::filesystem::path slave() const { return tmp.path() / "slave" / "commitlog"; }
  CheckReport check() const { return check_commitlogs(at(tmp.path() / "master"), {at(tmp.path() / "slave")}, {}); }
};

SampleLogOptions log_of(int count) {
  SampleLogOptions o;
  o.count = count;
  return o;
}

TEST(CheckCommitlogs, IdenticalLogsAreConsistent) {
  Pair p;
  const auto offsets = write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(60));
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kConsistent);
  EXPECT_EQ(exit_code_for(r.verdict), 0);
  EXPECT_FALSE(r.first_difference_offset.has_value());
  EXPECT_TRUE(r.recent_files_md5_equal);
  EXPECT_EQ(r.master.scan.max_offset, rmq::testing::sample_record_end(offsets.back(), 59));
  EXPECT_EQ(r.slaves[0].scan.max_offset, r.master.scan.max_offset);
  ASSERT_EQ(r.master.recent_digests.size(), 2u);
  EXPECT_EQ(r.master.recent_digests[1].md5, common::md5_file_hex(r.master.files.files.back().path));
}

TEST(CheckCommitlogs, ASlaveThatStopsInsideTheLastFileIsBehind) {
  Pair p;
  const auto offsets = write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(58));
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kSlaveBehind);
  EXPECT_EQ(exit_code_for(r.verdict), 1);
  EXPECT_FALSE(r.first_difference_offset.has_value());
  EXPECT_FALSE(r.recent_files_md5_equal);
  EXPECT_EQ(r.slaves[0].scan.max_offset, offsets[58]);
  EXPECT_NE(r.next_step.find("copy the master"), std::string::npos);
}

TEST(CheckCommitlogs, ASlaveWithoutTheOldestFilesIsMissingFiles) {
  Pair p;
  write_sample_log(p.master(), log_of(60));
  SampleLogOptions slave = log_of(60);
  slave.first_file = 1;
  write_sample_log(p.slave(), slave);
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kSlaveMissingFiles);
  EXPECT_EQ(r.slaves[0].scan.min_offset, static_cast<std::int64_t>(rmq::testing::kSampleFileSize));
  EXPECT_TRUE(r.recent_files_md5_equal);
}

TEST(CheckCommitlogs, DifferentRecordsInTheMiddleOfAFileAreDivergedAtThatRecord) {
  Pair p;
  const auto offsets = write_sample_log(p.master(), log_of(60));
  SampleLogOptions slave = log_of(62);
  slave.diverge_from = 25;
  write_sample_log(p.slave(), slave);
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kDiverged);
  ASSERT_TRUE(r.first_difference_offset.has_value());
  EXPECT_EQ(*r.first_difference_offset, offsets[25]);
  EXPECT_EQ(r.comparisons[0].slave_only_records.count, 62u - 25u);
  EXPECT_EQ(r.comparisons[0].slave_only_records.first_offset, offsets[25]);
  EXPECT_EQ(exit_code_for(r.verdict), 1);
}

TEST(CheckCommitlogs, AFlippedBodyByteOnTheSlaveIsCorruptAtThatRecord) {
  Pair p;
  const auto offsets = write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(60));
  rmq::testing::set_byte_at(p.slave(), offsets[30] + 90, 'Z');
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kCorrupt);
  EXPECT_EQ(exit_code_for(r.verdict), 3);
  ASSERT_NE(r.slaves[0].first_corruption(), nullptr);
  EXPECT_EQ(r.slaves[0].first_corruption()->offset, offsets[30]);
  EXPECT_EQ(r.slaves[0].first_corruption()->kind, "bad_crc");
  EXPECT_EQ(r.master.first_corruption(), nullptr);
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["first_corruption"]["side"], "slave");
  EXPECT_EQ(j["first_corruption"]["offset"], offsets[30]);
}

TEST(CheckCommitlogs, ATornLastRecordOnTheMasterIsAWarningAndTheLogEndsBeforeIt) {
  Pair p;
  const auto offsets = write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(59));
  const std::int64_t end = rmq::testing::sample_record_end(offsets[59], 59);
  for (std::int64_t o = end - 40; o < end; ++o) rmq::testing::set_byte_at(p.master(), o, 0);
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kConsistent);
  EXPECT_EQ(r.master.first_corruption(), nullptr);
  ASSERT_EQ(r.master.all_problems().size(), 1u);
  EXPECT_EQ(r.master.all_problems()[0].kind, "torn_tail");
  EXPECT_EQ(r.master.all_problems()[0].offset, offsets[59]);
  EXPECT_EQ(r.master.scan.max_offset, offsets[59]);
}

TEST(CheckCommitlogs, ASlaveThatLacksOnlyThePreAllocatedNextFileIsConsistent) {
  Pair p;
  const auto offsets = write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(60));
  // Cut both logs after file 0's blank; the master keeps file 1 as a zero (pre-allocated) file.
  const auto size = static_cast<std::int64_t>(rmq::testing::kSampleFileSize);
  for (std::int64_t start = size; std::filesystem::exists(p.slave() / store::commitlog_file_name(start)); start += size) {
    std::filesystem::remove(p.slave() / store::commitlog_file_name(start));
    std::filesystem::remove(p.master() / store::commitlog_file_name(start));
  }
  rmq::testing::write_file(p.master() / store::commitlog_file_name(size), store::Bytes(static_cast<std::size_t>(size), 0));
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kConsistent) << r.next_step;
  EXPECT_LT(offsets.back(), 100 * size);
}

TEST(CheckCommitlogs, ASlaveThatStartsAfterTheMastersEndIsAheadAndDisjoint) {
  Pair p;
  write_sample_log(p.master(), log_of(20));
  SampleLogOptions slave = log_of(120);
  slave.first_file = 5;
  write_sample_log(p.slave(), slave);
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kSlaveAhead);
  EXPECT_TRUE(r.comparisons[0].logs_disjoint);
  EXPECT_NE(r.next_step.find("do not overlap"), std::string::npos);
}

TEST(CheckCommitlogs, AMasterWithoutCommitlogFilesIsAConfigError) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "m" / "commitlog");
  write_sample_log(tmp.path() / "s" / "commitlog", log_of(10));
  EXPECT_THROW(check_commitlogs(at(tmp.path() / "m"), {at(tmp.path() / "s")}, {}), common::ConfigError);
  EXPECT_THROW(check_single_store(at(tmp.path() / "m"), {}), common::ConfigError);
}

TEST(CheckCommitlogs, AFileNameBeyondInt64IsAStrayNotACrash) {
  Pair p;
  write_sample_log(p.master(), log_of(10));
  write_sample_log(p.slave(), log_of(10));
  rmq::testing::write_file(p.master() / "99999999999999999999", store::Bytes(16, 0));
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kConsistent);
  ASSERT_EQ(r.master.all_problems().size(), 1u);
  EXPECT_EQ(r.master.all_problems()[0].kind, "stray_file");
}

TEST(CheckCommitlogs, ASlaveWithRecordsPastTheMastersEndIsAhead) {
  Pair p;
  write_sample_log(p.master(), log_of(50));
  const auto offsets = write_sample_log(p.slave(), log_of(55));
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kSlaveAhead);
  EXPECT_FALSE(r.first_difference_offset.has_value());
  EXPECT_EQ(r.comparisons[0].slave_only_records.count, 5u);
  EXPECT_EQ(r.comparisons[0].slave_only_records.first_offset, offsets[50]);
  EXPECT_NE(r.next_step.find("exist only on the slave"), std::string::npos);
}

TEST(CheckCommitlogs, AStrayFileIsAWarningThatDoesNotChangeTheVerdict) {
  Pair p;
  write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(60));
  rmq::testing::write_file(p.master() / "00000000000000000000.bak", {1, 2, 3});
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kConsistent);
  ASSERT_EQ(r.master.all_problems().size(), 1u);
  EXPECT_EQ(r.master.all_problems()[0].kind, "stray_file");
}

TEST(CheckCommitlogs, ThePreAllocatedZeroFileIsNotAmongTheNewestFilesHashed) {
  Pair p;
  SampleLogOptions master = log_of(60);
  master.extra_zero_files = 1;
  write_sample_log(p.master(), master);
  write_sample_log(p.slave(), log_of(60));
  const CheckReport r = p.check();
  EXPECT_EQ(r.verdict, Verdict::kConsistent);
  EXPECT_TRUE(r.recent_files_md5_equal);
}

TEST(CheckCommitlogs, WithSeveralSlavesTheWorstVerdictWins) {
  TempDir tmp;
  write_sample_log(tmp.path() / "m" / "commitlog", log_of(60));
  write_sample_log(tmp.path() / "s1" / "commitlog", log_of(60));
  write_sample_log(tmp.path() / "s2" / "commitlog", log_of(40));
  const CheckReport r =
      check_commitlogs(at(tmp.path() / "m"), {at(tmp.path() / "s1"), at(tmp.path() / "s2")}, {});
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::kConsistent);
  EXPECT_EQ(r.comparisons[1].verdict, Verdict::kSlaveBehind);
  EXPECT_EQ(r.verdict, Verdict::kSlaveBehind);
}

TEST(CheckCommitlogs, TheJsonReportHasTheDocumentedFields) {
  Pair p;
  write_sample_log(p.master(), log_of(60));
  write_sample_log(p.slave(), log_of(60));
  const nlohmann::json j = to_json(p.check());
  for (const char* key : {"verdict", "exit_code", "first_difference_offset", "recent_files_md5_equal",
                          "first_corruption", "next_step", "master", "slaves"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* key : {"dir", "min_offset", "max_offset", "files", "problems"}) {
    EXPECT_TRUE(j["master"].contains(key)) << key;
    EXPECT_TRUE(j["slaves"][0].contains(key)) << key;
  }
  EXPECT_EQ(j["verdict"], "CONSISTENT");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_TRUE(j["first_difference_offset"].is_null());
  const auto& file = j["master"]["files"][0];
  EXPECT_TRUE(file.contains("name") && file.contains("size") && file.contains("md5"));
}

TEST(CheckCommitlogs, DifferentFileSizesAreAConfigError) {
  TempDir tmp;
  write_sample_log(tmp.path() / "m" / "commitlog", log_of(10));
  rmq::testing::write_file(tmp.path() / "s" / "commitlog" / "00000000000000000000", store::Bytes(4096, 0));
  EXPECT_THROW(check_commitlogs(at(tmp.path() / "m"), {at(tmp.path() / "s")}, {}), common::ConfigError);
}

TEST(CheckSingleStore, ReportsCorruptionInOneStore) {
  TempDir tmp;
  const auto offsets = write_sample_log(tmp.path() / "commitlog", log_of(20));
  EXPECT_EQ(check_single_store(at(tmp.path()), {}).verdict, Verdict::kConsistent);
  rmq::testing::set_byte_at(tmp.path() / "commitlog", offsets[7] + 90, 'Z');
  const CheckReport r = check_single_store(at(tmp.path()), {});
  EXPECT_EQ(r.verdict, Verdict::kCorrupt);
  EXPECT_EQ(to_json(r)["store"]["problems"][0]["offset"], offsets[7]);
}

TEST(ResolveStoreLocation, AcceptsARootACommitlogDirOrABrokerConf) {
  TempDir tmp;
  write_sample_log(tmp.path() / "root" / "commitlog", log_of(5));
  EXPECT_EQ(at(tmp.path() / "root").commitlog_dir, tmp.path() / "root" / "commitlog");
  EXPECT_EQ(at(tmp.path() / "root" / "commitlog").commitlog_dir, tmp.path() / "root" / "commitlog");
  const auto conf = tmp.path() / "broker.conf";
  const std::string text = "storePathRootDir=" + (tmp.path() / "root").string() + "\nmappedFileSizeCommitLog=2048\n";
  rmq::testing::write_file(conf, store::Bytes(text.begin(), text.end()));
  const StoreLocation loc = at(conf);
  EXPECT_EQ(loc.commitlog_dir, tmp.path() / "root" / "commitlog");
  EXPECT_EQ(loc.file_size_bytes, 2048u);
  EXPECT_THROW(at(tmp.path() / "absent"), common::ConfigError);
  // A commitlog file, a file that is not a broker config, a store root whose commitlog lives elsewhere.
  EXPECT_THROW(at(tmp.path() / "root" / "commitlog" / "00000000000000000000"), common::ConfigError);
  const auto notes = tmp.path() / "notes.txt";
  rmq::testing::write_file(notes, {'h', 'i', '\n'});
  EXPECT_THROW(at(notes), common::ConfigError);
  std::filesystem::create_directories(tmp.path() / "elsewhere" / "config");
  EXPECT_THROW(at(tmp.path() / "elsewhere"), common::ConfigError);
}

}  // namespace
}  // namespace rmq::migrate
