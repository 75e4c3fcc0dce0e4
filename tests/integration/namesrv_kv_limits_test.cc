// The real rmq-namesrv's KV store under a client that keeps putting (issue 9, item 6): oversized keys and
// values are answered 1 with a remark naming the limit, the table stops growing at its total-bytes bound (so
// kvConfig.json stays a few MiB however long the client goes on), a put of the value a key already has does
// not rewrite the file, and the server keeps answering throughout.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "tests/support/background_process.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::namesrv {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::RemotingCommand;

constexpr std::int64_t kTimeoutMs = 10000;

RemotingCommand put_request(const std::string& name_space, const std::string& key, const std::string& value) {
  RemotingCommand request = remoting::make_request(code::kPutKvConfig);
  request.ext_fields.set("namespace", name_space);
  request.ext_fields.set("key", key);
  request.ext_fields.set("value", value);
  return request;
}

TEST(NamesrvKvLimits, AClientThatKeepsPuttingIsRefusedAtTheBoundsAndTheFileStaysSmall) {
  rmq::testing::TempDir dir;
  const std::uint16_t port = test_support::free_tcp_port();
  const auto kv_path = dir.path() / "kvConfig.json";
  const auto conf = dir.path() / "namesrv.conf";
  std::ofstream(conf) << "kvConfigPath=" << kv_path.string() << "\n";
  test_support::BackgroundProcess namesrv(
      {RMQ_BINARY_DIR "/rmq-namesrv", "-c", conf.string(), "--listen-port", std::to_string(port)},
      dir.path() / "namesrv.log");
  ASSERT_TRUE(namesrv.wait_for_port(port, std::chrono::seconds(20))) << namesrv.log();
  remoting::RemotingClient client;
  auto connection = client.connect("127.0.0.1", port, kTimeoutMs);
  const auto call = [&](const RemotingCommand& request) {
    const remoting::InvokeResult result = connection->invoke_sync(request, kTimeoutMs);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.response;
  };

  RemotingCommand r = call(put_request("ns", std::string(300, 'k'), "v"));
  EXPECT_EQ(r.code, rc::kSystemError);
  EXPECT_EQ(r.remark, "KV config key length 300 bytes is over the limit of 255 bytes");
  r = call(put_request("ns", "k", std::string(20000, 'v')));
  EXPECT_EQ(r.code, rc::kSystemError);
  EXPECT_EQ(r.remark, "KV config value length 20000 bytes is over the limit of 16384 bytes");

  // 16 KiB values until the 4 MiB total refuses one: 2 + 4 + 16384 bytes per entry ("ns", "kNNN").
  const std::string value(16384, 'x');
  int accepted = 0;
  for (int i = 0; i < 400; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%03d", i);
    r = call(put_request("ns", key, value));
    if (r.code != rc::kSuccess) break;
    ++accepted;
  }
  EXPECT_EQ(accepted, 4194304 / (2 + 4 + 16384));
  EXPECT_EQ(r.code, rc::kSystemError);
  EXPECT_NE(r.remark.value_or("").find("KV config total size"), std::string::npos) << r.remark.value_or("");
  const auto file_bytes = std::filesystem::file_size(kv_path);
  EXPECT_LT(file_bytes, 4u * 1024 * 1024 + 64 * 1024) << "kvConfig.json grew past the bound";

  // The same value again writes nothing: the file is not replaced.
  struct stat before {};
  ASSERT_EQ(::stat(kv_path.c_str(), &before), 0);
  EXPECT_EQ(call(put_request("ns", "k000", value)).code, rc::kSuccess);
  struct stat after {};
  ASSERT_EQ(::stat(kv_path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);

  // Still serving.
  RemotingCommand get = remoting::make_request(code::kGetKvConfig);
  get.ext_fields.set("namespace", "ns");
  get.ext_fields.set("key", "k000");
  r = call(get);
  EXPECT_EQ(r.code, rc::kSuccess);
  EXPECT_EQ(r.ext_fields.get("value"), value);
  client.close();
}

}  // namespace
}  // namespace rmq::namesrv
