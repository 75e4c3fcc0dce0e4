// java.util.Properties.load/store rules, one behaviour per test. Inputs are written out literally so that
// each test reads as the broker.conf text it stands for; the expected values are what the JDK gives.
#include "broker/common/java_properties.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace rmq::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

JavaProperties parse(std::string_view text) { return JavaProperties::parse(text, "test.conf"); }

std::string error_of(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JavaPropertiesTest, EqualsSeparatesKeyAndValue) {
  EXPECT_EQ(parse("brokerName=broker-a\n").get("brokerName"), "broker-a");
}

TEST(JavaPropertiesTest, ColonSeparatesKeyAndValue) {
  EXPECT_EQ(parse("brokerName:broker-a\n").get("brokerName"), "broker-a");
}

TEST(JavaPropertiesTest, SpaceSeparatesKeyAndValue) {
  EXPECT_EQ(parse("brokerName broker-a\n").get("brokerName"), "broker-a");
}

TEST(JavaPropertiesTest, TabSeparatesKeyAndValue) {
  EXPECT_EQ(parse("brokerName\tbroker-a\n").get("brokerName"), "broker-a");
}

TEST(JavaPropertiesTest, FormFeedSeparatesKeyAndValue) {
  EXPECT_EQ(parse("brokerName\fbroker-a\n").get("brokerName"), "broker-a");
}

TEST(JavaPropertiesTest, WhitespaceAroundSeparatorIsSkipped) {
  EXPECT_EQ(parse("brokerClusterName = RaftCluster\n").get("brokerClusterName"), "RaftCluster");
}

TEST(JavaPropertiesTest, OneEqualsAfterWhitespaceSeparatorIsSkipped) {
  EXPECT_EQ(parse("key   =value\n").get("key"), "value");
}

TEST(JavaPropertiesTest, OneColonAfterWhitespaceSeparatorIsSkipped) {
  EXPECT_EQ(parse("key \t: value\n").get("key"), "value");
}

TEST(JavaPropertiesTest, SecondSeparatorBelongsToValue) {
  EXPECT_EQ(parse("key==value\n").get("key"), "=value");
  EXPECT_EQ(parse("key = :value\n").get("key"), ":value");
}

TEST(JavaPropertiesTest, ValueKeepsSeparatorsAfterTheFirst) {
  EXPECT_EQ(parse("namesrvAddr=127.0.0.1:9876;127.0.0.2:9876\n").get("namesrvAddr"),
            "127.0.0.1:9876;127.0.0.2:9876");
}

TEST(JavaPropertiesTest, TrailingWhitespaceOfValueIsKept) {
  EXPECT_EQ(parse("key=value  \n").get("key"), "value  ");
}

TEST(JavaPropertiesTest, KeyWithoutValueGetsEmptyValue) {
  const JavaProperties p = parse("lonelyKey\n");
  ASSERT_TRUE(p.contains("lonelyKey"));
  EXPECT_EQ(p.get("lonelyKey"), "");
}

TEST(JavaPropertiesTest, LeadingWhitespaceOfLineIsSkipped) {
  EXPECT_EQ(parse("   \t key=value\n").get("key"), "value");
}

TEST(JavaPropertiesTest, HashStartsComment) {
  const JavaProperties p = parse("# brokerName=commented\nkey=value\n");
  EXPECT_FALSE(p.contains("brokerName"));
  EXPECT_FALSE(p.contains("#"));
  EXPECT_THAT(p.keys_in_order(), ElementsAre("key"));
}

TEST(JavaPropertiesTest, ExclamationMarkStartsComment) {
  EXPECT_THAT(parse("! brokerName=commented\nkey=value\n").keys_in_order(), ElementsAre("key"));
}

TEST(JavaPropertiesTest, CommentAfterLeadingWhitespace) {
  EXPECT_THAT(parse("   # indented comment\nkey=value\n").keys_in_order(), ElementsAre("key"));
}

TEST(JavaPropertiesTest, HashInsideValueIsNotComment) {
  EXPECT_EQ(parse("key=value # not a comment\n").get("key"), "value # not a comment");
}

TEST(JavaPropertiesTest, CommentEndingInBackslashDoesNotContinue) {
  const JavaProperties p = parse("# comment \\\nkey=value\n");
  EXPECT_THAT(p.keys_in_order(), ElementsAre("key"));
}

TEST(JavaPropertiesTest, BlankLinesAreIgnored) {
  EXPECT_THAT(parse("\n   \n\t\na=1\n\n\nb=2\n").keys_in_order(), ElementsAre("a", "b"));
}

