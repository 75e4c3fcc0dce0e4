// rmqctl's wrong all-clears and hangs (issue 9, item 7), each through the real binary:
// - check-commitlog with one directory as master and slave (also two spellings of it) exits 2, not CONSISTENT;
// - a FIFO or a directory under the newest commitlog file's name is CORRUPT (the Java broker refuses the store);
// - a symlinked commitlog file is refused up front (exit 4) by check-commitlog and by migrate --dry-run, naming
//   the file, before anything is copied;
// - gen-conf --from a FIFO or /dev/zero exits 2 at once instead of hanging while memory grows;
// - a sparse 100 GiB commitlog file is reported from its size alone: no byte of it is read;
// - a control character in any argument is refused (exit 2, one line) before anything is written;
// - a *.conf in --conf-dir that is not a regular file is refused, not skipped;
// - a source config/*.json that does not parse (and has no good .bak) stops migrate at preflight;
// - a directory without one commitlog file among its entries is refused, not read as an empty log.
// Every child runs under a timeout, so a hang fails the test instead of the suite.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/migrate_test_support.h"

namespace {

namespace fs = std::filesystem;
using namespace rmq::migrate_test;

constexpr int kTimeoutMs = 30'000;

class RmqctlHardening : public ::testing::Test {
 protected:
  ProcessResult rmqctl(const std::vector<std::string>& args) {
    return run(rmqctl_path(), args, tmp_.path(), {}, kTimeoutMs);
  }
  // The commitlog files of a store, oldest first.
  static std::vector<fs::path> commitlog_files(const fs::path& store_root) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(store_root / "commitlog")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
  }
  static bool mentions(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
  }

  rmq::testing::TempDir tmp_;
};

TEST_F(RmqctlHardening, CheckWithTheSameDirectoryTwiceExitsTwo) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  const fs::path link = tmp_.path() / "master-link";
  fs::create_directory_symlink(pair.master_root, link);
  const std::vector<std::pair<std::string, std::string>> spellings = {
      {pair.master_root.string(), pair.master_root.string()},                   // literally the same
      {pair.master_root.string(), (pair.master_root / "commitlog").string()},   // store root and its commitlog
      {pair.master_root.string(), link.string()},                               // through a symlink
      {pair.master_root.string(), (pair.master_root / ".." / "master").string()},
      {pair.master_conf.string(), pair.master_root.string()},                   // its broker.conf and the dir
  };
  for (const auto& [master, slave] : spellings) {
    const ProcessResult r = rmqctl({"check-commitlog", "--master", master, "--slave", slave});
    EXPECT_EQ(r.exit_code, 2) << master << " vs " << slave << "\n" << r.describe();
    EXPECT_FALSE(mentions(r.out, "CONSISTENT")) << r.out;
    EXPECT_TRUE(mentions(r.err, "same commitlog directory")) << r.err;
  }
  // A second slave that is the first slave again is caught too.
  const ProcessResult r = rmqctl({"check-commitlog", "--master", pair.master_root.string(), "--slave",
                                  pair.slave_root.string(), "--slave", pair.slave_root.string()});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
}

TEST_F(RmqctlHardening, AFifoOrADirectoryInPlaceOfTheNewestFileIsCorrupt) {
  for (const char* kind_name : {"fifo", "directory"}) {
    const std::string kind = kind_name;
    fs::create_directories(tmp_.path() / kind);
    const StorePair pair = generate_pair(tmp_.path() / kind, "master-only");
    const fs::path newest = commitlog_files(pair.master_root).back();
    fs::remove(newest);
    if (kind == "fifo") {
      ASSERT_EQ(::mkfifo(newest.c_str(), 0600), 0);
    } else {
      fs::create_directory(newest);
    }
    const ProcessResult r = rmqctl({"check-commitlog", "--store", pair.master_root.string(), "-o", "json"});
    ASSERT_FALSE(r.timed_out) << kind;
    EXPECT_EQ(r.exit_code, 3) << kind << "\n" << r.describe();
    const nlohmann::json report = r.json();
    EXPECT_EQ(report.value("verdict", ""), "CORRUPT") << kind;
    bool named = false;
    for (const auto& p : report["store"]["problems"]) {
      if (p.value("kind", "") == "not_regular_file" && mentions(p.value("detail", ""), newest.string())) named = true;
    }
    EXPECT_TRUE(named) << kind << ": " << report["store"]["problems"].dump();
  }
}

