// Frames assembled by hand from remoting.md 1.1 (framing), 1.2 (JSON header), 1.4 (ROCKETMQ header).
#include "broker/remoting/frame_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/remoting/wire_bytes.h"

namespace rmq::remoting {
namespace {

using testing::concat;
using testing::Wire;
using Status = DecodeResult::Status;

// ali-ons's SEND_MESSAGE_V2 shape: numbers and booleans unquoted inside extFields (remoting.md 1.6 rule 1).
constexpr std::string_view kJsonRequestHeader =
    R"({"code":310,"extFields":{"a":"PID_example","b":"TopicTest","e":1,"k":false},"flag":0,)"
    R"("language":"JAVA","opaque":7,"version":121})";

// length = 4 + 128 (header) + 5 (body) = 137 = 0x89; type 0, header length 128 = 0x80.
const Bytes kJsonRequestFrame =
    Wire().raw({0x00, 0x00, 0x00, 0x89}).raw({0x00, 0x00, 0x00, 0x80}).text(kJsonRequestHeader).text("hello").bytes();

// PULL_MESSAGE from a Go client in ROCKETMQ binary form (remoting.md 1.4).
const Bytes kBinaryRequestFrame = Wire()
                                      .raw({0x00, 0x00, 0x00, 0x35})  // length 53 = 4 + 47 + 2
                                      .raw({0x01, 0x00, 0x00, 0x2F})  // type 1, header length 47
                                      .raw({0x00, 0x0B})              // code 11
                                      .raw({0x09})                    // language GO
                                      .raw({0x01, 0x3D})              // version 317
                                      .raw({0x00, 0x00, 0x00, 0x05})  // opaque 5
                                      .raw({0x00, 0x00, 0x00, 0x00})  // flag 0
                                      .raw({0x00, 0x00, 0x00, 0x00})  // remark: none
                                      .raw({0x00, 0x00, 0x00, 0x1A})  // extFields: 26 bytes
                                      .raw({0x00, 0x07})
                                      .text("queueId")
                                      .raw({0x00, 0x00, 0x00, 0x01})
                                      .text("3")
                                      .raw({0x00, 0x05})
                                      .text("topic")
                                      .raw({0x00, 0x00, 0x00, 0x01})
                                      .text("T")
                                      .text("xy")  // body
                                      .bytes();

DecodeResult decode(const Bytes& bytes) { return decode_frame(ByteSpan(bytes)); }

TEST(FrameCodecTest, DecodesJsonRequestFrame) {
  ASSERT_EQ(kJsonRequestHeader.size(), 128u);
  const DecodeResult result = decode(kJsonRequestFrame);
  ASSERT_EQ(result.status, Status::kCommand) << result.error;
  EXPECT_EQ(result.frame_bytes, 141u);
  const RemotingCommand& command = result.command;
  EXPECT_EQ(command.code, 310);
  EXPECT_EQ(command.language, LanguageCode::kJava);
  EXPECT_EQ(command.version, 121);
  EXPECT_EQ(command.opaque, 7);
  EXPECT_EQ(command.flag, 0);
  EXPECT_FALSE(command.is_response());
  EXPECT_FALSE(command.remark.has_value());
  EXPECT_EQ(command.serialize_type, SerializeType::kJson);
  EXPECT_EQ(command.ext_fields, (ExtFields{{"a", "PID_example"}, {"b", "TopicTest"}, {"e", "1"}, {"k", "false"}}));
  EXPECT_EQ(command.body, Wire().text("hello").bytes());
}

TEST(FrameCodecTest, EncodesJsonResponseCompactSortedWithStringValues) {
  RemotingCommand request;
  request.code = 310;
  request.opaque = 7;
  RemotingCommand response = make_response(request, response_code::kSuccess);
  response.ext_fields.set("queueOffset", "0");
  response.ext_fields.set_int("queueId", 1);
  response.ext_fields.set("msgId", "7F00000100002A9F0000000000000000");
  constexpr std::string_view kHeader =
      R"({"code":0,"extFields":{"msgId":"7F00000100002A9F0000000000000000","queueId":"1","queueOffset":"0"},)"
      R"("flag":1,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409})";
  ASSERT_EQ(kHeader.size(), 184u);
  // length = 4 + 184 = 188 = 0xBC; header length 184 = 0xB8; no body.
  const Bytes expected = Wire().raw({0x00, 0x00, 0x00, 0xBC}).raw({0x00, 0x00, 0x00, 0xB8}).text(kHeader).bytes();
  EXPECT_EQ(encode_frame(response), expected);
}

TEST(FrameCodecTest, JsonRemarkOnlyWhenPresentAndExtFieldsAlwaysPresent) {
  RemotingCommand request;
  request.opaque = 42;
  const RemotingCommand response = make_response(request, response_code::kTopicNotExist,
                                                 "No topic route info in name server for the topic: T");
  constexpr std::string_view kHeader =
      R"({"code":17,"extFields":{},"flag":1,"language":"JAVA","opaque":42,)"
      R"("remark":"No topic route info in name server for the topic: T","serializeTypeCurrentRPC":"JSON","version":409})";
  ASSERT_EQ(kHeader.size(), 175u);
  EXPECT_EQ(encode_frame(response),
            Wire().raw({0x00, 0x00, 0x00, 0xB3}).raw({0x00, 0x00, 0x00, 0xAF}).text(kHeader).bytes());

  const std::string without_remark = [&] {
    RemotingCommand bare = make_response(request, response_code::kSuccess);
    const Bytes frame = encode_frame(bare);
    return std::string(frame.begin() + 8, frame.end());
  }();
  EXPECT_EQ(without_remark.find("remark"), std::string::npos);
  EXPECT_NE(without_remark.find(R"("extFields":{})"), std::string::npos);
}

TEST(FrameCodecTest, DecodesBinaryRequestFrame) {
  const DecodeResult result = decode(kBinaryRequestFrame);
  ASSERT_EQ(result.status, Status::kCommand) << result.error;
  EXPECT_EQ(result.frame_bytes, 57u);
  const RemotingCommand& command = result.command;
  EXPECT_EQ(command.serialize_type, SerializeType::kRocketMq);
  EXPECT_EQ(command.code, 11);
  EXPECT_EQ(command.language, LanguageCode::kGo);
  EXPECT_EQ(command.version, 317);
  EXPECT_EQ(command.opaque, 5);
  EXPECT_EQ(command.flag, 0);
  EXPECT_FALSE(command.remark.has_value());
  EXPECT_EQ(command.ext_fields, (ExtFields{{"queueId", "3"}, {"topic", "T"}}));
  EXPECT_EQ(command.body, Wire().text("xy").bytes());
}

TEST(FrameCodecTest, EncodesBinaryRequestFrameByteForByte) {
  RemotingCommand request;
  request.serialize_type = SerializeType::kRocketMq;
  request.code = 11;
  request.language = LanguageCode::kGo;
  request.version = 317;
  request.opaque = 5;
  request.ext_fields = ExtFields{{"topic", "T"}, {"queueId", "3"}};
  request.body = Wire().text("xy").bytes();
  EXPECT_EQ(encode_frame(request), kBinaryRequestFrame);
}

TEST(FrameCodecTest, ResponseToBinaryRequestIsBinaryWithTypeByteCopied) {
  const RemotingCommand request = decode(kBinaryRequestFrame).command;
  RemotingCommand response = make_response(request, response_code::kSystemBusy, "busy");
  response.ext_fields.set_int("offset", 9);
  const Bytes expected = Wire()
                             .raw({0x00, 0x00, 0x00, 0x2A})  // length 42 = 4 + 38
                             .raw({0x01, 0x00, 0x00, 0x26})  // type 1 copied from the request, header 38
                             .raw({0x00, 0x02})              // code 2
                             .raw({0x00})                    // JAVA
                             .raw({0x01, 0x99})              // version 409
                             .raw({0x00, 0x00, 0x00, 0x05})  // the request's opaque
                             .raw({0x00, 0x00, 0x00, 0x01})  // response flag
                             .raw({0x00, 0x00, 0x00, 0x04})
                             .text("busy")
                             .raw({0x00, 0x00, 0x00, 0x0D})
                             .raw({0x00, 0x06})
                             .text("offset")
                             .raw({0x00, 0x00, 0x00, 0x01})
                             .text("9")
                             .bytes();
  EXPECT_EQ(encode_frame(response), expected);
}

TEST(FrameCodecTest, ResponseToJsonRequestIsJson) {
  const RemotingCommand request = decode(kJsonRequestFrame).command;
  const Bytes frame = encode_frame(make_response(request, response_code::kSuccess));
  ASSERT_GE(frame.size(), 9u);
  EXPECT_EQ(frame[4], 0x00);
  EXPECT_EQ(frame[8], '{');
}

TEST(FrameCodecTest, PartialFramesFedByteByByte) {
  const Bytes stream = concat(kJsonRequestFrame, kBinaryRequestFrame);
  Bytes buffer;
  std::vector<RemotingCommand> decoded;
  for (std::uint8_t byte : stream) {
    buffer.push_back(byte);
    const DecodeResult result = decode(buffer);
    ASSERT_NE(result.status, Status::kError) << result.error;
    if (result.status == Status::kNeedMore) {
      ASSERT_GT(result.frame_bytes, buffer.size());
      if (buffer.size() >= 4) {
        // Once the length word is in, the decoder knows how long the frame is.
        const std::size_t expected_total = decoded.empty() ? kJsonRequestFrame.size() : kBinaryRequestFrame.size();
        EXPECT_EQ(result.frame_bytes, expected_total);
      }
      continue;
    }
    decoded.push_back(result.command);
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(result.frame_bytes));
  }
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(decoded[0].code, 310);
  EXPECT_EQ(decoded[1].code, 11);
}

TEST(FrameCodecTest, TwoFramesInOneBuffer) {
  const Bytes buffer = concat(kBinaryRequestFrame, kJsonRequestFrame);
  const DecodeResult first = decode(buffer);
  ASSERT_EQ(first.status, Status::kCommand);
  EXPECT_EQ(first.frame_bytes, kBinaryRequestFrame.size());
  EXPECT_EQ(first.command.code, 11);
  const DecodeResult second = decode_frame(ByteSpan(buffer).subspan(first.frame_bytes));
  ASSERT_EQ(second.status, Status::kCommand);
  EXPECT_EQ(second.frame_bytes, kJsonRequestFrame.size());
  EXPECT_EQ(second.command.code, 310);
  EXPECT_EQ(second.command.body, Wire().text("hello").bytes());
}

TEST(FrameCodecTest, EmptyBufferNeedsMore) {
  const DecodeResult result = decode(Bytes{});
  EXPECT_EQ(result.status, Status::kNeedMore);
  EXPECT_EQ(result.frame_bytes, kFramePrefixBytes);
}

TEST(FrameCodecTest, FrameOverSixteenMebibytesRejectedFromItsLengthWordAlone) {
  // 0x01000000 = 16777216 after the length word: 16777220 bytes in all, over the limit.
  const DecodeResult result = decode(Wire().raw({0x01, 0x00, 0x00, 0x00}).bytes());
  ASSERT_EQ(result.status, Status::kError);
  EXPECT_NE(result.error.find("16777216"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find('\n'), std::string::npos);

  EXPECT_EQ(decode(Wire().raw({0xFF, 0xFF, 0xFF, 0xFF}).bytes()).status, Status::kError);
  EXPECT_EQ(decode(Wire().raw({0x7F, 0xFF, 0xFF, 0xFF, 0x00, 0x00}).bytes()).status, Status::kError);
}

TEST(FrameCodecTest, FrameOfExactlySixteenMebibytesIsWaitedFor) {
  // 0x00FFFFFC = 16777212: 16777216 bytes with the length word, the largest frame Netty accepts.
  const DecodeResult result = decode(Wire().raw({0x00, 0xFF, 0xFF, 0xFC, 0x00, 0x00, 0x00, 0x02}).bytes());
  ASSERT_EQ(result.status, Status::kNeedMore) << result.error;
  EXPECT_EQ(result.frame_bytes, kMaxFrameBytes);
}

TEST(FrameCodecTest, LengthTooSmallForHeaderLengthWordRejected) {
  for (int length = 0; length < 4; ++length) {
    const DecodeResult result = decode(Wire().raw({0x00, 0x00, 0x00, length}).bytes());
    EXPECT_EQ(result.status, Status::kError) << "length " << length;
  }
}

TEST(FrameCodecTest, HeaderLengthBeyondFrameRejected) {
  // length 10 leaves 6 bytes after the header-length word; the header claims 7.
  const Bytes frame = Wire().raw({0x00, 0x00, 0x00, 0x0A}).raw({0x00, 0x00, 0x00, 0x07}).bytes();
  const DecodeResult result = decode(frame);
  ASSERT_EQ(result.status, Status::kError);
  EXPECT_NE(result.error.find("header length 7"), std::string::npos) << result.error;
  // The largest 24-bit header length in a small frame.
  EXPECT_EQ(decode(Wire().raw({0x00, 0x00, 0x00, 0x0A}).raw({0x00, 0xFF, 0xFF, 0xFF}).bytes()).status, Status::kError);
}

TEST(FrameCodecTest, HeaderFillingTheWholeFrameHasAnEmptyBody) {
  // length 14 = 4 + 10; the 10-byte header is all there is.
  const Bytes frame = Wire().raw({0x00, 0x00, 0x00, 0x0E}).raw({0x00, 0x00, 0x00, 0x0A}).text(R"({"code":1})").bytes();
  const DecodeResult result = decode(frame);
  ASSERT_EQ(result.status, Status::kCommand) << result.error;
  EXPECT_EQ(result.command.code, 1);
  EXPECT_TRUE(result.command.body.empty());
}

TEST(FrameCodecTest, UnknownSerializeTypeRejected) {
  const Bytes frame = Wire().raw({0x00, 0x00, 0x00, 0x0E}).raw({0x02, 0x00, 0x00, 0x0A}).text(R"({"code":1})").bytes();
  EXPECT_EQ(decode(frame).status, Status::kError);
}

Bytes json_frame(std::string_view header) {
  const auto size = static_cast<std::uint32_t>(header.size());
  Bytes frame(8);
  common::store_u32_be(frame.data(), size + 4);
  common::store_u32_be(frame.data() + 4, size);
  frame.insert(frame.end(), header.begin(), header.end());
  return frame;
}

TEST(FrameCodecTest, BadJsonRejected) {
  for (std::string_view header : {R"({"code":10,)", R"(not json)", "", R"({"code":10}})", "{\"code\":\xff}"}) {
    const DecodeResult result = decode(json_frame(header));
    EXPECT_EQ(result.status, Status::kError) << header;
    EXPECT_EQ(result.error.find('\n'), std::string::npos) << result.error;
  }
}

TEST(FrameCodecTest, JsonThatIsNotARemotingHeaderRejected) {
  for (std::string_view header : {R"([1,2])", R"("text")", R"({"code":"ten"})", R"({"code":1.5})",
                                  R"({"opaque":4294967296})", R"({"flag":{}})", R"({"extFields":[1]})",
                                  R"({"extFields":{"k":{"nested":1}}})", R"({"remark":[1]})", R"({"language":true})"}) {
    EXPECT_EQ(decode(json_frame(header)).status, Status::kError) << header;
  }
}

TEST(FrameCodecTest, DeeplyNestedJsonIsAnErrorNotACrash) {
  std::string header = R"({"extFields":{"k":)";
  header.append(100000, '[');
  header.append(100000, ']');
  header += "}}";
  EXPECT_EQ(decode(json_frame(header)).status, Status::kError);
}

TEST(FrameCodecTest, ExtFieldsScalarsBecomeStringsAndAreWrittenAsStrings) {
  // ali-ons PULL_MESSAGE (remoting.md 7): numbers, a negative, a 64-bit timestamp, a boolean, a null.
  const DecodeResult result = decode(json_frame(
      R"({"code":11,"opaque":3,"extFields":{"queueId":0,"commitOffset":-1,"subVersion":1795708792634,)"
      R"("k":false,"order":true,"subscription":"*","gone":null,"ratio":0.5}})"));
  ASSERT_EQ(result.status, Status::kCommand) << result.error;
  const ExtFields& ext = result.command.ext_fields;
  EXPECT_EQ(ext, (ExtFields{{"queueId", "0"},
                            {"commitOffset", "-1"},
                            {"subVersion", "1795708792634"},
                            {"k", "false"},
                            {"order", "true"},
                            {"subscription", "*"},
                            {"ratio", "0.5"}}));
  EXPECT_EQ(ext.get_int32("queueId"), 0);
  EXPECT_EQ(ext.get_int64("commitOffset"), -1);
  EXPECT_EQ(ext.get_int64("subVersion"), 1795708792634);
  EXPECT_EQ(ext.get_bool("k"), false);
  EXPECT_EQ(ext.get_bool("order"), true);
  EXPECT_FALSE(ext.contains("gone"));

  RemotingCommand reencoded = result.command;
  const Bytes frame = encode_frame(reencoded);
  const std::string header(frame.begin() + 8, frame.end());
  EXPECT_NE(header.find(R"("extFields":{"commitOffset":"-1","k":"false","order":"true","queueId":"0",)"
                        R"("ratio":"0.5","subVersion":"1795708792634","subscription":"*"})"),
            std::string::npos)
      << header;
}

TEST(FrameCodecTest, JsonHeaderLeniency) {
  // language as an int or an unknown name, numeric strings for ints, unknown keys, serializeTypeCurrentRPC.
  const DecodeResult by_int = decode(json_frame(R"({"code":"105","language":9,"flag":"2","x":[1,{}]})"));
  ASSERT_EQ(by_int.status, Status::kCommand) << by_int.error;
  EXPECT_EQ(by_int.command.code, 105);
  EXPECT_EQ(by_int.command.language, LanguageCode::kGo);
  EXPECT_TRUE(by_int.command.is_oneway());

  const DecodeResult by_name =
      decode(json_frame(R"({"code":34,"language":"NODE_JS","serializeTypeCurrentRPC":"ROCKETMQ","remark":""})"));
  ASSERT_EQ(by_name.status, Status::kCommand) << by_name.error;
  EXPECT_EQ(by_name.command.language, LanguageCode::kNodeJs);
  EXPECT_EQ(by_name.command.serialize_type, SerializeType::kJson);  // the frame's type byte decides
  EXPECT_EQ(by_name.command.remark, std::optional<std::string>(""));  // the C++ client sends ""

  EXPECT_EQ(decode(json_frame(R"({"language":"KOTLIN"})")).command.language, LanguageCode::kOther);
  EXPECT_EQ(decode(json_frame(R"({"language":99})")).command.language, LanguageCode::kOther);
  EXPECT_EQ(decode(json_frame(R"({"opaque":-2147483648})")).command.opaque, -2147483648);
}

Bytes binary_frame(const Bytes& header) {
  Bytes frame(8);
  common::store_u32_be(frame.data(), static_cast<std::uint32_t>(header.size() + 4));
  common::store_u32_be(frame.data() + 4, 0x01000000u | static_cast<std::uint32_t>(header.size()));
  return concat(frame, header);
}

// code 10, JAVA, version 409, opaque 1, flag 0.
Wire binary_fixed_part() {
  Wire wire;
  wire.raw({0x00, 0x0A, 0x00, 0x01, 0x99, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00});
  return wire;
}

TEST(FrameCodecTest, BinaryHeaderLengthsCheckedAgainstTheHeader) {
  // Shorter than the 21 fixed bytes.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part().raw({0x00, 0x00, 0x00, 0x00}).bytes())).status, Status::kError);
  // Remark length past the end.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part().raw({0x00, 0x00, 0x00, 0x09}).text("abc").raw({0, 0, 0, 0}).bytes()))
                .status,
            Status::kError);
  // Negative remark length.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part().raw({0xFF, 0xFF, 0xFF, 0xFF}).raw({0, 0, 0, 0}).bytes())).status,
            Status::kError);
  // extFields length past the end.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part().raw({0, 0, 0, 0}).raw({0x00, 0x00, 0x00, 0x10}).bytes())).status,
            Status::kError);
  // A key length past the map's end.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part().raw({0, 0, 0, 0}).raw({0, 0, 0, 4}).raw({0x00, 0x09}).text("ab").bytes()))
                .status,
            Status::kError);
  // A value length past the map's end.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part()
                                    .raw({0, 0, 0, 0})
                                    .raw({0, 0, 0, 9})
                                    .raw({0x00, 0x01})
                                    .text("k")
                                    .raw({0x00, 0x00, 0x00, 0x05})
                                    .text("vv")
                                    .bytes()))
                .status,
            Status::kError);
  // A negative key length.
  EXPECT_EQ(decode(binary_frame(binary_fixed_part().raw({0, 0, 0, 0}).raw({0, 0, 0, 2}).raw({0xFF, 0xFF}).bytes())).status,
            Status::kError);
}