TEST(JavaPropertiesTest, LastLineWithoutNewline) { EXPECT_EQ(parse("key=value").get("key"), "value"); }

TEST(JavaPropertiesTest, CrLfLineEnds) {
  const JavaProperties p = parse("a=1\r\nb=2\r\n");
  EXPECT_EQ(p.get("a"), "1");
  EXPECT_EQ(p.get("b"), "2");
  EXPECT_EQ(p.line_of("b"), 2);
}

TEST(JavaPropertiesTest, CrLineEnds) {
  const JavaProperties p = parse("a=1\rb=2\r");
  EXPECT_EQ(p.get("a"), "1");
  EXPECT_EQ(p.get("b"), "2");
  EXPECT_EQ(p.line_of("b"), 2);
}

TEST(JavaPropertiesTest, BackslashNewlineContinuesLine) {
  EXPECT_EQ(parse("dLegerPeers=n0-127.0.0.1:40911;\\\nn1-127.0.0.1:40912\n").get("dLegerPeers"),
            "n0-127.0.0.1:40911;n1-127.0.0.1:40912");
}

TEST(JavaPropertiesTest, ContinuationDropsLeadingWhitespace) {
  EXPECT_EQ(parse("key=first \\\n     \t second\n").get("key"), "first second");
}

TEST(JavaPropertiesTest, ContinuationAcrossCrLf) {
  EXPECT_EQ(parse("key=a\\\r\n  b\r\n").get("key"), "ab");
}

TEST(JavaPropertiesTest, ContinuationAcrossCr) { EXPECT_EQ(parse("key=a\\\r  b\r").get("key"), "ab"); }

TEST(JavaPropertiesTest, ContinuationInsideKey) { EXPECT_EQ(parse("bro\\\n  kerName=x\n").get("brokerName"), "x"); }

TEST(JavaPropertiesTest, EvenBackslashesAreNotContinuation) {
  const JavaProperties p = parse("path=C:\\\\\nnext=1\n");
  EXPECT_EQ(p.get("path"), "C:\\");
  EXPECT_EQ(p.get("next"), "1");
}

TEST(JavaPropertiesTest, OddBackslashesAreContinuation) {
  EXPECT_EQ(parse("path=C:\\\\\\\nrest\n").get("path"), "C:\\rest");
}

TEST(JavaPropertiesTest, HashOnContinuationLineIsData) {
  EXPECT_EQ(parse("key=a\\\n  #b\n").get("key"), "a#b");
}

TEST(JavaPropertiesTest, BlankContinuationLineEndsLogicalLine) {
  const JavaProperties p = parse("key=a\\\n\nother=b\n");
  EXPECT_EQ(p.get("key"), "a");
  EXPECT_EQ(p.get("other"), "b");
}

TEST(JavaPropertiesTest, LoneBackslashBeforeBlankLineYieldsNothing) {
  const JavaProperties p = parse("\\\n\nkey=v\n");
  EXPECT_THAT(p.keys_in_order(), ElementsAre("key"));
  EXPECT_EQ(p.line_of("key"), 3);
}

TEST(JavaPropertiesTest, HashAfterEmptyContinuationIsComment) {
  EXPECT_THAT(parse("\\\n#comment\nkey=v\n").keys_in_order(), ElementsAre("key"));
}

TEST(JavaPropertiesTest, BackslashAtEndOfTextIsDropped) { EXPECT_EQ(parse("key=a\\").get("key"), "a"); }

TEST(JavaPropertiesTest, EscapeTab) { EXPECT_EQ(parse("key=a\\tb\n").get("key"), "a\tb"); }

TEST(JavaPropertiesTest, EscapeNewline) { EXPECT_EQ(parse("key=a\\nb\n").get("key"), "a\nb"); }

TEST(JavaPropertiesTest, EscapeCarriageReturn) { EXPECT_EQ(parse("key=a\\rb\n").get("key"), "a\rb"); }

TEST(JavaPropertiesTest, EscapeFormFeed) { EXPECT_EQ(parse("key=a\\fb\n").get("key"), "a\fb"); }

TEST(JavaPropertiesTest, EscapeBackslash) { EXPECT_EQ(parse("key=a\\\\b\n").get("key"), "a\\b"); }

TEST(JavaPropertiesTest, OtherEscapedCharacterStandsForItself) {
  EXPECT_EQ(parse("key=\\a\\b\\z\\#\n").get("key"), "abz#");
}

TEST(JavaPropertiesTest, EscapedSeparatorsBelongToKey) {
  const JavaProperties p = parse("a\\=b\\:c\\ d=value\n");
  EXPECT_THAT(p.keys_in_order(), ElementsAre("a=b:c d"));
  EXPECT_EQ(p.get("a=b:c d"), "value");
}

