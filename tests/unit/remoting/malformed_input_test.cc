// Bad input against a live server: each malformed frame closes the connection it came on (with one log
// line) and nothing else; a client connected before it and one connecting after it are both served.
#include <gtest/gtest.h>

#include <string>

#include "broker/remoting/frame_codec.h"
#include "broker/remoting/remoting_client.h"
#include "tests/unit/remoting/raw_socket.h"
#include "tests/unit/remoting/test_server.h"
#include "tests/unit/remoting/wire_bytes.h"

namespace rmq::remoting {
namespace {

using testing::kEcho;
using testing::RawSocket;
using testing::TestServer;
using testing::Wire;

constexpr std::int64_t kTimeoutMs = 5000;

struct MalformedCase {
  std::string name;
  Bytes bytes;
};

Bytes json_frame(std::string_view header) {
  Bytes frame(8);
  common::store_u32_be(frame.data(), static_cast<std::uint32_t>(header.size() + 4));
  common::store_u32_be(frame.data() + 4, static_cast<std::uint32_t>(header.size()));
  frame.insert(frame.end(), header.begin(), header.end());
  return frame;
}

std::vector<MalformedCase> malformed_cases() {
  return {
      // 16777216 after the length word: one byte past Netty's 16 MiB frame.
      {"LengthOverLimit", Wire().raw({0x01, 0x00, 0x00, 0x00}).raw({0x00, 0x00, 0x00, 0x02}).text("{}").bytes()},
      {"LengthAllOnes", Wire().raw({0xFF, 0xFF, 0xFF, 0xFF}).bytes()},
      // An HTTP client on the wrong port: "GET " read as a length of 1195725856.
      {"HttpRequest", Wire().text("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bytes()},
      {"LengthBelowHeaderWord", Wire().raw({0x00, 0x00, 0x00, 0x02, 0x00, 0x00}).bytes()},
      // Frame length 10 (6 bytes after the header word) but a header of 32.
      {"HeaderLongerThanFrame",
       Wire().raw({0x00, 0x00, 0x00, 0x0A}).raw({0x00, 0x00, 0x00, 0x20}).text("{\"a\":1").bytes()},
      {"BadJson", json_frame(R"({"code":10,"opaque":)")},
      {"JsonNotAnObject", json_frame("[10,1]")},
      {"ExtFieldsNotAnObject", json_frame(R"({"code":10,"extFields":"x"})")},
      {"UnknownSerializeType",
       Wire().raw({0x00, 0x00, 0x00, 0x0E}).raw({0x07, 0x00, 0x00, 0x0A}).text(R"({"code":1})").bytes()},
      // Type 1 with a 5-byte header, under the 21 the ROCKETMQ layout needs.
      {"TruncatedBinaryHeader",
       Wire().raw({0x00, 0x00, 0x00, 0x09}).raw({0x01, 0x00, 0x00, 0x05}).raw({0x00, 0x0A, 0x00, 0x01, 0x99}).bytes()},
  };
}

class MalformedInputTest : public ::testing::TestWithParam<MalformedCase> {
 protected:
  void SetUp() override { server_.start(); }

  TestServer server_;
  RemotingClient client_;
};

TEST_P(MalformedInputTest, ClosesOnlyThatConnection) {
  auto bystander = client_.connect("127.0.0.1", server_.port(), kTimeoutMs);
  ASSERT_TRUE(bystander->invoke_sync(make_request(kEcho), kTimeoutMs).ok());

  RawSocket attacker(server_.port());
  attacker.send(GetParam().bytes);
  EXPECT_TRUE(attacker.wait_closed(static_cast<int>(kTimeoutMs))) << GetParam().name;
  ASSERT_TRUE(server_.wait_for([&] { return server_.closed_ids_.size() == 1; }));

  RemotingCommand request = make_request(kEcho);
  request.ext_fields.set("after", GetParam().name);
  const InvokeResult result = bystander->invoke_sync(request, kTimeoutMs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.ext_fields.get("after"), GetParam().name);

  auto newcomer = client_.connect("127.0.0.1", server_.port(), kTimeoutMs);
  EXPECT_TRUE(newcomer->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
}

INSTANTIATE_TEST_SUITE_P(Frames, MalformedInputTest, ::testing::ValuesIn(malformed_cases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& case_info) { return case_info.param.name; });

TEST(MalformedInputOrderTest, GoodFramesBeforeABadOneAreServed) {
  // Requests that arrived before the garbage in the same read are answered before the connection closes.
  TestServer server;
  server.start();
  RawSocket raw(server.port());
  RemotingCommand first = make_request(kEcho);
  first.opaque = 1;
  Bytes stream = encode_frame(first);
  const Bytes garbage = Wire().raw({0xFF, 0xFF, 0xFF, 0xFF}).bytes();
  stream.insert(stream.end(), garbage.begin(), garbage.end());
  ASSERT_TRUE(raw.send(stream));
  const auto answer = raw.read_frame(static_cast<int>(kTimeoutMs));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(decode_frame(ByteSpan(*answer)).command.opaque, 1);
  EXPECT_TRUE(raw.wait_closed(static_cast<int>(kTimeoutMs)));
}

TEST(MalformedInputOrderTest, UnknownCodeGetsTheProtocolAnswerOnARawSocket) {
  TestServer server;
  server.start();
  RawSocket raw(server.port());
  ASSERT_TRUE(raw.send(json_frame(R"({"code":4242,"language":"NODE_JS","opaque":77,"flag":0,"version":121})")));
  const auto answer = raw.read_frame(static_cast<int>(kTimeoutMs));
  ASSERT_TRUE(answer.has_value());
  const DecodeResult decoded = decode_frame(ByteSpan(*answer));
  ASSERT_EQ(decoded.status, DecodeResult::Status::kCommand);
  EXPECT_EQ(decoded.command.code, response_code::kRequestCodeNotSupported);
  EXPECT_EQ(decoded.command.opaque, 77);
  EXPECT_TRUE(decoded.command.is_response());
  EXPECT_EQ(decoded.command.remark, std::optional<std::string>(" request type 4242 not supported"));
  // Still open: the next request is served.
  RemotingCommand echo = make_request(kEcho);
  echo.opaque = 78;
  ASSERT_TRUE(raw.send(encode_frame(echo)));
  const auto second = raw.read_frame(static_cast<int>(kTimeoutMs));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(decode_frame(ByteSpan(*second)).command.opaque, 78);
}

TEST(MalformedInputOrderTest, PeerVanishingMidFrameIsJustAClose) {
  TestServer server;
  server.start();
  {
    RawSocket raw(server.port());
    ASSERT_TRUE(raw.send(Wire().raw({0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02}).text("{}").bytes()));
  }
  ASSERT_TRUE(server.wait_for([&] { return server.closed_ids_.size() == 1; }));
  RemotingClient client;
  EXPECT_TRUE(client.connect("127.0.0.1", server.port(), kTimeoutMs)->invoke_sync(make_request(kEcho), kTimeoutMs).ok());
}

}  // namespace
}  // namespace rmq::remoting
