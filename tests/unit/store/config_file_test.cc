// config/*.json files (storage.md 4): the .tmp/.bak write procedure, the .bak fallback on load, fastjson's
// unquoted integer keys on read, and the exact pretty text fastjson writes (expected texts written by hand).
#include "broker/store/config_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "broker/common/io_error.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void spit(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

bool is_json(std::string_view text) {
  try {
    parse_fastjson(text);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

bool offset_tables(const std::vector<std::string>& path) {
  // consumerOffset.json: the maps under offsetTable/<topic@group>.
  return path.size() == 2 && path[0] == "offsetTable";
}

TEST(ConfigFile, WriteKeepsThePreviousTextInBak) {
  rmq::testing::TempDir dir;
  const auto path = dir.path() / "config" / "topics.json";
  write_config_file(path.string(), "{\"v\":1}");
  EXPECT_EQ(slurp(path), "{\"v\":1}");
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".bak"));
  write_config_file(path.string(), "{\"v\":2}");
  EXPECT_EQ(slurp(path), "{\"v\":2}");
  EXPECT_EQ(slurp(path.string() + ".bak"), "{\"v\":1}");
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  EXPECT_EQ(read_config_file(path.string(), is_json), "{\"v\":2}");
}

TEST(ConfigFile, ReadFallsBackToBak) {
  rmq::testing::TempDir dir;
  const auto path = (dir.path() / "delayOffset.json").string();
  EXPECT_EQ(read_config_file(path, is_json), std::nullopt);  // neither exists
  spit(path + ".bak", "{\"offsetTable\":{1:7}}");
  EXPECT_EQ(read_config_file(path, is_json), "{\"offsetTable\":{1:7}}");  // file missing
  spit(path, "");
  EXPECT_EQ(read_config_file(path, is_json), "{\"offsetTable\":{1:7}}");  // file empty
  spit(path, "{\"offsetTable\":{1:");
  EXPECT_EQ(read_config_file(path, is_json), "{\"offsetTable\":{1:7}}");  // file torn
  spit(path, "{\"offsetTable\":{1:9}}");
  EXPECT_EQ(read_config_file(path, is_json), "{\"offsetTable\":{1:9}}");  // file good
  spit(path + ".bak", "garbage");
  spit(path, "also garbage");
  EXPECT_EQ(read_config_file(path, is_json), std::nullopt);
}

TEST(ConfigFile, WriteErrorsNameThePath) {
  rmq::testing::TempDir dir;
  spit(dir.path() / "plainfile", "x");
  const std::string path = (dir.path() / "plainfile" / "topics.json").string();
  try {
    write_config_file(path, "{}");
    FAIL() << "wrote below a regular file";
  } catch (const common::IoError& error) {
    EXPECT_NE(std::string(error.what()).find("plainfile"), std::string::npos) << error.what();
  }
}

TEST(ConfigFile, ParsesFastjsonUnquotedIntegerKeys) {
  const auto consumer = parse_fastjson(
      "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:250,2:250,3:250\n\t\t}\n\t}\n}");
  EXPECT_EQ(consumer["offsetTable"]["TopicTest@please_rename_unique_group_name_4"]["3"], 250);
  const auto keys = parse_fastjson("{ -1 : 5 , 12:\"a,b:{c}\", \"q\" : [1, {7:8}] }");
  EXPECT_EQ(keys["-1"], 5);
  EXPECT_EQ(keys["12"], "a,b:{c}");
  EXPECT_EQ(keys["q"][1]["7"], 8);
  EXPECT_EQ(parse_fastjson("{\"brokerAddrs\":{0:\"10.0.0.5:10911\"}}")["brokerAddrs"]["0"], "10.0.0.5:10911");
  EXPECT_EQ(parse_fastjson("[1,2]"), nlohmann::json::array({1, 2}));  // numbers in arrays stay numbers
}

void expect_error_at(std::string_view text, std::size_t offset) {
  try {
    parse_fastjson(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("at offset " + std::to_string(offset)), std::string::npos)
        << "text " << text << ": " << error.what();
  }
}

