// Every request code the name server serves, through RequestProcessor::process without sockets
// (remoting.md 3.1): codes, remarks, ext fields and bodies as the Java name server answers them.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "broker/common/crc32.h"
#include "broker/common/java_properties.h"
#include <unistd.h>
#include "broker/namesrv/request_processor.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::namesrv {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::RemotingCommand;

std::string text_of(const common::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

const std::string kBody =
    R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1700000000000},)"
    R"("topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",)"
    R"("topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}})";

RemotingCommand register_request(const std::string& name, std::int64_t id, const std::string& addr,
                                 const std::string& body = kBody) {
  RemotingCommand request = remoting::make_request(code::kRegisterBroker);
  request.ext_fields.set("brokerName", name);
  request.ext_fields.set("brokerAddr", addr);
  request.ext_fields.set("clusterName", "DefaultCluster");
  request.ext_fields.set("haServerAddr", addr.substr(0, addr.find(':')) + ":10912");
  request.ext_fields.set_int("brokerId", id);
  request.ext_fields.set("compressed", "false");
  request.body.assign(body.begin(), body.end());
  request.ext_fields.set_int("bodyCrc32", common::masked_crc32(request.body));
  return request;
}

RemotingCommand route_request(const std::string& topic) {
  RemotingCommand request = remoting::make_request(code::kGetRouteinfoByTopic);
  request.ext_fields.set("topic", topic);
  return request;
}

class RequestProcessorTest : public ::testing::Test {
 protected:
  std::int64_t now_ms_ = 1'700'000'000'000;
  RequestProcessor processor_{[this] { return now_ms_; }, KvConfig("")};
};

TEST_F(RequestProcessorTest, RegisterThenRoute) {
  const RemotingCommand response = processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  EXPECT_EQ(response.code, rc::kSuccess) << response.remark.value_or("");
  EXPECT_TRUE(response.is_response());
  EXPECT_FALSE(response.ext_fields.contains("masterAddr"));
  EXPECT_TRUE(response.body.empty());

  const RemotingCommand route = processor_.process(route_request("TopicTest"), 2);
  EXPECT_EQ(route.code, rc::kSuccess);
  EXPECT_EQ(text_of(route.body),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.5:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],)"
            R"("filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,)"
            R"("writeQueueNums":4}]})");
}

TEST_F(RequestProcessorTest, SlaveLearnsMaster) {
  processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  const RemotingCommand response = processor_.process(register_request("broker-a", 1, "10.0.0.6:10911"), 2);
  EXPECT_EQ(response.code, rc::kSuccess);
  EXPECT_EQ(response.ext_fields.get("masterAddr"), "10.0.0.5:10911");
  EXPECT_EQ(response.ext_fields.get("haServerAddr"), "10.0.0.5:10912");
}

TEST_F(RequestProcessorTest, Crc32Mismatch) {
  RemotingCommand request = register_request("broker-a", 0, "10.0.0.5:10911");
  request.ext_fields.set_int("bodyCrc32", common::masked_crc32(request.body) ^ 1);
  const RemotingCommand response = processor_.process(request, 1);
  EXPECT_EQ(response.code, rc::kSystemError);
  EXPECT_EQ(response.remark, "crc32 not match");
  EXPECT_EQ(processor_.process(route_request("TopicTest"), 1).code, rc::kTopicNotExist);
  // 0 means "not computed": accepted whatever the body.
  request.ext_fields.set_int("bodyCrc32", 0);
  EXPECT_EQ(processor_.process(request, 1).code, rc::kSuccess);
}

