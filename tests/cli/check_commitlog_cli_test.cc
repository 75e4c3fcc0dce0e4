// `rmqctl check-commitlog` end to end: rmq-gen-store writes a Master-Slave pair for each scenario and prints
// the offsets it knows; the real rmqctl binary must reach the right verdict, offsets and exit code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/run_process.h"
#include "tests/unit/store/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using rmq::test_support::ProcessResult;
using rmq::test_support::run_process;

const std::string kRmqctl = RMQ_BINARY_DIR "/rmqctl";
const std::string kGenStore = RMQ_BINARY_DIR "/rmq-gen-store";

struct Generated {
  rmq::testing::TempDir tmp;
  nlohmann::json facts;
  fs::path master() const { return tmp.path() / "pair" / "master"; }
  fs::path slave() const { return tmp.path() / "pair" / "slave"; }
};

void generate(Generated& g, const std::string& scenario, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{kGenStore, "--out", (g.tmp.path() / "pair").string(), "--scenario", scenario,
                                "--seed", "11"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const ProcessResult r = run_process(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  g.facts = nlohmann::json::parse(r.out);
}

struct Checked {
  int exit_code;
  nlohmann::json report;
  std::string err;
};

Checked check(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kRmqctl, "check-commitlog"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-o");
  argv.push_back("json");
  const ProcessResult r = run_process(argv);
  Checked c{r.exit_code, nullptr, r.err};
  if (!r.out.empty()) c.report = nlohmann::json::parse(r.out);
  return c;
}

Checked check_pair(const Generated& g) {
  return check({"--master", g.master().string(), "--slave", g.slave().string()});
}

TEST(CheckCommitlogCli, ConsistentPairExitsZero) {
  Generated g;
  generate(g, "consistent");
  const Checked c = check_pair(g);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.report["verdict"], "CONSISTENT");
  EXPECT_EQ(c.report["exit_code"], 0);
  EXPECT_TRUE(c.report["first_difference_offset"].is_null());
  EXPECT_TRUE(c.report["recent_files_md5_equal"]);
  EXPECT_EQ(c.report["master"]["max_offset"], g.facts["master_max_offset"]);
  EXPECT_EQ(c.report["slaves"][0]["max_offset"], g.facts["slave_max_offset"]);
  EXPECT_EQ(c.report["master"]["min_offset"], 0);
}

TEST(CheckCommitlogCli, SlaveBehindInsideTheLastFile) {
  Generated g;
  generate(g, "slave-behind");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_EQ(c.report["verdict"], "SLAVE_BEHIND");
  EXPECT_TRUE(c.report["first_difference_offset"].is_null());
  EXPECT_EQ(c.report["slaves"][0]["max_offset"], g.facts["slave_max_offset"]);
  EXPECT_EQ(c.report["master"]["max_offset"], g.facts["master_max_offset"]);
  EXPECT_LT(g.facts["slave_max_offset"].get<std::int64_t>(), g.facts["master_max_offset"].get<std::int64_t>());
}

TEST(CheckCommitlogCli, SlaveMissingItsOlderFiles) {
  Generated g;
  generate(g, "slave-missing-files");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_EQ(c.report["verdict"], "SLAVE_MISSING_FILES");
  EXPECT_EQ(c.report["slaves"][0]["min_offset"], g.facts["slave_min_offset"]);
  EXPECT_TRUE(c.report["first_difference_offset"].is_null());
}

TEST(CheckCommitlogCli, DivergenceInTheMiddleOfAFile) {
  Generated g;
  generate(g, "diverged");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_EQ(c.report["verdict"], "DIVERGED");
  EXPECT_EQ(c.report["first_difference_offset"], g.facts["first_difference_offset"]);
  const auto diff = g.facts["first_difference_offset"].get<std::int64_t>();
  const auto file_size = g.facts["file_size"].get<std::int64_t>();
  EXPECT_NE(diff % file_size, 0) << "the generator should diverge inside a file";
  EXPECT_GT(c.report["slaves"][0]["slave_only_records"]["count"].get<int>(), 0);
}

TEST(CheckCommitlogCli, AFlippedBodyByteOnTheMasterIsCorrupt) {
  Generated g;
  generate(g, "corrupt-master");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 3);
  EXPECT_EQ(c.report["verdict"], "CORRUPT");
  EXPECT_EQ(c.report["first_corruption"]["side"], "master");
  EXPECT_EQ(c.report["first_corruption"]["offset"], g.facts["corrupt_offset"]);
  EXPECT_EQ(c.report["first_corruption"]["kind"], "bad_crc");
  EXPECT_EQ(c.report["master"]["max_offset"], g.facts["corrupt_offset"]);
}

TEST(CheckCommitlogCli, AFlippedBodyByteOnTheSlaveIsCorrupt) {
  Generated g;
  generate(g, "corrupt-slave");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 3);
  EXPECT_EQ(c.report["first_corruption"]["side"], "slave");
  EXPECT_EQ(c.report["first_corruption"]["offset"], g.facts["corrupt_offset"]);
  const auto& problems = c.report["slaves"][0]["problems"];
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0]["offset"], g.facts["corrupt_offset"]);
}