TEST(ConfigFile, ParseErrorsNameTheOffset) {
  expect_error_at("{\"a\":1,}", 7);
  expect_error_at("{0:1,1:}", 7);      // offsets count the original text, not the quoted one
  expect_error_at("{0:1,1:2", 8);      // truncated
  expect_error_at("{-:1}", 1);         // a lone minus is not a key
  expect_error_at("", 0);
  expect_error_at("{\"a\":1} x", 8);   // trailing garbage
  expect_error_at("{a:1}", 1);         // only integer keys may be unquoted
}

TEST(ConfigFile, DumpsConsumerOffsetsLikeFastjson) {
  const nlohmann::json value = {
      {"offsetTable",
       {{"TopicTest@please_rename_unique_group_name_4", {{"0", 250}, {"1", 250}, {"2", 250}, {"3", 250}}},
        {"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4", {{"0", 0}}}}}};
  const std::string expected =
      "{\n"
      "\t\"offsetTable\":{\n"
      "\t\t\"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4\":{0:0\n"
      "\t\t},\n"
      "\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:250,2:250,3:250\n"
      "\t\t}\n"
      "\t}\n"
      "}";
  const std::string text = dump_fastjson(value, offset_tables);
  EXPECT_EQ(text, expected);
  EXPECT_EQ(parse_fastjson(text), value);
}

TEST(ConfigFile, DumpsDelayOffsetsWithNumericKeyOrder) {
  const nlohmann::json value = {{"offsetTable", {{"1", 0}, {"2", 17}, {"10", 5}}}};
  const std::string text =
      dump_fastjson(value, [](const std::vector<std::string>& path) { return path == std::vector<std::string>{"offsetTable"}; });
  EXPECT_EQ(text, "{\n\t\"offsetTable\":{1:0,2:17,10:5\n\t}\n}");
  EXPECT_EQ(parse_fastjson(text), value);
  EXPECT_EQ(dump_fastjson({{"offsetTable", nlohmann::json::object()}}, nullptr), "{\n\t\"offsetTable\":{}\n}");
  EXPECT_THROW(dump_fastjson({{"offsetTable", {{"x", 1}}}},
                             [](const std::vector<std::string>& path) { return path.size() == 1; }),
               std::invalid_argument);
}

TEST(ConfigFile, DumpsTopicsJsonLikeFastjson) {
  const nlohmann::json value = {
      {"dataVersion", {{"counter", 2}, {"timestamp", 1700000000000}}},
      {"topicConfigTable",
       {{"TopicTest",
         {{"order", false},
          {"perm", 6},
          {"readQueueNums", 4},
          {"topicFilterType", "SINGLE_TAG"},
          {"topicName", "TopicTest"},
          {"topicSysFlag", 0},
          {"writeQueueNums", 4}}}}}};
  const std::string expected =
      "{\n"
      "\t\"dataVersion\":{\n"
      "\t\t\"counter\":2,\n"
      "\t\t\"timestamp\":1700000000000\n"
      "\t},\n"
      "\t\"topicConfigTable\":{\n"
      "\t\t\"TopicTest\":{\n"
      "\t\t\t\"order\":false,\n"
      "\t\t\t\"perm\":6,\n"
      "\t\t\t\"readQueueNums\":4,\n"
      "\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
      "\t\t\t\"topicName\":\"TopicTest\",\n"
      "\t\t\t\"topicSysFlag\":0,\n"
      "\t\t\t\"writeQueueNums\":4\n"
      "\t\t}\n"
      "\t}\n"
      "}";
  const std::string text = dump_fastjson(value, nullptr);
  EXPECT_EQ(text, expected);
  EXPECT_EQ(parse_fastjson(text), value);
  EXPECT_EQ(dump_fastjson({{"list", {"a", "b"}}, {"empty", nlohmann::json::array()}}, nullptr),
            "{\n\t\"empty\":[],\n\t\"list\":[\n\t\t\"a\",\n\t\t\"b\"\n\t]\n}");
}

}  // namespace
}  // namespace rmq::store