TEST(JavaPropertiesTest, EscapedLeadingSpaceOfValueIsKept) { EXPECT_EQ(parse("key=\\  x\n").get("key"), "  x"); }

TEST(JavaPropertiesTest, UnicodeEscapeBecomesUtf8) {
  EXPECT_EQ(parse("key=\\u0041\\u00e9\\u4E2D\n").get("key"), "A\xC3\xA9\xE4\xB8\xAD");
}

TEST(JavaPropertiesTest, UnicodeSurrogatePairBecomesOneCodePoint) {
  EXPECT_EQ(parse("key=\\uD83D\\uDE00\n").get("key"), "\xF0\x9F\x98\x80");  // U+1F600
}

TEST(JavaPropertiesTest, UnicodeEscapeInKey) { EXPECT_EQ(parse("\\u006Bey=v\n").get("key"), "v"); }

TEST(JavaPropertiesTest, Utf8BytesPassThrough) {
  EXPECT_EQ(parse("key=\xE4\xB8\xAD\xE6\x96\x87\n").get("key"), "\xE4\xB8\xAD\xE6\x96\x87");
}

TEST(JavaPropertiesTest, MalformedUnicodeEscapeNamesFileAndLine) {
  const std::string error = error_of("a=1\nb=2\nc=\\u12G4\n");
  EXPECT_THAT(error, StartsWith("test.conf:3: "));
  EXPECT_THAT(error, HasSubstr("\\u12G4"));
}

TEST(JavaPropertiesTest, ShortUnicodeEscapeAtEndOfLineIsError) {
  EXPECT_THAT(error_of("key=\\u12\n"), StartsWith("test.conf:1: "));
}

TEST(JavaPropertiesTest, UnicodeErrorOnContinuationLineNamesThatLine) {
  EXPECT_THAT(error_of("key=ok\\\n  \\uZZZZ\n"), StartsWith("test.conf:2: "));
}

TEST(JavaPropertiesTest, UnpairedHighSurrogateIsError) {
  EXPECT_THAT(error_of("key=\\uD83Dx\n"), StartsWith("test.conf:1: unpaired surrogate"));
}

TEST(JavaPropertiesTest, LoneLowSurrogateIsError) {
  EXPECT_THAT(error_of("key=\\uDE00\n"), StartsWith("test.conf:1: unpaired surrogate"));
}

TEST(JavaPropertiesTest, LaterKeyOverridesValueButKeepsFirstPosition) {
  const JavaProperties p = parse("a=1\nb=2\na=3\n");
  EXPECT_EQ(p.get("a"), "3");
  EXPECT_THAT(p.keys_in_order(), ElementsAre("a", "b"));
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.line_of("a"), 3);
}

TEST(JavaPropertiesTest, LineOfContinuedEntryIsItsFirstLine) {
  const JavaProperties p = parse("# header\n\nkey=a\\\n  b\nnext=c\n");
  EXPECT_EQ(p.line_of("key"), 3);
  EXPECT_EQ(p.line_of("next"), 5);
}

TEST(JavaPropertiesTest, SetKeepsFirstPositionAndReportsLineZero) {
  JavaProperties p = parse("a=1\n");
  p.set("b", "2");
  p.set("a", "9");
  EXPECT_THAT(p.keys_in_order(), ElementsAre("a", "b"));
  EXPECT_EQ(p.get("a"), "9");
  EXPECT_EQ(p.line_of("a"), 0);
  EXPECT_EQ(p.line_of("missing"), 0);
}

TEST(JavaPropertiesTest, GetOrFallsBackForMissingKey) {
  const JavaProperties p = parse("a=1\n");
  EXPECT_EQ(p.get_or("a", "x"), "1");
  EXPECT_EQ(p.get_or("b", "x"), "x");
  EXPECT_EQ(p.get("b"), std::nullopt);
}

TEST(JavaPropertiesTest, ToStringWritesPlainLinesInOrder) {
  JavaProperties p;
  p.set("brokerName", "RaftNode00");
  p.set("namesrvAddr", "127.0.0.1:9876");
  EXPECT_EQ(p.to_string(), "brokerName=RaftNode00\nnamesrvAddr=127.0.0.1:9876\n");
}

TEST(JavaPropertiesTest, ToStringEscapesKeySpecials) {
  JavaProperties p;
  p.set("a b=c:d#e!f", "v");
  EXPECT_EQ(p.to_string(), "a\\ b\\=c\\:d\\#e\\!f=v\n");
}