TEST(CheckCommitlogCli, ATornLastRecordOnTheMasterLeavesTheSlaveAhead) {
  Generated g;
  generate(g, "torn-master");
  const Checked c = check_pair(g);
  // Recovery would truncate the master's torn record; the slave holds it whole, so copying the master drops it.
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_EQ(c.report["verdict"], "SLAVE_AHEAD");
  EXPECT_TRUE(c.report["first_corruption"].is_null());
  EXPECT_EQ(c.report["master"]["max_offset"], g.facts["master_max_offset"]);
  ASSERT_EQ(c.report["master"]["problems"].size(), 1u);
  EXPECT_EQ(c.report["master"]["problems"][0]["kind"], "torn_tail");
  EXPECT_EQ(c.report["master"]["problems"][0]["offset"], g.facts["torn_offset"]);
  EXPECT_EQ(c.report["slaves"][0]["slave_only_records"]["first_offset"], g.facts["torn_offset"]);
  EXPECT_EQ(c.report["slaves"][0]["slave_only_records"]["count"], 1);
}

TEST(CheckCommitlogCli, TheSlaveAhead) {
  Generated g;
  generate(g, "slave-ahead");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_EQ(c.report["verdict"], "SLAVE_AHEAD");
  EXPECT_TRUE(c.report["first_difference_offset"].is_null());
  EXPECT_EQ(c.report["slaves"][0]["slave_only_records"]["first_offset"], g.facts["master_max_offset"]);
  EXPECT_EQ(c.report["slaves"][0]["slave_only_records"]["count"], 3);
  EXPECT_EQ(c.report["slaves"][0]["slave_only_records"]["end_offset"], g.facts["slave_max_offset"]);
}

TEST(CheckCommitlogCli, Ipv6HostsAndLongTopicsAreConsistent) {
  Generated g;
  generate(g, "consistent", {"--ipv6", "--long-topic"});
  const Checked c = check_pair(g);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.report["master"]["max_offset"], g.facts["master_max_offset"]);
  EXPECT_EQ(c.report["master"]["record_count"], g.facts["master_messages"]);
}

TEST(CheckCommitlogCli, AStrayFileIsReportedAndNotRead) {
  Generated g;
  generate(g, "stray-file");
  const Checked c = check_pair(g);
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_EQ(c.report["verdict"], "CONSISTENT");
  int strays = 0;
  for (const auto& p : c.report["master"]["problems"]) {
    EXPECT_EQ(p["kind"], "stray_file");
    EXPECT_TRUE(p["offset"].is_null());
    ++strays;
  }
  EXPECT_EQ(strays, 2);
}

TEST(CheckCommitlogCli, OneStoreAloneAndThroughItsBrokerConf) {
  Generated g;
  generate(g, "master-only");
  Checked c = check({"--store", g.master().string()});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.report["store"]["max_offset"], g.facts["master_max_offset"]);
  c = check({"-c", (g.master() / "broker.conf").string()});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.report["store"]["max_offset"], g.facts["master_max_offset"]);
}

TEST(CheckCommitlogCli, MatchesMd5sumOfTheNewestFiles) {
  Generated g;
  generate(g, "consistent");
  const Checked c = check_pair(g);
  for (const auto& f : c.report["master"]["files"]) {
    if (f["md5"].is_null()) continue;
    const ProcessResult md5 = run_process({"md5sum", (g.master() / "commitlog" / f["name"].get<std::string>()).string()});
    ASSERT_EQ(md5.exit_code, 0);
    EXPECT_EQ(md5.out.substr(0, 32), f["md5"].get<std::string>());
  }
}

TEST(CheckCommitlogCli, TheTextReportEndsWithTheNextStep) {
  Generated g;
  generate(g, "slave-behind");
  const ProcessResult r = run_process({kRmqctl, "check-commitlog", "--master", g.master().string(), "--slave",
                                       g.slave().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("verdict: SLAVE_BEHIND"), std::string::npos);
  EXPECT_NE(r.out.find("next step: "), std::string::npos);
  EXPECT_NE(r.out.find("copy the master's commitlog files to the slave"), std::string::npos);
}

TEST(CheckCommitlogCli, UsageAndConfigErrorsExitTwoWithOneLine) {
  Generated g;
  generate(g, "consistent");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--master", g.master().string()},
           {"--master", g.master().string(), "--slave", (g.tmp.path() / "absent").string()},
           {"--store", g.master().string(), "--slave", g.slave().string()},
           {"--master", g.master().string(), "--slave", g.slave().string(), "--files", "0"}}) {
    const ProcessResult r = run_process([&] {
      std::vector<std::string> argv{kRmqctl, "check-commitlog"};
      argv.insert(argv.end(), args.begin(), args.end());
      return argv;
    }());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
