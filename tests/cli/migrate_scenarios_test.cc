// rmqctl migrate over generated Master-Slave pairs, one per scenario the issue lists: each run ends in the
// right phase with the right exit code, the source hashes the same before and after, a completed migration
// leaves three nodes byte-identical to the source with configs gen-conf accepts, and re-running a finished
// migration changes nothing.
#include <gtest/gtest.h>

#include "tests/cli/migrate_test_support.h"

namespace rmq::migrate_test {
namespace {

struct Scenario {
  std::string name;
  std::vector<std::string> extra_args;
  int exit_code;
  std::string stopping_phase;  // "" when the migration completes
  std::string source = "master";
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

class MigrateScenarioTest : public ::testing::TestWithParam<Scenario> {
 protected:
  rmq::testing::TempDir tmp_;
};

TEST_P(MigrateScenarioTest, EndsInTheRightPhaseAndNeverChangesTheSource) {
  const Scenario& s = GetParam();
  const std::string gen_scenario = s.name.substr(0, s.name.find('+'));
  const StorePair pair = generate_pair(tmp_.path(), gen_scenario);
  const auto source_before = hash_tree(pair.dir);
  const fs::path target = tmp_.path() / "new";

  const ProcessResult r = run(rmqctl_path(), migrate_args(pair, target, s.extra_args), tmp_.path());
  ASSERT_EQ(r.exit_code, s.exit_code) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(report.at("exit_code"), s.exit_code);
  EXPECT_EQ(stopping_phase(report), s.stopping_phase) << r.out;
  EXPECT_EQ(hash_tree(pair.dir), source_before) << "the source changed";

  if (!s.stopping_phase.empty()) {
    // Stopped before copying: nothing was written anywhere.
    EXPECT_FALSE(fs::exists(target)) << "a refused migration wrote to the target";
    EXPECT_FALSE(report.at("messages").empty());
    return;
  }
  EXPECT_TRUE(report.at("complete").get<bool>());
  EXPECT_EQ(report.at("source").at("role"), s.source);
  expect_nodes_identical_to_source(report, s.source == "master" ? pair.master_root : pair.slave_root);
  expect_configs_valid(report);
  // DLedger begins at the boundary after the last legacy file that recovery keeps (storage.md 6.3).
  const std::int64_t divided = report.at("check").at("divided_offset");
  EXPECT_EQ(divided % static_cast<std::int64_t>(kFileSizeBytes), 0);
  EXPECT_GT(divided, report.at("check").at("max_offset").get<std::int64_t>());
  for (const auto& n : report.at("nodes")) EXPECT_EQ(n.at("dledger_begins_at"), divided);

  // A finished migration re-run is a no-op that prints the same summary.
  const auto target_before = hash_tree(target);
  const ProcessResult again = run(rmqctl_path(), migrate_args(pair, target, s.extra_args), tmp_.path());
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  const nlohmann::json second = again.json();
  EXPECT_TRUE(second.at("already_finished").get<bool>());
  EXPECT_EQ(second.at("files"), report.at("files"));
  EXPECT_EQ(second.at("configs"), report.at("configs"));
  EXPECT_EQ(second.at("check").at("divided_offset"), divided);
  EXPECT_EQ(hash_tree(target), target_before);
  EXPECT_EQ(hash_tree(pair.dir), source_before);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, MigrateScenarioTest,
    ::testing::Values(Scenario{"consistent", {}, 0, ""},
                      Scenario{"slave-behind", {}, 0, ""},
                      Scenario{"slave-missing-files", {}, 0, ""},
                      Scenario{"diverged", {}, 1, "check"},
                      Scenario{"slave-ahead", {}, 1, "check"},
                      Scenario{"corrupt-master", {}, 3, "check"},
                      Scenario{"corrupt-slave", {}, 3, "check"},
                      // The master's torn last record is what recovery drops; the slave holds it whole.
                      Scenario{"torn-master", {}, 1, "check"},
                      Scenario{"diverged+source-slave", {"--source", "slave"}, 0, "", "slave"},
                      Scenario{"slave-behind+source-slave", {"--source", "slave"}, 4, "check"}),
    [](const ::testing::TestParamInfo<Scenario>& param) {
      std::string name;
      for (char c : param.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

class MigrateTest : public ::testing::Test {
 protected:
  rmq::testing::TempDir tmp_;
};

TEST_F(MigrateTest, MasterOnlyMigratesTheMasterAlone) {
  const StorePair pair = generate_pair(tmp_.path(), "master-only");
  const auto source_before = hash_tree(pair.dir);
  const fs::path target = tmp_.path() / "new";
  const ProcessResult r = run(rmqctl_path(),
                              {"migrate", "--from", "master", "--master-conf", pair.master_conf.string(), "--peers",
                               kPeers, "--target-root", target.string(), "--yes", "-o", "json"},
                              tmp_.path());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(report.at("check").at("verdict"), "CONSISTENT");
  expect_nodes_identical_to_source(report, pair.master_root);
  expect_configs_valid(report);
  EXPECT_EQ(hash_tree(pair.dir), source_before);
}

TEST_F(MigrateTest, ADifferentPlanOverTheSameTargetIsRefused) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  const fs::path target = tmp_.path() / "new";
  ASSERT_EQ(run(rmqctl_path(), migrate_args(pair, target), tmp_.path()).exit_code, 0);
  const auto target_before = hash_tree(target);

  std::vector<std::string> args = migrate_args(pair, target);
  for (auto& a : args) {
    if (a == kPeers) a = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40999";
  }
  const ProcessResult r = run(rmqctl_path(), args, tmp_.path());
  ASSERT_EQ(r.exit_code, 4) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(stopping_phase(report), "preflight");
  ASSERT_FALSE(report.at("problems").empty());
  EXPECT_NE(report.at("problems")[0].at("text").get<std::string>().find("different migration"), std::string::npos);
  EXPECT_EQ(hash_tree(target), target_before);
}

TEST_F(MigrateTest, PreflightReportsEveryProblemAtOnce) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  // Three problems: the slave names another broker, a node's store root is not empty, a peer id repeats.
  std::string conf = read_text(pair.slave_conf);
  conf.replace(conf.find("brokerName=broker-a"), 19, "brokerName=broker-b");
  std::ofstream(pair.slave_conf, std::ios::trunc) << conf;
  const fs::path target = tmp_.path() / "new";
  fs::create_directories(target / "node01");
  std::ofstream(target / "node01" / "something") << "x";
  const auto target_before = hash_tree(target);
  const auto source_before = hash_tree(pair.dir);

  std::vector<std::string> args = migrate_args(pair, target);
  args.resize(args.size() - 2);  // text output
  for (auto& a : args) {
    if (a == kPeers) a = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n1-127.0.0.1:40913";
  }
  ProcessResult r = run(rmqctl_path(), args, tmp_.path());
  EXPECT_EQ(r.exit_code, 1) << r.describe();  // a repeated peer id means no node list, so no target check
  EXPECT_NE(r.out.find("Found problems:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("brokerName=broker-b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("appears twice"), std::string::npos) << r.out;

  for (auto& a : args) {
    if (a.find("n1-127.0.0.1:40913") != std::string::npos) a = kPeers;
  }
  r = run(rmqctl_path(), args, tmp_.path());
  EXPECT_EQ(r.exit_code, 4) << r.describe();  // a refusal (the non-empty node root) wins over exit 1
  EXPECT_NE(r.out.find("brokerName=broker-b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node01"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("is not empty"), std::string::npos) << r.out;
  EXPECT_EQ(hash_tree(target), target_before);
  EXPECT_EQ(hash_tree(pair.dir), source_before);
}

TEST_F(MigrateTest, TargetsInsideTheSourceAreRefused) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  const auto source_before = hash_tree(pair.dir);
  ProcessResult r = run(rmqctl_path(), migrate_args(pair, pair.master_root / "new"), tmp_.path());
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find("inside the master's store"), std::string::npos) << r.out;
  r = run(rmqctl_path(), migrate_args(pair, tmp_.path() / "new", {"--conf-out", pair.slave_root.string()}),
          tmp_.path());
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find("the source must never be written"), std::string::npos) << r.out;
  EXPECT_EQ(hash_tree(pair.dir), source_before);
}

TEST_F(MigrateTest, UsageErrorsExit2AndChangeNothing) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  const fs::path target = tmp_.path() / "new";

  // (--start is no longer refused: tests/cli/group_migrate_start_test.cc covers it.)
  std::vector<std::string> no_yes = migrate_args(pair, target);
  no_yes.erase(std::find(no_yes.begin(), no_yes.end(), "--yes"));
  ProcessResult r = run(rmqctl_path(), no_yes, tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;

  r = run(rmqctl_path(),
          {"migrate", "--from", "master", "--master-conf", pair.master_conf.string(), "--slave-conf",
           pair.slave_conf.string(), "--peers", kPeers, "--target-root", target.string(), "--yes"},
          tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.describe();

  r = run(rmqctl_path(), migrate_args(pair, target, {"--node", "n7=/tmp/x"}), tmp_.path());
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_FALSE(fs::exists(target));
}

}  // namespace
}  // namespace rmq::migrate_test