TEST_F(RmqctlHardening, ASymlinkedCommitlogFileIsRefusedByCheckAndByMigrateDryRun) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  const fs::path newest = commitlog_files(pair.master_root).back();
  const fs::path elsewhere = tmp_.path() / "moved-commitlog-file";
  fs::rename(newest, elsewhere);
  fs::create_symlink(elsewhere, newest);

  const ProcessResult check = rmqctl({"check-commitlog", "--master", pair.master_root.string(), "--slave",
                                      pair.slave_root.string()});
  EXPECT_EQ(check.exit_code, 4) << check.describe();
  EXPECT_TRUE(mentions(check.err, newest.string())) << check.err;
  EXPECT_TRUE(mentions(check.err, "symbolic link")) << check.err;

  const fs::path target = tmp_.path() / "new";
  const ProcessResult dry = rmqctl(migrate_args(pair, target, {"--dry-run"}));
  EXPECT_EQ(dry.exit_code, 4) << dry.describe();
  EXPECT_TRUE(mentions(dry.out + dry.err, newest.string())) << dry.describe();
  const ProcessResult real = rmqctl(migrate_args(pair, target));
  EXPECT_EQ(real.exit_code, 4) << real.describe();
  EXPECT_EQ(stopping_phase(real.json()), "preflight") << real.describe();
  EXPECT_TRUE(mentions(real.out, "symbolic link")) << real.describe();
  // Nothing was copied.
  std::error_code ec;
  bool copied_commitlog = false;
  for (auto it = fs::recursive_directory_iterator(target, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().parent_path().filename() == "commitlog") copied_commitlog = true;
  }
  EXPECT_FALSE(copied_commitlog);
}

TEST_F(RmqctlHardening, GenConfFromAFifoOrDevZeroExitsTwoAtOnce) {
  const fs::path fifo = tmp_.path() / "broker.conf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& from : {fifo.string(), std::string("/dev/zero")}) {
    const ProcessResult r =
        rmqctl({"gen-conf", "--peers", kPeers, "--store-root", (tmp_.path() / "stores").string(), "--out",
                (tmp_.path() / "conf").string(), "--from", from});
    ASSERT_FALSE(r.timed_out) << from;
    EXPECT_EQ(r.exit_code, 2) << from << "\n" << r.describe();
    EXPECT_TRUE(mentions(r.err, from)) << r.err;
    EXPECT_TRUE(mentions(r.err, "regular file")) << r.err;
  }
}

