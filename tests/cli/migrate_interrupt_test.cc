// Interruption: `rmqctl migrate` killed with SIGKILL at several points (the RMQ_MIGRATE_TEST_KILL_AT hook,
// migrate/migrate_test_hooks.h: with a copy half written under its temporary name, right after a rename
// before the journal records it, after N files, after each phase), then the same command run again. Every
// re-run resumes, the last one finishes, and the three nodes are byte-identical to the source, which never
// changes.
#include <gtest/gtest.h>

#include "tests/cli/migrate_test_support.h"

namespace rmq::migrate_test {
namespace {

class MigrateInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pair_ = generate_pair(tmp_.path(), "slave-behind");
    source_before_ = hash_tree(pair_.dir);
  }
  fs::path target() const { return tmp_.path() / "new"; }

  // Runs the migration with the kill hook set and expects it to die of SIGKILL.
  void run_killed_at(const std::string& point) {
    SpawnOptions options;
    options.env = {"RMQ_MIGRATE_TEST_KILL_AT=" + point};
    const ProcessResult r = run(rmqctl_test_hooks_path(), migrate_args(pair_, target()), tmp_.path(), options);
    EXPECT_EQ(r.term_signal, SIGKILL) << "kill point " << point << ": " << r.describe();
    EXPECT_EQ(hash_tree(pair_.dir), source_before_) << "the source changed (kill point " << point << ")";
  }

  nlohmann::json run_to_the_end() {
    const ProcessResult r = run(rmqctl_path(), migrate_args(pair_, target()), tmp_.path());
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(hash_tree(pair_.dir), source_before_);
    return r.json();
  }

  void expect_no_temporary_files() {
    for (const auto& e : fs::recursive_directory_iterator(target())) {
      EXPECT_EQ(e.path().filename().string().find(".rmqctl-tmp"), std::string::npos) << e.path();
    }
  }

  rmq::testing::TempDir tmp_;
  StorePair pair_;
  std::map<std::string, std::string> source_before_;
};

TEST_F(MigrateInterruptTest, KilledInTheMiddleOfTheCopyAtSeveralPointsThenResumedToTheEnd) {
  // Each run is killed further along; every later run resumes what the earlier ones left.
  run_killed_at("half:1");  // the very first copy, half written
  EXPECT_TRUE(fs::exists(target() / "rmqctl-migrate.journal"));
  run_killed_at("files:10");
  run_killed_at("renamed:7");  // a file in place that the journal does not know about
  run_killed_at("half:5");
  const nlohmann::json report = run_to_the_end();
  EXPECT_TRUE(report.at("resumed").get<bool>());
  EXPECT_TRUE(report.at("complete").get<bool>());
  expect_nodes_identical_to_source(report, pair_.master_root);
  expect_configs_valid(report);
  expect_no_temporary_files();
}

TEST_F(MigrateInterruptTest, KilledAfterEachPhaseThenResumed) {
  for (const char* phase : {"check", "copy", "verify", "configure"}) run_killed_at(std::string("phase:") + phase);
  // Killed after configure was journaled: the migration is finished, and a re-run only reports it.
  const nlohmann::json report = run_to_the_end();
  EXPECT_TRUE(report.at("already_finished").get<bool>());
  expect_nodes_identical_to_source(report, pair_.master_root);
  expect_configs_valid(report);
  expect_no_temporary_files();
}

TEST_F(MigrateInterruptTest, ACopyThatNoLongerMatchesIsCopiedAgain) {
  run_killed_at("phase:copy");
  // Damage one node's copy behind the journal's back, as a bad disk would.
  const fs::path victim = target() / "node01" / "commitlog" / "00000000000000000000";
  ASSERT_TRUE(fs::exists(victim));
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  const ProcessResult failed = run(rmqctl_path(), migrate_args(pair_, target()), tmp_.path());
  EXPECT_EQ(failed.exit_code, 5) << failed.describe();
  EXPECT_EQ(stopping_phase(failed.json()), "verify");
  EXPECT_NE(failed.out.find("copies it again"), std::string::npos) << failed.out;

  const nlohmann::json report = run_to_the_end();
  expect_nodes_identical_to_source(report, pair_.master_root);
}

}  // namespace
}  // namespace rmq::migrate_test
