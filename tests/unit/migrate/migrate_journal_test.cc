// The migration journal: records survive reopening, a crash's torn last line is dropped and cut off before the
// next append, damage elsewhere is refused, and the replay applies later records over earlier ones.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/common/mapped_file.h"
#include "migrate/journal.h"
#include "migrate/journal_state.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::migrate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void append_raw(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

class JournalTest : public ::testing::Test {
 protected:
  fs::path path() const { return tmp_.path() / kJournalFileName; }
  json plan_record() const { return journal_record::plan("abc", {{"peers", "p"}}, json::array({{{"path", "x"}}})); }
  rmq::testing::TempDir tmp_;
};

TEST_F(JournalTest, AbsentJournalReadsAsNothing) { EXPECT_FALSE(read_journal(path()).has_value()); }

TEST_F(JournalTest, RecordsAreReadBackInOrderAfterReopening) {
  {
    auto w = JournalWriter::create(path(), plan_record());
    w->append(journal_record::source("commitlog/0", "m0"));
    w->append(journal_record::copied("n0", "commitlog/0", 10), JournalWriter::Durability::kSoon);
    w->sync();
  }
  {
    auto w = JournalWriter::open_existing(path());
    w->append(journal_record::verified("n0", "commitlog/0", "m0"));
  }
  const auto contents = read_journal(path());
  ASSERT_TRUE(contents.has_value());
  EXPECT_FALSE(contents->had_torn_tail);
  ASSERT_EQ(contents->records.size(), 4u);
  EXPECT_EQ(contents->records[0]["type"], "plan");
  EXPECT_EQ(contents->records[3]["type"], "verified");
  EXPECT_TRUE(contents->records[1].contains("at"));
}

TEST_F(JournalTest, CreateRefusesAnExistingJournal) {
  JournalWriter::create(path(), plan_record());
  EXPECT_THROW(JournalWriter::create(path(), plan_record()), common::IoError);
}

TEST_F(JournalTest, ATornLastLineIsDroppedAndCutOffBeforeTheNextAppend) {
  JournalWriter::create(path(), plan_record())->append(journal_record::source("a", "1"));
  append_raw(path(), R"({"type":"source","path":"b","md5)");  // a crash in the middle of a write
  auto contents = read_journal(path());
  ASSERT_TRUE(contents.has_value());
  EXPECT_TRUE(contents->had_torn_tail);
  EXPECT_EQ(contents->records.size(), 2u);

  JournalWriter::open_existing(path())->append(journal_record::source("c", "3"));
  contents = read_journal(path());
  EXPECT_FALSE(contents->had_torn_tail);
  ASSERT_EQ(contents->records.size(), 3u);
  EXPECT_EQ(contents->records[2]["path"], "c");
  EXPECT_EQ(read_text(path()).find("\"b\""), std::string::npos);
}

TEST_F(JournalTest, ACompleteButUnparsableLastLineIsTornToo) {
  JournalWriter::create(path(), plan_record());
  append_raw(path(), std::string("\0\0\0\0\n", 5));  // zeros a file system may show after a crash
  const auto contents = read_journal(path());
  EXPECT_TRUE(contents->had_torn_tail);
  EXPECT_EQ(contents->records.size(), 1u);
}

TEST_F(JournalTest, DamageBeforeTheLastLineIsRefused) {
  JournalWriter::create(path(), plan_record());
  append_raw(path(), "not json\n");
  append_raw(path(), journal_record::source("a", "1").dump() + "\n");
  EXPECT_THROW(read_journal(path()), JournalError);
}

TEST_F(JournalTest, AnEmptyOrForeignFileIsRefused) {
  std::ofstream(path()) << "";
  EXPECT_THROW(read_journal(path()), JournalError);
  std::ofstream(path(), std::ios::trunc) << "[1,2]\n{\"type\":\"plan\"}\n";
  EXPECT_THROW(read_journal(path()), JournalError);
}

TEST_F(JournalTest, ReplayAppliesLaterRecordsOverEarlierOnes) {
  const std::vector<json> records{
      plan_record(),
      journal_record::phase("check", "ok"),
      journal_record::source("commitlog/0", "aaa"),
      journal_record::copied("n0", "commitlog/0", 100),
      journal_record::verified("n0", "commitlog/0", "aaa"),
      journal_record::copied("n1", "commitlog/0", 100),
      journal_record::mismatch("n1", "commitlog/0", "bbb", "aaa"),
      journal_record::config("n0", "/c/broker-n0.conf", "ccc"),
      journal_record::phase("check", "again"),
  };
  const JournalState s = replay_journal(records);
  EXPECT_EQ(s.plan_id, "abc");
  EXPECT_EQ(s.plan["peers"], "p");
  EXPECT_EQ(s.phases_done, std::vector<std::string>{"check"});
  EXPECT_EQ(s.phase_details.at("check"), "again");
  EXPECT_FALSE(s.finished());
  EXPECT_EQ(s.source_md5.at("commitlog/0"), "aaa");
  ASSERT_NE(s.file("n0", "commitlog/0"), nullptr);
  EXPECT_EQ(s.file("n0", "commitlog/0")->progress, FileProgress::kVerified);
  EXPECT_EQ(s.file("n0", "commitlog/0")->size_bytes, 100u);
  EXPECT_EQ(s.file("n1", "commitlog/0")->progress, FileProgress::kMismatch);
  EXPECT_EQ(s.file("n2", "commitlog/0"), nullptr);
  EXPECT_EQ(s.configs.at("n0").second, "ccc");

  std::vector<json> finished = records;
  finished.push_back(journal_record::phase("configure", "done"));
  EXPECT_TRUE(replay_journal(finished).finished());
}

TEST_F(JournalTest, ReplayRefusesWhatItDoesNotUnderstand) {
  EXPECT_THROW(replay_journal({}), JournalError);
  EXPECT_THROW(replay_journal({journal_record::source("a", "b")}), JournalError);  // no plan first
  json other_format = plan_record();
  other_format["format"] = kJournalFormat + 1;
  EXPECT_THROW(replay_journal({other_format}), JournalError);
  EXPECT_THROW(replay_journal({plan_record(), json{{"type", "teleported"}}}), JournalError);
  EXPECT_THROW(replay_journal({plan_record(), json{{"type", "copied"}, {"node", "n0"}}}), JournalError);
}

}  // namespace
}  // namespace rmq::migrate