TEST(JavaPropertiesTest, ToStringEscapesOnlyLeadingSpaceOfValue) {
  JavaProperties p;
  p.set("k", "  a b ");
  EXPECT_EQ(p.to_string(), "k=\\  a b \n");
}

TEST(JavaPropertiesTest, ToStringEscapesControlCharacters) {
  JavaProperties p;
  p.set("k", std::string("\t\n\r\f\\\x01\x7F", 7));
  EXPECT_EQ(p.to_string(), "k=\\t\\n\\r\\f\\\\\\u0001\\u007F\n");
}

TEST(JavaPropertiesTest, ToStringKeepsUtf8) {
  JavaProperties p;
  p.set("k", "\xE4\xB8\xAD");
  EXPECT_EQ(p.to_string(), "k=\xE4\xB8\xAD\n");
}

TEST(JavaPropertiesTest, ToStringRoundTripsThroughParse) {
  JavaProperties original;
  original.set("plain", "value");
  original.set(" leading space key", " leading space value");
  original.set("#looks like a comment", "!also");
  original.set("sep=and:colon", "=x:y");
  original.set("", "empty key");
  original.set("empty value", "");
  original.set("controls", std::string("\t\n\r\f\x01\x1F\x7F", 7));
  original.set("backslashes", "\\\\ \\");
  original.set("utf8", "\xF0\x9F\x98\x80 \xC3\xA9");
  original.set("trailing", "ends with space ");
  const JavaProperties parsed = parse(original.to_string());
  EXPECT_EQ(parsed.keys_in_order(), original.keys_in_order());
  for (const std::string& key : original.keys_in_order()) {
    EXPECT_EQ(parsed.get(key), original.get(key)) << "key: " << key;
  }
}

TEST(JavaPropertiesTest, LoadReadsFile) {
  char dir_template[] = "/tmp/java_properties_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path path = std::filesystem::path(dir_template) / "broker.conf";
  std::ofstream(path) << "brokerName=broker-a\nbrokerId=0\n";
  const JavaProperties p = JavaProperties::load(path);
  EXPECT_EQ(p.get("brokerName"), "broker-a");
  EXPECT_EQ(p.get("brokerId"), "0");
  std::filesystem::remove_all(dir_template);
}

TEST(JavaPropertiesTest, LoadErrorNamesFileAndLine) {
  char dir_template[] = "/tmp/java_properties_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path path = std::filesystem::path(dir_template) / "broker.conf";
  std::ofstream(path) << "a=1\nb=\\uXYZW\n";
  try {
    JavaProperties::load(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(path.string() + ":2: "));
  }
  std::filesystem::remove_all(dir_template);
}

TEST(JavaPropertiesTest, LoadOfMissingFileSaysCannotRead) {
  try {
    JavaProperties::load("/nonexistent/dir/broker.conf");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read /nonexistent/dir/broker.conf: No such file or directory");
  }
}

TEST(JavaPropertiesTest, LoadOfDirectorySaysCannotRead) {
  try {
    JavaProperties::load("/tmp");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read /tmp: Is a directory");
  }
}

TEST(JavaPropertiesTest, LoadRefusesCharacterDeviceWithoutReading) {
  // /dev/zero never ends: reading it would grow memory until the process dies (issue 9, item 7).
  try {
    JavaProperties::load("/dev/zero");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read /dev/zero: a character device, a config must be a regular file");
  }
}

TEST(JavaPropertiesTest, LoadRefusesFifoWithoutWaitingForAWriter) {
  char dir_template[] = "/tmp/java_properties_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path path = std::filesystem::path(dir_template) / "broker.conf";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  try {
    JavaProperties::load(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + path.string() + ": a FIFO, a config must be a regular file");
  }
  std::filesystem::remove_all(dir_template);
}

TEST(JavaPropertiesTest, LoadRefusesFileLargerThanTheCap) {
  char dir_template[] = "/tmp/java_properties_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path path = std::filesystem::path(dir_template) / "broker.conf";
  { std::ofstream(path) << "a=1\n"; }
  std::filesystem::resize_file(path, kMaxConfigFileBytes + 1);  // sparse: cheap to make
  try {
    JavaProperties::load(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith("cannot read " + path.string() + ": " +
                                     std::to_string(kMaxConfigFileBytes + 1) + " bytes, more than the"));
  }
  std::filesystem::resize_file(path, kMaxConfigFileBytes);  // exactly the cap is accepted
  EXPECT_EQ(JavaProperties::load(path).get("a"), "1");
  std::filesystem::remove_all(dir_template);
}

}  // namespace
}  // namespace rmq::common
