// Every numeric broker.conf key has a range (issue 9, item 8; man rmq-broker(8)); a value outside it, and the
// bad values of the non-numeric keys that used to be accepted, are one-line ConfigErrors naming the key, the
// value and what was expected. Values at the edges of each range are accepted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/server/broker_config.h"

namespace rmq::server {
namespace {

using ::testing::HasSubstr;

BrokerConfigLoad parse(const std::string& text) {
  return parse_broker_config(common::JavaProperties::parse("brokerIP1=127.0.0.1\n" + text, "conf/broker.conf"),
                             "conf/broker.conf", std::nullopt, std::nullopt);
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "";
}

struct Range {
  const char* key;
  long long min_value;
  long long max_value;
};

// The documented ranges (man/rmq-broker.8, CONFIGURATION).
const std::vector<Range> kRanges = {
    {"brokerId", 0, INT64_MAX},
    {"defaultTopicQueueNums", 1, 65535},
    {"brokerPermission", 0, 7},
    {"sendMessageThreadPoolNums", 1, 1024},
    {"pullMessageThreadPoolNums", 1, 1024},
    {"shortPollingTimeMills", 1, 86400000},
    {"registerNameServerPeriod", 1, 86400000},
    {"flushConsumerOffsetInterval", 1, 86400000},
    {"maxTransferCountOnMessageInMemory", 1, 65535},
    {"maxTransferBytesOnMessageInMemory", 1, 2147483647},
    {"listenPort", 1, 65535},
    {"haListenPort", 1, 65535},
    {"mappedFileSizeCommitLog", 4096, 2147483647},
    {"mappedFileSizeConsumeQueue", 20, 2147483647},
    {"flushIntervalCommitLog", 1, 86400000},
    {"syncFlushTimeout", 1, 86400000},
    {"maxMessageSize", 1, 1073741824},
    {"fileReservedTime", 0, 876000},
    {"maxTopicQueueNums", 1, 65535},
    {"autoCreateTopicMaxNums", 0, 2147483647},
    {"diskSpaceWarningLevelRatio", 1, 100},
    {"slaveSyncIntervalMills", 100, 86400000},
    {"accessMessageInMemoryMaxRatio", 0, 100},
};

TEST(BrokerConfigRanges, EveryNumericKeyAcceptsItsEdgesAndRefusesOneBeyond) {
  for (const Range& r : kRanges) {
    const std::string key = r.key;
    // haListenPort must be set for listenPort=65535 to be usable.
    const std::string extra = key == "listenPort" ? "haListenPort=1000\n" : "";
    EXPECT_EQ(error_of(extra + key + "=" + std::to_string(r.min_value) + "\n"), "") << key;
    EXPECT_EQ(error_of(extra + key + "=" + std::to_string(r.max_value) + "\n"), "") << key;
    // One line naming the key, the value and both bounds of the range.
    const auto expect_refused = [&](long long value) {
      const std::string text = std::to_string(value);
      const std::string message = error_of(key + "=" + text + "\n");
      EXPECT_THAT(message, ::testing::StartsWith("conf/broker.conf: key " + key + ": value '" + text + "' is not "))
          << key;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      // Past 2^31-1 a 32-bit key says "not a 32-bit integer"; every other refusal names the range.
      if (message.find("32-bit") == std::string::npos) {
        EXPECT_THAT(message, HasSubstr(std::to_string(r.min_value))) << message;
        EXPECT_THAT(message, HasSubstr(std::to_string(r.max_value))) << message;
      }
    };
    if (r.min_value > INT64_MIN) expect_refused(r.min_value - 1);
    if (r.max_value < INT64_MAX) expect_refused(r.max_value + 1);
  }
}

TEST(BrokerConfigRanges, TheFindingsOfTheIssueAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sendMessageThreadPoolNums=1000000", "key sendMessageThreadPoolNums: value '1000000' is not in [1, 1024]"},
      {"mappedFileSizeCommitLog=9223372036854775807",
       "key mappedFileSizeCommitLog: value '9223372036854775807' is not in [4096, 2147483647]"},
      {"namesrvAddr=foo;bar:99999", "key namesrvAddr: value 'foo;bar:99999' is not HOST:PORT"},
      {"namesrvAddr=127.0.0.1:9876;bar:99999", "('bar:99999' is not)"},
      {"namesrvAddr=:9876", "key namesrvAddr"},
      {"brokerPermission=99", "key brokerPermission: value '99' is not in [0, 7]"},
      {"deleteWhen=25", "key deleteWhen: value '25' is not hours of the day in [0, 23]"},
      {"deleteWhen=04;x", "key deleteWhen"},
      {"deleteWhen=", "key deleteWhen"},
      {"accessMessageInMemoryMaxRatio=500", "key accessMessageInMemoryMaxRatio: value '500' is not in [0, 100]"},
      {"brokerIP2=not-an-ip", "key brokerIP2: value 'not-an-ip' is not an IPv4 address"},
      {"fileReservedTime=2000000000", "key fileReservedTime"},
      {"listenPort=65535", "key listenPort: value '65535' is not in [1, 65534] (haListenPort, not set, is listenPort + 1)"},
  };
  for (const auto& [line, expected] : cases) {
    const std::string message = error_of(line + "\n");
    EXPECT_THAT(message, HasSubstr(expected)) << line;
    EXPECT_THAT(message, ::testing::StartsWith("conf/broker.conf: key ")) << line;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find("haListenPort: value"), std::string::npos) << "names a key the user never set: " << message;
  }
}

TEST(BrokerConfigRanges, GoodValuesOfTheCheckedStringKeysAreAccepted) {
  EXPECT_EQ(error_of("namesrvAddr=127.0.0.1:9876;ns-2.example.com:9876\n"), "");
  EXPECT_EQ(error_of("namesrvAddr=\n"), "");  // none: the broker then registers nowhere, as in Java
  EXPECT_EQ(error_of("deleteWhen=04\n"), "");
  EXPECT_EQ(error_of("deleteWhen=00;12;23\n"), "");
  EXPECT_EQ(error_of("brokerIP2=10.0.0.2\n"), "");
  EXPECT_EQ(error_of("listenPort=65535\nhaListenPort=10912\n"), "");
}

}  // namespace
}  // namespace rmq::server