TEST(FrameCodecTest, BinaryHeaderWithNothingOptional) {
  const DecodeResult result = decode(binary_frame(binary_fixed_part().raw({0, 0, 0, 0}).raw({0, 0, 0, 0}).bytes()));
  ASSERT_EQ(result.status, Status::kCommand) << result.error;
  EXPECT_EQ(result.command.code, 10);
  EXPECT_EQ(result.command.version, 409);
  EXPECT_EQ(result.command.opaque, 1);
  EXPECT_FALSE(result.command.remark.has_value());
  EXPECT_TRUE(result.command.ext_fields.empty());
}

TEST(FrameCodecTest, BinaryRoundTripKeepsEverything) {
  RemotingCommand command;
  command.serialize_type = SerializeType::kRocketMq;
  command.code = 105;
  command.language = LanguageCode::kCpp;
  command.version = 333;
  command.opaque = -5;
  command.flag = kFlagOneway;
  command.remark = "r\xC3\xA9mark";
  command.ext_fields = ExtFields{{"topic", "TopicTest"}, {"empty", ""}};
  command.body = Bytes{0x00, 0x01, 0xFF};
  const Bytes frame = encode_frame(command);
  const DecodeResult result = decode(frame);
  ASSERT_EQ(result.status, Status::kCommand) << result.error;
  EXPECT_EQ(result.command, command);
}

TEST(FrameCodecTest, EncoderRefusesFramesPeersWouldReject) {
  RemotingCommand command;
  command.body.resize(kMaxFrameBytes);
  EXPECT_THROW(encode_frame(command), FrameTooLarge);
  command.body.resize(100);
  EXPECT_THROW(encode_frame(command, 64), FrameTooLarge);
  EXPECT_NO_THROW(encode_frame(command, 1024));
}

TEST(FrameCodecTest, DecoderHonoursACustomLimit) {
  EXPECT_EQ(decode_frame(ByteSpan(kJsonRequestFrame), 140).status, Status::kError);
  EXPECT_EQ(decode_frame(ByteSpan(kJsonRequestFrame), 141).status, Status::kCommand);
}

}  // namespace
}  // namespace rmq::remoting