TEST_F(RmqctlHardening, ASparseHundredGiBCommitlogFileIsReportedFromItsSizeAlone) {
  // The only commitlog file, 100 GiB of holes: no configured size says otherwise, and reading it took 181 s.
  const fs::path store = tmp_.path() / "store";
  fs::create_directories(store / "commitlog");
  const fs::path huge = store / "commitlog" / "00000000000000000000";
  { std::ofstream(huge.string()); }
  constexpr std::uint64_t kHundredGiB = 100ull << 30;
  fs::resize_file(huge, kHundredGiB);

  const ProcessResult r = rmqctl({"check-commitlog", "--store", store.string(), "-o", "json"});
  ASSERT_FALSE(r.timed_out) << "the file was read";
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  const nlohmann::json report = r.json();
  EXPECT_EQ(report.value("verdict", ""), "CORRUPT");
  EXPECT_EQ(report["timings"]["scan_bytes"], 0) << "bytes of the sparse file were scanned";
  EXPECT_EQ(report["timings"]["md5_bytes"], 0) << "bytes of the sparse file were hashed";
  bool named = false;
  for (const auto& p : report["store"]["problems"]) {
    const std::string detail = p.value("detail", "");
    if (p.value("kind", "") == "wrong_file_size" && mentions(detail, huge.string()) &&
        mentions(detail, std::to_string(kHundredGiB) + " bytes")) {
      named = true;
    }
  }
  EXPECT_TRUE(named) << report["store"]["problems"].dump();

  // Beside a store's real files it is reported the same way, and the real files are still checked.
  const StorePair pair = generate_pair(tmp_.path(), "master-only");
  const std::vector<fs::path> files = commitlog_files(pair.master_root);
  const fs::path next = pair.master_root / "commitlog" / "00000000000010485760";  // after the last 1 MiB file
  ASSERT_LT(files.back().filename().string(), next.filename().string());
  { std::ofstream(next.string()); }
  fs::resize_file(next, 10ull << 30);
  const ProcessResult beside = rmqctl({"check-commitlog", "--store", pair.master_root.string(), "-o", "json"});
  ASSERT_FALSE(beside.timed_out);
  const nlohmann::json j = beside.json();
  EXPECT_EQ(j["timings"]["scan_bytes"], files.size() * kFileSizeBytes);
  EXPECT_TRUE(mentions(j["store"]["problems"].dump(), "10737418240 bytes")) << j["store"]["problems"].dump();
}

