// The streaming JSON header codec's text rules, with expected texts written by hand from RFC 8259 and the
// escaping the header always had (json_header.h): escapes, U+FFFD for invalid UTF-8, numbers' texts,
// unknown fields skipped whole, and what must be refused.
#include "broker/remoting/json_header.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace rmq::remoting {
namespace {

ByteSpan span_of(std::string_view text) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

std::string remark_text(std::string remark) {
  RemotingCommand command;
  command.remark = std::move(remark);
  const std::string header = encode_json_header(command);
  const std::string_view key = R"("remark":")";
  const auto begin = header.find(key);
  EXPECT_NE(begin, std::string::npos) << header;
  const auto end = header.find(R"(","serializeTypeCurrentRPC")");
  return header.substr(begin + key.size(), end - begin - key.size());
}

TEST(JsonHeaderTextTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(remark_text("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(remark_text("\b\f\n\r\t"), "\\b\\f\\n\\r\\t");
  EXPECT_EQ(remark_text(std::string("\x01\x1f", 2)), "\\u0001\\u001f");
  EXPECT_EQ(remark_text("/\x7f"), "/\x7f");  // neither is escaped
  EXPECT_EQ(remark_text("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(JsonHeaderTextTest, InvalidUtf8IsReplacedByOneReplacementCharacterPerBadSubpart) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(remark_text("a\xFF" "b"), "a" + r + "b");
  EXPECT_EQ(remark_text("a\xE2\x82"), "a" + r);              // truncated at the end
  EXPECT_EQ(remark_text("\xE2\x82x"), r + "x");              // truncated, then a byte read on its own
  EXPECT_EQ(remark_text("\xC0\x80"), r + r);                 // overlong: two bad lead/continuation bytes
  EXPECT_EQ(remark_text("\xED\xA0\x80"), r + r + r);         // an encoded surrogate
  EXPECT_EQ(remark_text("\xF4\x90\x80\x80"), r + r + r + r); // past U+10FFFF
}

TEST(JsonHeaderTextTest, ExtFieldsAreWrittenSortedAsStrings) {
  RemotingCommand command;
  command.code = 310;
  command.opaque = -5;
  command.ext_fields.set("b", "x\"y");
  command.ext_fields.set_int("a", -1);
  EXPECT_EQ(encode_json_header(command),
            R"({"code":310,"extFields":{"a":"-1","b":"x\"y"},"flag":0,"language":"JAVA","opaque":-5,)"
            R"("serializeTypeCurrentRPC":"JSON","version":409})");
}

TEST(JsonHeaderTextTest, DecodesEscapesNumbersAndSkipsUnknownContainers) {
  RemotingCommand out;
  const std::string_view text =
      R"( {"x":{"y":[1,{"z":[]}],"code":7},"code":310,"opaque":"12","extFields":{"k":"a\u00e9\n\ud83d\ude00",)"
      R"("big":18446744073709551615,"neg":-9223372036854775808,"f":2.50,"e":1e2},"remark":12} )";
  ASSERT_EQ(decode_json_header(span_of(text), out), std::nullopt);
  EXPECT_EQ(out.code, 310);
  EXPECT_EQ(out.opaque, 12);
  EXPECT_EQ(out.remark, std::optional<std::string>("12"));
  EXPECT_EQ(out.ext_fields.get("k"), std::optional<std::string_view>("a\xC3\xA9\n\xF0\x9F\x98\x80"));
  EXPECT_EQ(out.ext_fields.get("big"), std::optional<std::string_view>("18446744073709551615"));
  EXPECT_EQ(out.ext_fields.get("neg"), std::optional<std::string_view>("-9223372036854775808"));
  EXPECT_EQ(out.ext_fields.get("f"), std::optional<std::string_view>("2.5"));
  EXPECT_EQ(out.ext_fields.get("e"), std::optional<std::string_view>("100.0"));
}

TEST(JsonHeaderTextTest, RefusesWhatCannotBeAHeader) {
  for (std::string_view text : std::initializer_list<std::string_view>{R"({"remark":"\udc00"})", R"({"remark":"\ud800"})", "{\"remark\":\"a\x01\"}",
                                std::string_view("{\"code\":1}\0", 11), R"({"code":1}x)", R"({"code":-2147483649})",
                                R"({"extFields":{"k":[]}})", R"({"version":true})", "{\"remark\":\"\xC0\x80\"}"}) {
    RemotingCommand out;
    const auto error = decode_json_header(span_of(text), out);
    EXPECT_NE(error, std::nullopt) << text;
  }
}

}  // namespace
}  // namespace rmq::remoting