TEST_F(RequestProcessorTest, CompressedRegistration) {
  common::Bytes raw;
  auto put_text = [&raw](const std::string& text) {
    const auto size = static_cast<std::uint32_t>(text.size());
    for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(static_cast<std::uint8_t>(size >> shift));
    raw.insert(raw.end(), text.begin(), text.end());
  };
  put_text(R"({"counter":2,"timestamp":5})");
  raw.insert(raw.end(), {0, 0, 0, 1});
  put_text("Compressed 2 3 6 SINGLE_TAG");
  put_text("[]");
  uLongf size = compressBound(raw.size());
  common::Bytes deflated(size);
  ASSERT_EQ(compress(deflated.data(), &size, raw.data(), raw.size()), Z_OK);
  deflated.resize(size);

  RemotingCommand request = register_request("broker-a", 0, "10.0.0.5:10911");
  request.body = deflated;
  request.ext_fields.set("compressed", "true");
  request.ext_fields.set_int("bodyCrc32", common::masked_crc32(request.body));
  ASSERT_EQ(processor_.process(request, 1).code, rc::kSuccess);
  const RemotingCommand route = processor_.process(route_request("Compressed"), 1);
  ASSERT_EQ(route.code, rc::kSuccess);
  EXPECT_NE(text_of(route.body).find(R"("readQueueNums":2,"topicSysFlag":0,"writeQueueNums":3)"), std::string::npos)
      << text_of(route.body);

  // A damaged compressed body: SYSTEM_ERROR naming the problem, nothing registered.
  RemotingCommand damaged = register_request("broker-b", 0, "10.0.0.8:10911");
  damaged.body = common::Bytes(deflated.begin(), deflated.begin() + static_cast<std::ptrdiff_t>(deflated.size() / 2));
  damaged.ext_fields.set("compressed", "true");
  damaged.ext_fields.erase("bodyCrc32");
  const RemotingCommand failed = processor_.process(damaged, 1);
  EXPECT_EQ(failed.code, rc::kSystemError);
  EXPECT_NE(failed.remark.value_or("").find("compressed register body"), std::string::npos);
}

TEST_F(RequestProcessorTest, MissingHeaderField) {
  RemotingCommand request = register_request("broker-a", 0, "10.0.0.5:10911");
  request.ext_fields.erase("brokerAddr");
  const RemotingCommand response = processor_.process(request, 1);
  EXPECT_EQ(response.code, rc::kSystemError);
  EXPECT_EQ(response.remark, "the custom field <brokerAddr> is null");
  EXPECT_EQ(processor_.process(remoting::make_request(code::kGetRouteinfoByTopic), 1).code, rc::kSystemError);
}

TEST_F(RequestProcessorTest, UnknownTopicIs17WithNoBody) {
  const RemotingCommand response = processor_.process(route_request("Nope"), 1);
  EXPECT_EQ(response.code, rc::kTopicNotExist);
  EXPECT_EQ(response.remark, "No topic route info in name server for the topic: Nope");
  EXPECT_TRUE(response.body.empty());
}

TEST_F(RequestProcessorTest, UnknownCodeIs3) {
  const RemotingCommand response = processor_.process(remoting::make_request(9999), 1);
  EXPECT_EQ(response.code, rc::kRequestCodeNotSupported);
  EXPECT_EQ(response.remark, " request type 9999 not supported");
}

TEST_F(RequestProcessorTest, UnregisterAndConnectionClose) {
  processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  processor_.process(register_request("broker-b", 0, "10.0.0.8:10911"), 2);
  RemotingCommand unregister = remoting::make_request(code::kUnregisterBroker);
  unregister.ext_fields.set("brokerName", "broker-a");
  unregister.ext_fields.set("brokerAddr", "10.0.0.5:10911");
  unregister.ext_fields.set("clusterName", "DefaultCluster");
  unregister.ext_fields.set("brokerId", "0");
  EXPECT_EQ(processor_.process(unregister, 1).code, rc::kSuccess);
  EXPECT_EQ(text_of(processor_.process(route_request("TopicTest"), 1).body).find("broker-a"), std::string::npos);
  EXPECT_EQ(processor_.on_connection_closed(2), std::vector<std::string>{"10.0.0.8:10911"});
  EXPECT_EQ(processor_.process(route_request("TopicTest"), 1).code, rc::kTopicNotExist);
}

TEST_F(RequestProcessorTest, ClusterInfoAndTopicList) {
  processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  const RemotingCommand info = processor_.process(remoting::make_request(code::kGetBrokerClusterInfo), 1);
  EXPECT_EQ(info.code, rc::kSuccess);
  EXPECT_EQ(text_of(info.body),
            R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.5:10911"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}})");
  const RemotingCommand list = processor_.process(remoting::make_request(code::kGetAllTopicListFromNameserver), 1);
  EXPECT_EQ(text_of(list.body), R"({"topicList":["TopicTest"]})");
}

