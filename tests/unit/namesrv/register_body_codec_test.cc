// REGISTER_BROKER bodies from bytes assembled by hand after remoting.md 2.5: the JSON form as a Java broker
// writes it, and the compressed form (big-endian ints and text lines, deflated with zlib itself).
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "broker/namesrv/register_body_codec.h"

namespace rmq::namesrv {
namespace {

common::Bytes bytes_of(const std::string& text) { return common::Bytes(text.begin(), text.end()); }

void put_int(common::Bytes& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 24));
  out.push_back(static_cast<std::uint8_t>(value >> 16));
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

void put_text(common::Bytes& out, const std::string& text) {
  put_int(out, static_cast<std::uint32_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

common::Bytes deflate(const common::Bytes& raw) {
  uLongf size = compressBound(raw.size());
  common::Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, raw.data(), raw.size(), Z_BEST_COMPRESSION), Z_OK);
  out.resize(size);
  return out;
}

TEST(RegisterBodyJson, JavaBrokerBody) {
  const std::string text =
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},)"
      R"("topicConfigTable":{"TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG",)"
      R"("topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8},"%RETRY%g":{"order":false,"perm":6,)"
      R"("readQueueNums":1,"topicFilterType":"SINGLE_TAG","topicName":"%RETRY%g","topicSysFlag":0,"writeQueueNums":1}}}})";
  const RegisterBrokerBody body = decode_register_body_json(bytes_of(text));
  EXPECT_EQ(body.topic_config_wrapper.data_version, (DataVersion{1700000000000, 3}));
  ASSERT_EQ(body.topic_config_wrapper.topics.size(), 2u);
  // nlohmann keeps object keys sorted: %RETRY%g before TBW102.
  EXPECT_EQ(body.topic_config_wrapper.topics[0], (TopicQueueConfig{"%RETRY%g", 1, 1, 6, 0}));
  EXPECT_EQ(body.topic_config_wrapper.topics[1], (TopicQueueConfig{"TBW102", 8, 8, 7, 0}));
  EXPECT_TRUE(body.filter_server_list.empty());
}

TEST(RegisterBodyJson, BadBodiesNameTheProblem) {
  EXPECT_THROW(decode_register_body_json(bytes_of("{not json")), BodyError);
  EXPECT_THROW(decode_register_body_json(bytes_of("[]")), BodyError);
  try {
    decode_register_body_json(bytes_of(R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":"x"}}}})"));
    FAIL() << "expected BodyError";
  } catch (const BodyError& error) {
    EXPECT_NE(std::string(error.what()).find("'T'"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("perm"), std::string::npos) << error.what();
  }
}

common::Bytes compressed_sample_raw() {
  common::Bytes raw;
  put_text(raw, R"({"counter":9,"timestamp":1700000000123})");
  put_int(raw, 2);
  put_text(raw, "TopicTest 4 4 6 SINGLE_TAG");
  put_text(raw, "TBW102 8 8 7 SINGLE_TAG");
  put_text(raw, "[]");
  return raw;
}

TEST(RegisterBodyCompressed, HandAssembledStream) {
  const RegisterBrokerBody body = decode_register_body_compressed(deflate(compressed_sample_raw()));
  EXPECT_EQ(body.topic_config_wrapper.data_version, (DataVersion{1700000000123, 9}));
  ASSERT_EQ(body.topic_config_wrapper.topics.size(), 2u);
  EXPECT_EQ(body.topic_config_wrapper.topics[0], (TopicQueueConfig{"TopicTest", 4, 4, 6, 0}));
  EXPECT_EQ(body.topic_config_wrapper.topics[1], (TopicQueueConfig{"TBW102", 8, 8, 7, 0}));
}

TEST(RegisterBodyCompressed, TruncatedInflatedStreamNamesOffset) {
  common::Bytes raw = compressed_sample_raw();
  raw.resize(raw.size() - 3);  // the filterServerList text is cut short
  try {
    decode_register_body_compressed(deflate(raw));
    FAIL() << "expected BodyError";
  } catch (const BodyError& error) {
    EXPECT_NE(std::string(error.what()).find("offset"), std::string::npos) << error.what();
  }
}

TEST(RegisterBodyCompressed, HugeTopicCountRejected) {
  common::Bytes raw;
  put_text(raw, R"({"counter":1,"timestamp":1})");
  put_int(raw, 0x7FFFFFFF);
  EXPECT_THROW(decode_register_body_compressed(deflate(raw)), BodyError);
  common::Bytes negative;
  put_int(negative, 0xFFFFFFF0u);  // a negative dataVersion length
  EXPECT_THROW(decode_register_body_compressed(deflate(negative)), BodyError);
}

TEST(RegisterBodyCompressed, BadTopicLine) {
  common::Bytes raw;
  put_text(raw, R"({"counter":1,"timestamp":1})");
  put_int(raw, 1);
  put_text(raw, "TopicTest 4 4");
  put_text(raw, "[]");
  EXPECT_THROW(decode_register_body_compressed(deflate(raw)), BodyError);
  common::Bytes bad_number;
  put_text(bad_number, R"({"counter":1,"timestamp":1})");
  put_int(bad_number, 1);
  put_text(bad_number, "TopicTest four 4 6 SINGLE_TAG");
  put_text(bad_number, "[]");
  EXPECT_THROW(decode_register_body_compressed(deflate(bad_number)), BodyError);
}

TEST(RegisterBodyCompressed, DamagedZlibStream) {
  common::Bytes stream = deflate(compressed_sample_raw());
  EXPECT_THROW(decode_register_body_compressed(common::ByteSpan(stream).first(stream.size() / 2)), BodyError);
  EXPECT_THROW(decode_register_body_compressed(bytes_of("definitely not zlib")), BodyError);
  EXPECT_THROW(decode_register_body_compressed(common::Bytes{}), BodyError);
}

TEST(RegisterBodyCompressed, InflateCap) {
  const common::Bytes zeros(1 << 20, 0);
  EXPECT_THROW(inflate_zlib(deflate(zeros), 1000), BodyError);
  EXPECT_EQ(inflate_zlib(deflate(zeros), 1 << 20).size(), zeros.size());
}

}  // namespace
}  // namespace rmq::namesrv
