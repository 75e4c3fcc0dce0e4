// rmq-broker -c and rmq-namesrv -c with a bad value or a config that is not a regular file (issue 9, items 7
// and 8): each exits 2 with one line naming the key (or the file), at once, instead of aborting (SIGABRT),
// hanging while memory grows (/dev/zero, a FIFO) or starting and then refusing work. Every child runs under
// a timeout, so a broker that starts anyway is killed and fails its case.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/run_process.h"
#include "tests/unit/store/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using rmq::test_support::ProcessOptions;
using rmq::test_support::ProcessResult;
using rmq::test_support::run_process;
using ::testing::HasSubstr;

const std::string kBroker = RMQ_BINARY_DIR "/rmq-broker";
const std::string kNamesrv = RMQ_BINARY_DIR "/rmq-namesrv";

ProcessResult run_with_conf(const std::string& binary, const std::string& conf_path) {
  ProcessOptions options;
  options.timeout = std::chrono::milliseconds(15'000);
  return run_process({binary, "-c", conf_path}, options);
}

class ConfigValuesProcess : public ::testing::Test {
 protected:
  std::string write_conf(const std::string& name, const std::string& text) {
    const fs::path path = tmp_.path() / name;
    std::ofstream(path) << text;
    return path.string();
  }
  // A broker.conf that would start (loopback, a private store) but for the one bad line.
  std::string broker_conf(const std::string& bad_line) {
    return write_conf("broker.conf", "brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerIP1=127.0.0.1\n"
                                     "storePathRootDir=" + (tmp_.path() / "store").string() + "\n" + bad_line + "\n");
  }
  rmq::testing::TempDir tmp_;
};

TEST_F(ConfigValuesProcess, TheBrokerExitsTwoOnEachBadValueNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sendMessageThreadPoolNums=1000000", "sendMessageThreadPoolNums"},
      {"pullMessageThreadPoolNums=1000000", "pullMessageThreadPoolNums"},
      {"mappedFileSizeCommitLog=9223372036854775807", "mappedFileSizeCommitLog"},
      {"namesrvAddr=foo;bar:99999", "namesrvAddr"},
      {"brokerPermission=99", "brokerPermission"},
      {"deleteWhen=25", "deleteWhen"},
      {"accessMessageInMemoryMaxRatio=500", "accessMessageInMemoryMaxRatio"},
      {"brokerIP2=not-an-ip", "brokerIP2"},
      {"fileReservedTime=2000000000", "fileReservedTime"},
      {"maxMessageSize=2000000000", "maxMessageSize"},
      {"flushIntervalCommitLog=100000000000", "flushIntervalCommitLog"},
      {"defaultTopicQueueNums=100000", "defaultTopicQueueNums"},
      {"listenPort=65535", "listenPort"},
      {"listenPort=0", "listenPort"},
  };
  for (const auto& [line, key] : cases) {
    const ProcessResult r = run_with_conf(kBroker, broker_conf(line));
    EXPECT_FALSE(r.timed_out) << line << ": the broker started";
    EXPECT_EQ(r.term_signal, 0) << line;
    EXPECT_EQ(r.exit_code, 2) << line << "\n" << r.err;
    const std::vector<std::string> lines = r.err_lines();
    ASSERT_EQ(lines.size(), 1u) << line << "\n" << r.err;
    EXPECT_THAT(lines[0], HasSubstr("key " + key + ": value '")) << line;
    if (line == "listenPort=65535") {
      EXPECT_THAT(lines[0], ::testing::Not(HasSubstr("haListenPort:")));
    }
  }
}

TEST_F(ConfigValuesProcess, TheNameServerExitsTwoOnEachBadValueNamingTheKey) {
  for (const char* text : {"listenPort=70000", "scanNotActiveBrokerInterval=0", "serverSelectorThreads=100000",
                           "brokerChannelExpiredTime=-5"}) {
    const std::string line = text;
    const std::string key = line.substr(0, line.find('='));
    const ProcessResult r = run_with_conf(kNamesrv, write_conf("namesrv.conf", line + "\n"));
    EXPECT_FALSE(r.timed_out) << line << ": the name server started";
    EXPECT_EQ(r.exit_code, 2) << line << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(key)) << line;
  }
}

TEST_F(ConfigValuesProcess, DevZeroAndAFifoAsTheConfigExitTwoAtOnce) {
  const fs::path fifo = tmp_.path() / "fifo.conf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& binary : {kBroker, kNamesrv}) {
    for (const std::string& conf : {std::string("/dev/zero"), fifo.string()}) {
      const ProcessResult r = run_with_conf(binary, conf);
      EXPECT_FALSE(r.timed_out) << binary << " -c " << conf << " hung";
      EXPECT_EQ(r.exit_code, 2) << binary << " -c " << conf << "\n" << r.err;
      EXPECT_THAT(r.err, HasSubstr(conf)) << binary;
      EXPECT_THAT(r.err, HasSubstr("a config must be a regular file")) << binary;
    }
  }
}

}  // namespace
