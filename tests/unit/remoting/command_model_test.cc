// The command model: flags, responses made for requests, extFields parsing the way Java parses it.
#include <gtest/gtest.h>

#include <limits>

#include "broker/remoting/ext_fields.h"
#include "broker/remoting/language_code.h"
#include "broker/remoting/remoting_command.h"
#include "broker/remoting/request_dispatcher.h"

namespace rmq::remoting {
namespace {

TEST(RemotingCommandTest, ResponseCopiesOpaqueAndSerializeTypeAndSetsResponseFlag) {
  RemotingCommand request = make_request(request_code::kPullMessage);
  request.opaque = 1234;
  request.serialize_type = SerializeType::kRocketMq;
  const RemotingCommand response = make_response(request, response_code::kPullNotFound, "no new message");
  EXPECT_EQ(response.code, 19);
  EXPECT_EQ(response.opaque, 1234);
  EXPECT_TRUE(response.is_response());
  EXPECT_FALSE(response.is_oneway());
  EXPECT_EQ(response.serialize_type, SerializeType::kRocketMq);
  EXPECT_EQ(response.remark, std::optional<std::string>("no new message"));
  EXPECT_EQ(response.version, kCurrentVersion);
}

TEST(RemotingCommandTest, OnewayRequestHasFlagTwo) {
  const RemotingCommand notify = make_oneway_request(request_code::kNotifyConsumerIdsChanged);
  EXPECT_EQ(notify.code, 40);
  EXPECT_EQ(notify.flag, 2);
  EXPECT_TRUE(notify.is_oneway());
  EXPECT_FALSE(notify.is_response());
}

TEST(RemotingCommandTest, CodesMatchTheSpecTables) {
  EXPECT_EQ(request_code::kSendMessage, 10);
  EXPECT_EQ(request_code::kPullMessage, 11);
  EXPECT_EQ(request_code::kHeartBeat, 34);
  EXPECT_EQ(request_code::kRegisterBroker, 103);
  EXPECT_EQ(request_code::kGetRouteinfoByTopic, 105);
  EXPECT_EQ(request_code::kGetAllTopicListFromNameserver, 206);
  EXPECT_EQ(request_code::kSendMessageV2, 310);
  EXPECT_EQ(request_code::kSendBatchMessage, 320);
  EXPECT_EQ(response_code::kRequestCodeNotSupported, 3);
  EXPECT_EQ(response_code::kTopicNotExist, 17);
  EXPECT_EQ(response_code::kPullNotFound, 19);
  EXPECT_EQ(response_code::kQueryNotFound, 22);
  EXPECT_EQ(response_code::kNotLeaderForQueue, 501);
}

TEST(RemotingCommandTest, NotSupportedRemarkIsJavas) {
  EXPECT_EQ(not_supported_remark(777), " request type 777 not supported");
}

TEST(LanguageCodeTest, NamesAndCodes) {
  EXPECT_EQ(language_name(LanguageCode::kJava), "JAVA");
  EXPECT_EQ(language_name(LanguageCode::kNodeJs), "NODE_JS");
  EXPECT_EQ(language_from_name("GO"), LanguageCode::kGo);
  EXPECT_EQ(language_from_name("go"), std::nullopt);
  EXPECT_EQ(language_from_code(13), LanguageCode::kNodeJs);
  EXPECT_EQ(language_from_code(14), std::nullopt);
  EXPECT_EQ(language_from_code(-1), std::nullopt);
}

TEST(ExtFieldsTest, IntegersParseLikeJava) {
  ExtFields ext{{"a", "42"}, {"b", "-1"}, {"c", "+7"}, {"d", " 5"}, {"e", "5x"}, {"f", ""}, {"g", "2147483648"},
                {"h", "9223372036854775807"}, {"i", "9223372036854775808"}, {"j", "+-1"}, {"k", "1.0"}};
  EXPECT_EQ(ext.get_int32("a"), 42);
  EXPECT_EQ(ext.get_int32("b"), -1);
  EXPECT_EQ(ext.get_int32("c"), 7);
  EXPECT_EQ(ext.get_int32("d"), std::nullopt);
  EXPECT_EQ(ext.get_int32("e"), std::nullopt);
  EXPECT_EQ(ext.get_int32("f"), std::nullopt);
  EXPECT_EQ(ext.get_int32("g"), std::nullopt);
  EXPECT_EQ(ext.get_int64("g"), 2147483648LL);
  EXPECT_EQ(ext.get_int64("h"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ext.get_int64("i"), std::nullopt);
  EXPECT_EQ(ext.get_int64("j"), std::nullopt);
  EXPECT_EQ(ext.get_int64("k"), std::nullopt);
  EXPECT_EQ(ext.get_int64("missing"), std::nullopt);
}

TEST(ExtFieldsTest, BooleansParseLikeJava) {
  ExtFields ext{{"a", "true"}, {"b", "TRUE"}, {"c", "false"}, {"d", "yes"}, {"e", "1"}};
  EXPECT_EQ(ext.get_bool("a"), true);
  EXPECT_EQ(ext.get_bool("b"), true);
  EXPECT_EQ(ext.get_bool("c"), false);
  EXPECT_EQ(ext.get_bool("d"), false);
  EXPECT_EQ(ext.get_bool("e"), false);
  EXPECT_EQ(ext.get_bool("missing"), std::nullopt);
}

TEST(ExtFieldsTest, SettersWriteJavaText) {
  ExtFields ext;
  ext.set_int("offset", -1);
  ext.set_bool("changed", true);
  ext.set("topic", "T");
  ext.set("topic", "U");
  EXPECT_EQ(ext, (ExtFields{{"offset", "-1"}, {"changed", "true"}, {"topic", "U"}}));
  EXPECT_TRUE(ext.erase("topic"));
  EXPECT_FALSE(ext.contains("topic"));
  EXPECT_EQ(ext.size(), 2u);
}

}  // namespace
}  // namespace rmq::remoting
