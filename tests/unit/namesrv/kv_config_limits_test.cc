// The name server's KV store is bounded (issue 9, item 6; man/rmq-namesrv.8 "Key-value store limits"): every
// limit refuses a put with a message naming it, a refused put changes nothing, and a put that changes nothing
// does not rewrite the file.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "broker/namesrv/kv_config.h"
#include "broker/namesrv/request_processor.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::namesrv {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::RemotingCommand;

TEST(KvConfigLimits, APutPastEachLimitIsRefusedAndChangesNothing) {
  KvLimits limits;
  limits.max_namespaces = 2;
  limits.max_keys = 3;
  limits.max_key_bytes = 8;
  limits.max_namespace_bytes = 8;
  limits.max_value_bytes = 10;
  limits.max_total_bytes = 38;
  KvConfig kv("", limits);
  kv.put("a", "k1", "v");
  kv.put("b", "k1", "v");
  const auto refused = [&kv](const std::string& ns, const std::string& key, const std::string& value,
                             const std::string& message) {
    try {
      kv.put(ns, key, value);
      ADD_FAILURE() << "accepted " << ns << "/" << key;
    } catch (const KvLimitExceeded& error) {
      EXPECT_EQ(std::string(error.what()), message);
    }
    EXPECT_FALSE(kv.get(ns, key).has_value() && kv.get(ns, key) == value) << ns << "/" << key;
  };
  refused("c", "k1", "v", "KV config namespace count 3 is over the limit of 2");
  refused("a", "123456789", "v", "KV config key length 9 bytes is over the limit of 8 bytes");
  refused("123456789", "k", "v", "KV config namespace length 9 bytes is over the limit of 8 bytes");
  refused("a", "k2", std::string(11, 'x'), "KV config value length 11 bytes is over the limit of 10 bytes");
  kv.put("a", "k2", "v");  // third key: at the limit
  refused("a", "k3", "v", "KV config key count 4 is over the limit of 3");
  // Total: a(1)+k1(2)+v(1) three times = 12 bytes; a value of 10 instead of 1 brings it to 21, still fine;
  // raising the total above 38 is refused even though the key exists.
  kv.put("a", "k1", std::string(10, 'x'));
  kv.put("a", "k2", std::string(10, 'x'));
  EXPECT_EQ(kv.total_bytes(), 30u);
  refused("b", "k1", std::string(10, 'y'), "KV config total size 39 bytes is over the limit of 38 bytes");
  EXPECT_EQ(kv.get("b", "k1"), "v");
  // Replacing an existing key does not count as a new key, and removing makes room again.
  kv.put("b", "k1", "w");
  EXPECT_TRUE(kv.remove("a", "k2"));
  EXPECT_EQ(kv.key_count(), 2u);
  kv.put("a", "k3", "v");
  EXPECT_EQ(kv.key_count(), 3u);
}

TEST(KvConfigLimits, TheDefaultsAreTheDocumentedOnes) {
  const KvLimits limits;
  EXPECT_EQ(limits.max_namespaces, 1024u);
  EXPECT_EQ(limits.max_keys, 10000u);
  EXPECT_EQ(limits.max_namespace_bytes, 255u);
  EXPECT_EQ(limits.max_key_bytes, 255u);
  EXPECT_EQ(limits.max_value_bytes, 16384u);
  EXPECT_EQ(limits.max_total_bytes, 4194304u);
}

TEST(KvConfigLimits, APutThatChangesNothingDoesNotRewriteTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmq-namesrv-kv-same-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = dir / "kvConfig.json";
  KvConfig kv(path);
  kv.load();
  kv.put("ns", "k", "v");
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  kv.put("ns", "k", "v");              // the same value: nothing to write
  EXPECT_FALSE(kv.remove("ns", "missing"));
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the file was rewritten (a new file renamed over it)";
  kv.put("ns", "k", "v2");             // a change is written
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino);
  std::filesystem::remove_all(dir);
}

TEST(KvConfigLimits, APutPastTheKvLimitsIsAnsweredWithAnErrorNamingTheLimit) {
  RequestProcessor processor_([] { return std::int64_t{1700000000000}; }, KvConfig(""));
  RemotingCommand put = remoting::make_request(code::kPutKvConfig);
  put.ext_fields.set("namespace", "ns");
  put.ext_fields.set("key", std::string(256, 'k'));
  put.ext_fields.set("value", "v");
  const RemotingCommand response = processor_.process(put, 1);
  EXPECT_EQ(response.code, rc::kSystemError);
  EXPECT_EQ(response.remark, "KV config key length 256 bytes is over the limit of 255 bytes");
  RemotingCommand get = remoting::make_request(code::kGetKvConfig);
  get.ext_fields.set("namespace", "ns");
  get.ext_fields.set("key", std::string(256, 'k'));
  EXPECT_EQ(processor_.process(get, 1).code, rc::kQueryNotFound);
}

}  // namespace
}  // namespace rmq::namesrv
