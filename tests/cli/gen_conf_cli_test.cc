// `rmqctl gen-conf` as an operator runs it: the real binary in a fresh mkdtemp directory, checked by exit
// code (0 written or unchanged, 2 refused input, 4 would overwrite, 5 I/O), by the one line it writes on
// stderr for a refusal, and by the files it leaves (none for a refusal or a dry run).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/run_process.h"

namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using rmq::test_support::ProcessResult;

constexpr const char* kGuidePeers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class GenConfCliTest : public ::testing::Test {
 protected:
  GenConfCliTest() {
    std::string pattern = (fs::temp_directory_path() / "rmq-gen-conf-cli-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~GenConfCliTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // rmqctl gen-conf ARGS..., run in the temporary directory.
  ProcessResult gen_conf(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {std::string(RMQ_BINARY_DIR) + "/rmqctl", "gen-conf"};
    argv.insert(argv.end(), args.begin(), args.end());
    rmq::test_support::ProcessOptions options;
    options.working_dir = dir_;
    options.timeout = std::chrono::seconds(60);
    return rmq::test_support::run_process(argv, options);
  }

  // The upgrade guide's example flags, plus `extra`.
  static std::vector<std::string> guide_args(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--peers",      kGuidePeers,       "--group",   "RaftNode00",
                                     "--cluster",    "RaftCluster",     "--namesrv", "127.0.0.1:9876",
                                     "--store-root", "/tmp/rmqstore",   "--out",     "conf/dledger",
                                     "--send-threads", "16"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // The same with one option's value replaced (or the option removed when value is nullptr).
  static std::vector<std::string> guide_args_with(const std::string& option, const char* value) {
    std::vector<std::string> args = guide_args();
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
      if (args[i] != option) continue;
      if (value == nullptr) {
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      } else {
        args[i + 1] = value;
      }
      return args;
    }
    args.push_back(option);
    if (value != nullptr) args.push_back(value);
    return args;
  }

  fs::path out() const { return dir_ / "conf" / "dledger"; }

  void write_file(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  // A refusal: exit 2, exactly one line on stderr naming the problem, nothing on stdout, nothing written.
  void expect_refused(const std::vector<std::string>& args, const std::string& problem) const {
    const ProcessResult r = gen_conf(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    ASSERT_THAT(r.err_lines(), SizeIs(1)) << r.err;
    EXPECT_THAT(r.err_lines()[0], StartsWith("rmqctl gen-conf: "));
    EXPECT_THAT(r.err_lines()[0], HasSubstr(problem));
    EXPECT_THAT(r.out, IsEmpty());
    EXPECT_FALSE(fs::exists(dir_ / "conf"));
  }

  fs::path dir_;
};

TEST_F(GenConfCliTest, GuideExampleWritesTheThreeCommittedConfigs) {
  const ProcessResult r = gen_conf(guide_args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, IsEmpty());
  EXPECT_EQ(r.out,
            "created conf/dledger/broker-n0.conf (n0, listenPort 30911)\n"
            "created conf/dledger/broker-n1.conf (n1, listenPort 30921)\n"
            "created conf/dledger/broker-n2.conf (n2, listenPort 30931)\n");
  for (const char* name : {"broker-n0.conf", "broker-n1.conf", "broker-n2.conf"}) {
    EXPECT_EQ(read_text(out() / name), read_text(fs::path(RMQ_SOURCE_DIR) / "conf" / "dledger" / name)) << name;
  }
  EXPECT_THAT(read_text(out() / "broker-n0.conf"), HasSubstr("\ndLegerPeers=" + std::string(kGuidePeers) + "\n"));
}

TEST_F(GenConfCliTest, SecondIdenticalRunChangesNothing) {
  ASSERT_EQ(gen_conf(guide_args()).exit_code, 0);
  const auto modified_before = fs::last_write_time(out() / "broker-n1.conf");
  const ProcessResult r = gen_conf(guide_args());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged conf/dledger/broker-n1.conf"));
  EXPECT_EQ(fs::last_write_time(out() / "broker-n1.conf"), modified_before);
}

TEST_F(GenConfCliTest, DifferingFileIsRefusedWithExit4) {
  ASSERT_EQ(gen_conf(guide_args()).exit_code, 0);
  const ProcessResult r = gen_conf(guide_args_with("--send-threads", "8"));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  ASSERT_THAT(r.err_lines(), SizeIs(1)) << r.err;
  EXPECT_THAT(r.err_lines()[0], HasSubstr("conf/dledger/broker-n0.conf, conf/dledger/broker-n1.conf, "
                                          "conf/dledger/broker-n2.conf exist with different content; pass --force"));
  EXPECT_THAT(read_text(out() / "broker-n0.conf"), HasSubstr("sendMessageThreadPoolNums=16\n"));
}

TEST_F(GenConfCliTest, ForceOverwrites) {
  ASSERT_EQ(gen_conf(guide_args()).exit_code, 0);
  std::vector<std::string> args = guide_args_with("--send-threads", "8");
  args.push_back("--force");
  const ProcessResult r = gen_conf(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("replaced conf/dledger/broker-n2.conf (n2, listenPort 30931)"));
  EXPECT_THAT(read_text(out() / "broker-n2.conf"), HasSubstr("sendMessageThreadPoolNums=8\n"));
}

TEST_F(GenConfCliTest, DryRunPrintsConfigsAndWritesNothing) {
  const ProcessResult r = gen_conf(guide_args({"--dry-run"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("# ==> conf/dledger/broker-n0.conf <==\n"));
  EXPECT_THAT(r.out, HasSubstr("dLegerSelfId=n2\n"));
  EXPECT_THAT(r.out, HasSubstr(read_text(fs::path(RMQ_SOURCE_DIR) / "conf" / "dledger" / "broker-n1.conf")));
  EXPECT_FALSE(fs::exists(dir_ / "conf"));
}

TEST_F(GenConfCliTest, DryRunJsonDescribesEveryFile) {
  const ProcessResult r = gen_conf(guide_args({"--dry-run", "-o", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["command"], "gen-conf");
  EXPECT_EQ(json["dry_run"], true);
  EXPECT_EQ(json["group"], "RaftNode00");
  EXPECT_EQ(json["peers"], kGuidePeers);
  ASSERT_EQ(json["files"].size(), 3u);
  EXPECT_EQ(json["files"][1]["path"], "conf/dledger/broker-n1.conf");
  EXPECT_EQ(json["files"][1]["self_id"], "n1");
  EXPECT_EQ(json["files"][1]["listen_port"], 30921);
  EXPECT_EQ(json["files"][1]["store_root"], "/tmp/rmqstore/node01");
  EXPECT_EQ(json["files"][1]["status"], "would-create");
  EXPECT_FALSE(fs::exists(dir_ / "conf"));
}

TEST_F(GenConfCliTest, JsonAfterWritingSaysCreated) {
  const ProcessResult r = gen_conf(guide_args({"-o", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["files"][0]["status"], "created");
}

TEST_F(GenConfCliTest, TwoNodesWithFlagWarnOnStderr) {
  std::vector<std::string> args = guide_args_with("--peers", "n0-127.0.0.1:40911;n1-127.0.0.1:40912");
  args.push_back("--allow-two-nodes");
  const ProcessResult r = gen_conf(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err_lines(), ElementsAre(StartsWith("rmqctl gen-conf: warning: two nodes cannot fail over")));
  EXPECT_TRUE(fs::exists(out() / "broker-n1.conf"));
  EXPECT_FALSE(fs::exists(out() / "broker-n2.conf"));
}

TEST_F(GenConfCliTest, FromCarriesOverAndListsWhatChanged) {
  write_file("old.conf",
             "brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\nbrokerRole=ASYNC_MASTER\n"
             "flushDiskType=SYNC_FLUSH\nnamesrvAddr=127.0.0.1:9876\n");
  const ProcessResult r = gen_conf({"--from", "old.conf", "--peers", kGuidePeers, "--store-root", "/tmp/rmqstore",
                                    "--out", "conf/dledger", "--send-threads", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("rmqctl gen-conf: note: old.conf:4: brokerRole=ASYNC_MASTER dropped: DLedger elects "
                               "roles\n"));
  EXPECT_THAT(r.err, HasSubstr("old.conf:3: brokerId=0 dropped"));
  const std::string n0 = read_text(out() / "broker-n0.conf");
  EXPECT_THAT(n0, HasSubstr("\nbrokerName=broker-a\n"));
  EXPECT_THAT(n0, HasSubstr("\nbrokerClusterName=DefaultCluster\n"));
  EXPECT_THAT(n0, HasSubstr("\nflushDiskType=SYNC_FLUSH\n"));
  EXPECT_THAT(n0, Not(HasSubstr("brokerRole")));
}

TEST_F(GenConfCliTest, RefusesMalformedPeers) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911,n1-127.0.0.1:40912"), "--peers: peer");
}

TEST_F(GenConfCliTest, RefusesBadPeerId) {
  expect_refused(guide_args_with("--peers", "a-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913"),
                 "id \"a\" is not a letter followed by an integer");
}

TEST_F(GenConfCliTest, RefusesRepeatedPeerId) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911;n0-127.0.0.1:40912;n2-127.0.0.1:40913"),
                 "peer id \"n0\" appears twice");
}

TEST_F(GenConfCliTest, RefusesBadHost) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911;n1-bad_host:40912;n2-127.0.0.1:40913"),
                 "host \"bad_host\" is not an IPv4 address or hostname");
}

TEST_F(GenConfCliTest, RefusesBadPort) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911;n1-127.0.0.1:0;n2-127.0.0.1:40913"),
                 "port \"0\" is not a port (1..65535)");
}

TEST_F(GenConfCliTest, RefusesDuplicateAddress) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911;n1-127.0.0.1:40911;n2-127.0.0.1:40913"),
                 "peers n0 and n1 have the same address 127.0.0.1:40911");
}

TEST_F(GenConfCliTest, RefusesOnePeerEvenWithFlag) {
  std::vector<std::string> args = guide_args_with("--peers", "n0-127.0.0.1:40911");
  args.push_back("--allow-two-nodes");
  expect_refused(args, "needs at least 3 peers");
}

TEST_F(GenConfCliTest, RefusesTwoPeersWithoutFlag) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911;n1-127.0.0.1:40912"), "--allow-two-nodes");
}

TEST_F(GenConfCliTest, RefusesLoopbackMixedWithOtherHosts) {
  expect_refused(guide_args_with("--peers", "n0-127.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911"),
                 "peers mix loopback and other hosts");
}

TEST_F(GenConfCliTest, RefusesPortCollision) {
  expect_refused(guide_args_with("--listen-ports", "30911,30914,30931"),
                 "port 30912 is used twice on 127.0.0.1: n0's haListenPort (listenPort+1) and n1's fastListenPort");
}

TEST_F(GenConfCliTest, RefusesWrongNumberOfListenPorts) {
  expect_refused(guide_args_with("--listen-ports", "30911,30921"), "--listen-ports has 2 ports for 3 peers");
}

TEST_F(GenConfCliTest, RefusesBothListenPortOptions) {
  std::vector<std::string> args = guide_args_with("--listen-ports", "30911,30921,30931");
  args.insert(args.end(), {"--listen-port-base", "20911"});
  expect_refused(args, "--listen-port-base and --listen-ports exclude each other");
}

TEST_F(GenConfCliTest, RefusesBadListenPortBase) {
  expect_refused(guide_args_with("--listen-port-base", "abc"), "--listen-port-base \"abc\" is not a port");
}

TEST_F(GenConfCliTest, RefusesBadSendThreads) {
  expect_refused(guide_args_with("--send-threads", "0"), "--send-threads \"0\" is not a positive integer");
}

TEST_F(GenConfCliTest, RefusesMissingPeers) { expect_refused(guide_args_with("--peers", nullptr), "missing --peers"); }

TEST_F(GenConfCliTest, RefusesMissingGroup) { expect_refused(guide_args_with("--group", nullptr), "missing --group"); }

TEST_F(GenConfCliTest, RefusesMissingStoreRoot) {
  expect_refused(guide_args_with("--store-root", nullptr), "missing --store-root");
}

TEST_F(GenConfCliTest, RefusesMissingOut) { expect_refused(guide_args_with("--out", nullptr), "missing --out"); }

TEST_F(GenConfCliTest, RefusesUnreadableFrom) {
  expect_refused(guide_args_with("--from", "missing.conf"), "cannot read missing.conf: No such file or directory");
}

TEST_F(GenConfCliTest, RefusesMalformedFromNamingFileAndLine) {
  write_file("old.conf", "brokerName=broker-a\nbrokerRole=\\u00ZZ\n");
  expect_refused(guide_args_with("--from", "old.conf"), "old.conf:2: malformed \\uXXXX escape");
}

TEST_F(GenConfCliTest, RefusesUnknownOutputFormat) {
  expect_refused(guide_args_with("-o", "yaml"), "-o \"yaml\" is not text or json");
}

TEST_F(GenConfCliTest, UnknownOptionIsAUsageError) {
  EXPECT_EQ(gen_conf(guide_args({"--no-such-option"})).exit_code, 2);
}

TEST_F(GenConfCliTest, OutUnderAFileIsAnIoError) {
  write_file("blocker", "a file, not a directory\n");
  const ProcessResult r = gen_conf(guide_args_with("--out", "blocker/dledger"));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  ASSERT_THAT(r.err_lines(), SizeIs(1)) << r.err;
  EXPECT_THAT(r.err_lines()[0], StartsWith("rmqctl gen-conf: I/O error: "));
}

}  // namespace