// A control character in any argument (a pasted line break, a tab, an escape sequence) is refused before any
// command runs: exit 2, one line on stderr naming the option and showing the byte as \xNN, nothing written.
TEST_F(RmqctlHardening, AControlCharacterInAnyArgumentExitsTwoAndWritesNothing) {
  const fs::path out = tmp_.path() / "out";
  const std::string peers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913";
  struct Case {
    std::vector<std::string> args;
    std::string named;  // what the message must name
    std::string shown;  // the bad byte as shown
  };
  const std::vector<Case> cases = {
      {{"gen-conf", "--peers", peers, "--group", "G", "--cluster", "C", "--namesrv", "127.0.0.1:9876", "--store-root",
        (tmp_.path() / "x\nbrokerRole=SLAVE").string(), "--out", out.string()},
       "(the value of --store-root)", "\\x0A"},
      {{"gen-conf", "--peers", peers, "--group", "G\x1b[31mred", "--cluster", "C", "--namesrv", "127.0.0.1:9876",
        "--store-root", tmp_.path().string(), "--out", out.string()},
       "(the value of --group)", "\\x1B"},
      {{"migrate", "--from", "master", "--master-conf", "broker.conf", "--peers", peers,
        "--target-root=" + (tmp_.path() / "t\tx").string(), "--dry-run"},
       "(--target-root)", "\\x09"},
      {{"check-commitlog", "--store", (tmp_.path() / "s\x7f").string()}, "(the value of --store)", "\\x7F"},
  };
  for (const Case& c : cases) {
    const ProcessResult r = rmqctl(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_TRUE(mentions(r.err, c.named)) << r.err;
    EXPECT_TRUE(mentions(r.err, c.shown)) << r.err;
    EXPECT_TRUE(mentions(r.err, "control character")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // Nothing was created: not the configs' directory, not a store, not a journal (run.* is the harness's own
  // capture of the child's stdout and stderr).
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmp_.path())) {
    if (!e.path().filename().string().starts_with("run.")) left.push_back(e.path().filename().string());
  }
  EXPECT_TRUE(left.empty()) << left.front();
}

// A *.conf in --conf-dir that is not a regular file (a FIFO, a directory, a dangling symlink) is refused with
// exit 2 naming it; it used to be skipped, so status/start/stop ran on a group with a node silently missing.
TEST_F(RmqctlHardening, ANonRegularConfInConfDirIsRefusedNotSkipped) {
  const fs::path dir = tmp_.path() / "conf";
  fs::create_directory(dir);
  { std::ofstream(dir / "broker-n0.conf") << "brokerName=b\nlistenPort=30911\n"; }
  const fs::path odd = dir / "broker-n1.conf";
  for (const char* kind : {"fifo", "directory", "dangling symlink"}) {
    const std::string k = kind;
    if (k == "fifo") {
      ASSERT_EQ(::mkfifo(odd.c_str(), 0644), 0);
    }
    if (k == "directory") fs::create_directory(odd);
    if (k == "dangling symlink") fs::create_symlink(tmp_.path() / "nowhere.conf", odd);
    for (const char* command : {"status", "stop", "start"}) {
      const ProcessResult r = rmqctl({command, "--conf-dir", dir.string()});
      ASSERT_FALSE(r.timed_out) << kind << " " << command;
      EXPECT_EQ(r.exit_code, 2) << kind << " " << command << "\n" << r.describe();
      EXPECT_TRUE(mentions(r.err, odd.string())) << kind << " " << command << ": " << r.err;
    }
    fs::remove(odd);
  }
}

// A source config/*.json that does not parse (here a topics.json cut short, as by a full disk) would be copied
// to every node, where the new broker refuses to start (and the Java broker starts without its topics): migrate
// stops at preflight naming the file and the offset, before stopping or copying anything. With a valid .bak
// beside it the run goes on, with a note that the .bak is what the brokers will load.
TEST_F(RmqctlHardening, ACorruptConfigJsonStopsMigrateAtPreflightUnlessItsBakIsGood) {
  const StorePair pair = generate_pair(tmp_.path(), "consistent");
  const fs::path topics = pair.master_root / "config" / "topics.json";
  ASSERT_TRUE(fs::exists(topics));
  { std::ofstream(topics, std::ios::trunc) << "{\"topicConfigTable\":{"; }  // 21 bytes, then the end

  const fs::path target = tmp_.path() / "new";
  const ProcessResult r = rmqctl(migrate_args(pair, target));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(stopping_phase(r.json()), "preflight") << r.describe();
  EXPECT_TRUE(mentions(r.out, "config/topics.json")) << r.out;
  EXPECT_TRUE(mentions(r.out, "offset 2")) << r.out;
  EXPECT_TRUE(mentions(r.out, "no usable .bak")) << r.out;
  EXPECT_FALSE(fs::exists(target / "node00" / "commitlog")) << "copied despite the problem";

  { std::ofstream(topics.string() + ".bak") << "{\"topicConfigTable\":{}}"; }
  const ProcessResult dry = rmqctl(migrate_args(pair, target, {"--dry-run"}));
  EXPECT_EQ(dry.exit_code, 0) << dry.describe();
  EXPECT_TRUE(mentions(dry.out + dry.err, "will load its .bak")) << dry.describe();
}

// A mistyped --slave (a directory of other files, not one commitlog file in it) is refused with exit 2 naming
// it; it used to be read as an empty log, SLAVE_BEHIND, with "copy the master's commitlog files to the slave"
// as the next step. An empty directory is still an empty log (a slave that has nothing yet).
TEST_F(RmqctlHardening, ADirectoryWithoutOneCommitlogFileIsNotAnEmptyLog) {
  const StorePair pair = generate_pair(tmp_.path(), "master-only");
  const fs::path wrong = tmp_.path() / "home";
  fs::create_directories(wrong / "projects");
  { std::ofstream(wrong / "notes.txt") << "not a commitlog\n"; }
  const ProcessResult r = rmqctl({"check-commitlog", "--master", pair.master_root.string(), "--slave", wrong.string()});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(mentions(r.err, wrong.string() + ": not a store root or a commitlog directory")) << r.err;
  EXPECT_FALSE(mentions(r.out, "SLAVE_BEHIND")) << r.out;

  const fs::path empty = tmp_.path() / "empty";
  fs::create_directory(empty);
  const ProcessResult e = rmqctl({"check-commitlog", "--master", pair.master_root.string(), "--slave", empty.string()});
  EXPECT_EQ(e.exit_code, 1) << e.describe();
  EXPECT_TRUE(mentions(e.out, "SLAVE_BEHIND")) << e.out;
}

}  // namespace