TEST_F(RequestProcessorTest, QueryDataVersion) {
  processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  RemotingCommand query = remoting::make_request(code::kQueryDataVersion);
  query.ext_fields.set("brokerName", "broker-a");
  query.ext_fields.set("brokerAddr", "10.0.0.5:10911");
  query.ext_fields.set("clusterName", "DefaultCluster");
  query.ext_fields.set("brokerId", "0");
  const std::string same = R"({"counter":1,"timestamp":1700000000000})";
  query.body.assign(same.begin(), same.end());
  RemotingCommand response = processor_.process(query, 1);
  EXPECT_EQ(response.code, rc::kSuccess);
  EXPECT_EQ(response.ext_fields.get("changed"), "false");
  EXPECT_EQ(text_of(response.body), same);
  const std::string newer = R"({"counter":2,"timestamp":1700000000000})";
  query.body.assign(newer.begin(), newer.end());
  response = processor_.process(query, 1);
  EXPECT_EQ(response.ext_fields.get("changed"), "true");
  query.body.clear();
  EXPECT_EQ(processor_.process(query, 1).code, rc::kSystemError);
}

TEST_F(RequestProcessorTest, WipeAndAddWritePerm) {
  processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  RemotingCommand wipe = remoting::make_request(code::kWipeWritePermOfBroker);
  wipe.ext_fields.set("brokerName", "broker-a");
  const RemotingCommand wiped = processor_.process(wipe, 1);
  EXPECT_EQ(wiped.ext_fields.get("wipeTopicCount"), "1");
  EXPECT_NE(text_of(processor_.process(route_request("TopicTest"), 1).body).find(R"("perm":4)"), std::string::npos);
  RemotingCommand add = remoting::make_request(code::kAddWritePermOfBroker);
  add.ext_fields.set("brokerName", "broker-a");
  EXPECT_EQ(processor_.process(add, 1).ext_fields.get("addTopicCount"), "1");
  EXPECT_NE(text_of(processor_.process(route_request("TopicTest"), 1).body).find(R"("perm":6)"), std::string::npos);
}

TEST_F(RequestProcessorTest, KvConfigAndOrderTopicConfInRegisterAnswer) {
  RemotingCommand get = remoting::make_request(code::kGetKvConfig);
  get.ext_fields.set("namespace", "ORDER_TOPIC_CONFIG");
  get.ext_fields.set("key", "TopicTest");
  RemotingCommand response = processor_.process(get, 1);
  EXPECT_EQ(response.code, rc::kQueryNotFound);
  EXPECT_EQ(response.remark, "No config item, Namespace: ORDER_TOPIC_CONFIG Key: TopicTest");

  RemotingCommand put = get;
  put.code = code::kPutKvConfig;
  put.ext_fields.set("value", "broker-a:4");
  EXPECT_EQ(processor_.process(put, 1).code, rc::kSuccess);
  response = processor_.process(get, 1);
  EXPECT_EQ(response.code, rc::kSuccess);
  EXPECT_EQ(response.ext_fields.get("value"), "broker-a:4");

  const RemotingCommand registered = processor_.process(register_request("broker-a", 0, "10.0.0.5:10911"), 1);
  EXPECT_EQ(text_of(registered.body), R"({"table":{"TopicTest":"broker-a:4"}})");

  RemotingCommand list = remoting::make_request(code::kGetKvlistByNamespace);
  list.ext_fields.set("namespace", "ORDER_TOPIC_CONFIG");
  EXPECT_EQ(text_of(processor_.process(list, 1).body), R"({"table":{"TopicTest":"broker-a:4"}})");

  RemotingCommand del = get;
  del.code = code::kDeleteKvConfig;
  EXPECT_EQ(processor_.process(del, 1).code, rc::kSuccess);
  EXPECT_EQ(processor_.process(get, 1).code, rc::kQueryNotFound);
  EXPECT_EQ(processor_.process(list, 1).code, rc::kQueryNotFound);
}

TEST(KvConfigFile, PersistsAndReloadsJavaFormat) {
  const auto dir = std::filesystem::temp_directory_path() / ("rmq-namesrv-kv-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = dir / "sub" / "kvConfig.json";
  {
    KvConfig kv(path);
    kv.load();  // missing file: empty table
    kv.put("ns", "k", "v");
    kv.put("ns", "k2", "v2");
    EXPECT_TRUE(kv.remove("ns", "k2"));
  }
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, R"({"configTable":{"ns":{"k":"v"}}})");
  KvConfig reloaded(path);
  reloaded.load();
  EXPECT_EQ(reloaded.get("ns", "k"), "v");
  EXPECT_FALSE(reloaded.get("ns", "k2"));

  std::ofstream(path) << "{\"configTable\":[1]}";
  KvConfig corrupt(path);
  try {
    corrupt.load();
    FAIL() << "expected ConfigError";
  } catch (const common::ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::namesrv
