// Targets without enough space, and --dry-run.
//
// A small tmpfs as the target (mounted in a private mount namespace by `unshare`, so the test needs no
// cleanup and works without root where user namespaces are allowed; skipped where neither is possible):
// preflight refuses with the figures, and nothing is written. A file-size limit (RLIMIT_FSIZE, set by the
// test) that preflight cannot see: the copy fails with a clear I/O error, no file is left under a final name
// or a temporary one, and the same command finishes once the limit is gone.
// --dry-run changes nothing: the whole target tree and the source hash the same before and after.
#include <gtest/gtest.h>

#include "tests/cli/migrate_test_support.h"

namespace rmq::migrate_test {
namespace {

class MigrateSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override { pair_ = generate_pair(tmp_.path(), "consistent"); }
  fs::path target() const { return tmp_.path() / "new"; }

  rmq::testing::TempDir tmp_;
  StorePair pair_;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST_F(MigrateSpaceTest, ATargetFileSystemTooSmallIsRefusedInPreflightAndNothingIsWritten) {
  fs::create_directories(target());
  const fs::path listing = tmp_.path() / "listing";
  std::string command = "mount -t tmpfs -o size=4m rmq-test " + shell_quote(target().string()) + " || exit 99; ";
  command += shell_quote(rmqctl_path());
  std::vector<std::string> args = migrate_args(pair_, target());
  args.resize(args.size() - 2);  // text output
  for (const auto& a : args) command += " " + shell_quote(a);
  command += "; rc=$?; (cd " + shell_quote(target().string()) + " && find . ) > " + shell_quote(listing.string()) +
             "; exit $rc";
  const ProcessResult r =
      run("/usr/bin/unshare", {"--mount", "--map-root-user", "sh", "-c", command}, tmp_.path());
  if (r.exit_code == 99 || (r.exit_code != 1 && r.err.find("unshare") != std::string::npos)) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find("Found problems:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not enough free space"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(listing), ".\n") << "the tmpfs target must stay empty";
}

TEST_F(MigrateSpaceTest, AWriteLimitHitDuringTheCopyLeavesNoFileUnderAFinalNameAndTheRerunFinishes) {
  const auto source_before = hash_tree(pair_.dir);
  SpawnOptions options;
  options.file_size_limit_bytes = 512 * 1024;  // half a commitlog file
  const ProcessResult r = run(rmqctl_path(), migrate_args(pair_, target()), tmp_.path(), options);
  ASSERT_EQ(r.exit_code, 5) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(stopping_phase(report), "copy");
  EXPECT_NE(report.at("messages").dump().find("File too large"), std::string::npos) << r.out;
  for (const char* node : {"node00", "node01", "node02"}) {
    const fs::path dir = target() / node / "commitlog";
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      ADD_FAILURE() << "left behind after the failed copy: " << e.path();
    }
  }
  EXPECT_EQ(hash_tree(pair_.dir), source_before);

  const ProcessResult again = run(rmqctl_path(), migrate_args(pair_, target()), tmp_.path());
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  expect_nodes_identical_to_source(again.json(), pair_.master_root);
}

TEST_F(MigrateSpaceTest, DryRunChangesNothingAndListsEveryFileAndConfig) {
  fs::create_directories(target());
  std::ofstream(target() / "README") << "an operator's note in the target root\n";
  const auto target_before = hash_tree(target());
  const auto source_before = hash_tree(pair_.dir);

  std::vector<std::string> args = migrate_args(pair_, target());
  args.resize(args.size() - 2);  // text output
  args.insert(args.end(), {"--dry-run", "--stop"});
  const ProcessResult r = run(rmqctl_path(), args, tmp_.path());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(hash_tree(target()), target_before);
  EXPECT_EQ(hash_tree(pair_.dir), source_before);
  EXPECT_NE(r.out.find("Dry run"), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(pair_.master_root)) {
    const std::string rel = e.path().lexically_relative(pair_.master_root).generic_string();
    const bool copied = e.is_regular_file() && (rel.rfind("commitlog/", 0) == 0 || rel.rfind("config/", 0) == 0 ||
                                                rel.rfind("consumequeue/", 0) == 0);
    if (copied) {
      EXPECT_NE(r.out.find(rel), std::string::npos) << rel << " is not listed";
    }
  }
  for (const char* id : {"n0", "n1", "n2"}) {
    const fs::path conf = target() / "conf" / ("broker-" + std::string(id) + ".conf");
    EXPECT_NE(r.out.find("--- " + conf.string()), std::string::npos) << conf;
    EXPECT_FALSE(fs::exists(conf));
  }
  EXPECT_NE(r.out.find("dLegerPeers=" + std::string(kPeers)), std::string::npos);

  // The same over a migration that was interrupted: still nothing changes, and it says it would resume.
  SpawnOptions kill;
  kill.env = {"RMQ_MIGRATE_TEST_KILL_AT=files:4"};
  ASSERT_EQ(run(rmqctl_test_hooks_path(), migrate_args(pair_, target()), tmp_.path(), kill).term_signal, SIGKILL);
  const auto interrupted = hash_tree(target());
  const ProcessResult resumed = run(rmqctl_path(), args, tmp_.path());
  EXPECT_EQ(resumed.exit_code, 0) << resumed.describe();
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  EXPECT_EQ(hash_tree(target()), interrupted);
}

}  // namespace
}  // namespace rmq::migrate_test
