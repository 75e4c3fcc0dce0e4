// The stop phase against stand-in old brokers (tests/cli/fake_broker) whose command lines look like the Java
// broker's: one exits on SIGTERM (the migration proceeds), one ignores it (refused after --stop-timeout,
// nothing copied, never SIGKILLed), one leaves an `abort` file (refused), one is found only because it holds
// the store's lock; and a running broker without --stop is a preflight refusal that signals nothing.
#include <gtest/gtest.h>

#include "tests/cli/migrate_test_support.h"

namespace rmq::migrate_test {
namespace {

class MigrateStopTest : public ::testing::Test {
 protected:
  void SetUp() override { pair_ = generate_pair(tmp_.path(), "slave-behind"); }
  fs::path target() const { return tmp_.path() / "new"; }
  ProcessResult migrate(std::vector<std::string> extra) {
    return run(rmqctl_path(), migrate_args(pair_, target(), std::move(extra)), tmp_.path());
  }

  rmq::testing::TempDir tmp_;
  StorePair pair_;
};

TEST_F(MigrateStopTest, BrokersThatExitOnSigtermAreStoppedAndTheMigrationProceeds) {
  FakeBroker master("exit-on-term", pair_.master_root, pair_.master_conf, tmp_.path());
  FakeBroker slave("exit-on-term", pair_.slave_root, pair_.slave_conf, tmp_.path());
  ASSERT_TRUE(fs::exists(pair_.master_root / "abort"));  // a running broker's store has one

  const ProcessResult r = migrate({"--stop", "--stop-timeout", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(master.running());
  EXPECT_FALSE(slave.running());
  EXPECT_TRUE(WIFEXITED(master.exit_status()) && WEXITSTATUS(master.exit_status()) == 0);  // SIGTERM, not SIGKILL
  const nlohmann::json report = r.json();
  EXPECT_EQ(phase_status(report, "stop"), "done");
  EXPECT_NE(report.at("phases")[2].at("detail").get<std::string>().find("stopped 2"), std::string::npos);
  expect_nodes_identical_to_source(report, pair_.master_root);
}

TEST_F(MigrateStopTest, ABrokerThatIgnoresSigtermIsRefusedAfterTheTimeoutWithNothingCopied) {
  FakeBroker master("ignore-term", pair_.master_root, pair_.master_conf, tmp_.path());
  const auto source_before = hash_tree(pair_.dir);

  const ProcessResult r = migrate({"--stop", "--stop-timeout", "1"});
  ASSERT_EQ(r.exit_code, 4) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(stopping_phase(report), "stop");
  EXPECT_TRUE(master.running()) << "rmqctl must never SIGKILL";
  EXPECT_FALSE(fs::exists(target())) << "nothing may be copied while a broker runs";
  bool explained = false;
  for (const auto& m : report.at("messages")) {
    explained = explained || m.get<std::string>().find("never sends SIGKILL") != std::string::npos;
  }
  EXPECT_TRUE(explained) << r.out;
  EXPECT_EQ(hash_tree(pair_.dir), source_before);
}

TEST_F(MigrateStopTest, ABrokerThatLeavesAnAbortFileIsRefused) {
  FakeBroker master("leave-abort", pair_.master_root, pair_.master_conf, tmp_.path());
  const ProcessResult r = migrate({"--stop", "--stop-timeout", "10"});
  ASSERT_EQ(r.exit_code, 4) << r.describe();
  EXPECT_FALSE(master.running());
  const nlohmann::json report = r.json();
  EXPECT_EQ(stopping_phase(report), "stop");
  EXPECT_NE(report.dump().find("abort file"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(target()));

  // Still refused on the next run, now already in preflight (no broker is running, the abort file remains).
  const ProcessResult again = migrate({"--stop"});
  EXPECT_EQ(again.exit_code, 4) << again.describe();
  EXPECT_EQ(stopping_phase(again.json()), "preflight");
}

TEST_F(MigrateStopTest, ARunningBrokerWithoutStopIsAPreflightRefusalAndIsNotSignalled) {
  FakeBroker slave("exit-on-term", pair_.slave_root, pair_.slave_conf, tmp_.path());
  const ProcessResult r = migrate({});
  ASSERT_EQ(r.exit_code, 4) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(stopping_phase(report), "preflight");
  EXPECT_NE(report.at("problems").dump().find("still running"), std::string::npos) << r.out;
  EXPECT_NE(report.at("problems").dump().find(std::to_string(slave.pid())), std::string::npos) << r.out;
  EXPECT_TRUE(slave.running());
  EXPECT_FALSE(fs::exists(target()));
}

TEST_F(MigrateStopTest, AProcessHoldingTheStoreLockIsFoundWhateverItsCommandLine) {
  FakeBroker holder("exit-on-term", pair_.master_root, pair_.master_conf, tmp_.path(), /*java_like_argv=*/false);
  const ProcessResult dry = run(rmqctl_path(), migrate_args(pair_, target(), {"--dry-run"}), tmp_.path());
  EXPECT_EQ(dry.exit_code, 4) << dry.describe();
  EXPECT_NE(dry.out.find("holds the store lock"), std::string::npos) << dry.out;
  EXPECT_TRUE(holder.running()) << "a dry run signals nothing";

  const ProcessResult r = migrate({"--stop", "--stop-timeout", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(holder.running());
}

}  // namespace
}  // namespace rmq::migrate_test
