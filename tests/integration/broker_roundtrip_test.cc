// The real rmq-broker with the real rmq-namesrv: topic creation and route registration, send/pull round trip,
// long polling (answered on arrival and at the timeout), batch send, offsets (remoting.md 4.2-4.4, 4.8).
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "broker/store/batch_items.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

TEST(BrokerRoundTripTest, CreatedTopicIsRoutedAndSentMessagesComeBackFromPull) {
  BrokerHarness h;
  h.start_broker();
  auto created = h.create_topic("TopicRT", 4);
  ASSERT_EQ(created.code, rc::kSuccess) << created.remark.value_or("") << h.broker_log();

  // UPDATE_AND_CREATE_TOPIC answers after the name server has the route (synchronous registration).
  auto ns = h.connect_namesrv();
  RemotingCommand route_request = remoting::make_request(code::kGetRouteinfoByTopic);
  route_request.ext_fields.set("topic", "TopicRT");
  auto route = BrokerHarness::call_on(ns, route_request);
  ASSERT_EQ(route.code, rc::kSuccess) << route.remark.value_or("");
  const auto route_json = nlohmann::json::parse(std::string(route.body.begin(), route.body.end()));
  EXPECT_EQ(route_json["queueDatas"][0]["brokerName"], "broker-t");
  EXPECT_EQ(route_json["queueDatas"][0]["writeQueueNums"], 4);
  EXPECT_EQ(route_json["brokerDatas"][0]["brokerAddrs"]["0"], h.broker_address());
  // TBW102 is registered too (perm 7), so Java producers can auto-create topics.
  route_request.ext_fields.set("topic", "TBW102");
  auto tbw = BrokerHarness::call_on(ns, route_request);
  ASSERT_EQ(tbw.code, rc::kSuccess);
  EXPECT_EQ(nlohmann::json::parse(std::string(tbw.body.begin(), tbw.body.end()))["queueDatas"][0]["perm"], 7);

  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto sent = h.send("TopicRT", 1, "hello-" + std::to_string(i), std::string("TAGS\x01TagA\x02KEYS\x01k-") +
                                                                     std::to_string(i) + "\x02");
    ASSERT_EQ(sent.code, rc::kSuccess) << sent.remark.value_or("");
    EXPECT_EQ(sent.ext_fields.get("queueId"), "1");
    EXPECT_EQ(sent.ext_fields.get_int64("queueOffset"), i);
    EXPECT_EQ(sent.ext_fields.get("MSG_REGION"), "DefaultRegion");
    EXPECT_EQ(sent.ext_fields.get("TRACE_ON"), "true");
    ASSERT_TRUE(sent.ext_fields.get("msgId"));
    ids.emplace_back(*sent.ext_fields.get("msgId"));
    EXPECT_EQ(ids.back().size(), 32u);
    EXPECT_EQ(ids.back().substr(0, 16), "7F000001" + [&] {
      char port[9];
      std::snprintf(port, sizeof port, "%08X", h.broker_port());
      return std::string(port);
    }());
  }

  auto pulled = h.call(BrokerHarness::pull_request("GID_rt", "TopicRT", 1, 0));
  ASSERT_EQ(pulled.code, rc::kSuccess) << pulled.remark.value_or("");
  EXPECT_EQ(pulled.ext_fields.get("nextBeginOffset"), "3");
  EXPECT_EQ(pulled.ext_fields.get("minOffset"), "0");
  EXPECT_EQ(pulled.ext_fields.get("maxOffset"), "3");
  EXPECT_EQ(pulled.ext_fields.get("suggestWhichBrokerId"), "0");
  // Stored record layout (remoting.md 2.3): magic 0xDAA320A7 at byte 4 of the first record.
  ASSERT_GT(pulled.body.size(), 8u);
  EXPECT_EQ(pulled.body[4], 0xDA);
  EXPECT_EQ(pulled.body[5], 0xA3);
  EXPECT_EQ(pulled.body[6], 0x20);
  EXPECT_EQ(pulled.body[7], 0xA7);
  auto records = BrokerHarness::decode_records(pulled.body);
  ASSERT_EQ(records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(BrokerHarness::body_text(records[i]), "hello-" + std::to_string(i));
    EXPECT_EQ(records[i].queue_offset, i);
    EXPECT_EQ(store::message_id(records[i].store_host, records[i].physical_offset), ids[i]);
    EXPECT_EQ(records[i].born_host.ip, (common::Bytes{127, 0, 0, 1}));
    EXPECT_NE(records[i].properties.find(std::string("CLUSTER\x01TestCluster")), std::string::npos);
  }

  // Offset queries.
  RemotingCommand max_request = remoting::make_request(code::kGetMaxOffset);
  max_request.ext_fields.set("topic", "TopicRT");
  max_request.ext_fields.set_int("queueId", 1);
  EXPECT_EQ(h.call(max_request).ext_fields.get("offset"), "3");
  RemotingCommand min_request = max_request;
  min_request.code = code::kGetMinOffset;
  EXPECT_EQ(h.call(min_request).ext_fields.get("offset"), "0");
  RemotingCommand earliest = max_request;
  earliest.code = code::kGetEarliestMsgStoretime;
  auto earliest_response = h.call(earliest);
  EXPECT_EQ(earliest_response.ext_fields.get_int64("timestamp"), records[0].store_timestamp_ms);
  RemotingCommand search = max_request;
  search.code = code::kSearchOffsetByTimestamp;
  search.ext_fields.set_int("timestamp", records[2].store_timestamp_ms + 60000);
  EXPECT_EQ(h.call(search).ext_fields.get_int64("offset").value_or(-1), 2);

  // Offsets past the end: 19 at max (the four header fields present), 21 beyond.
  auto at_end = h.call(BrokerHarness::pull_request("GID_rt", "TopicRT", 1, 3));
  EXPECT_EQ(at_end.code, rc::kPullNotFound);
  EXPECT_EQ(at_end.ext_fields.get("nextBeginOffset"), "3");
  EXPECT_TRUE(at_end.ext_fields.contains("suggestWhichBrokerId"));
  auto beyond = h.call(BrokerHarness::pull_request("GID_rt", "TopicRT", 1, 9));
  EXPECT_EQ(beyond.code, rc::kPullOffsetMoved);
  EXPECT_EQ(beyond.ext_fields.get("nextBeginOffset"), "3");

  EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
}

TEST(BrokerRoundTripTest, LongPollIsAnsweredWhenAMessageArrivesAndAtTheTimeout) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicLP", 2).code, rc::kSuccess);
  auto conn = h.connect_broker();

  // Parked pull, answered by a send on another connection.
  std::promise<remoting::InvokeResult> arrived;
  conn->invoke_async(BrokerHarness::pull_request("GID_lp", "TopicLP", 0, 0, 20000), 30000,
                     [&arrived](remoting::InvokeResult r) { arrived.set_value(std::move(r)); });
  auto arrived_future = arrived.get_future();
  EXPECT_EQ(arrived_future.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout)
      << "a pull with nothing to read must be held";
  ASSERT_EQ(h.send("TopicLP", 0, "wake-up").code, rc::kSuccess);
  ASSERT_EQ(arrived_future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto woken = arrived_future.get();
  ASSERT_TRUE(woken.ok()) << woken.error;
  ASSERT_EQ(woken.response.code, rc::kSuccess);
  auto records = BrokerHarness::decode_records(woken.response.body);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(BrokerHarness::body_text(records[0]), "wake-up");

  // Parked pull that nothing wakes: 19 after suspendTimeoutMillis, with the four fields.
  auto timed_out = h.call(BrokerHarness::pull_request("GID_lp", "TopicLP", 1, 0, 1500), 10000);
  EXPECT_EQ(timed_out.code, rc::kPullNotFound);
  EXPECT_EQ(timed_out.ext_fields.get("nextBeginOffset"), "0");
  EXPECT_EQ(timed_out.ext_fields.get("minOffset"), "0");
  EXPECT_EQ(timed_out.ext_fields.get("maxOffset"), "0");
  EXPECT_EQ(timed_out.ext_fields.get("suggestWhichBrokerId"), "0");

  // A pull parked at shutdown is answered before the broker exits.
  std::promise<remoting::InvokeResult> at_shutdown;
  conn->invoke_async(BrokerHarness::pull_request("GID_lp", "TopicLP", 1, 0, 20000), 30000,
                     [&at_shutdown](remoting::InvokeResult r) { at_shutdown.set_value(std::move(r)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(h.stop_broker(), 0) << h.broker_log();
  auto shutdown_future = at_shutdown.get_future();
  ASSERT_EQ(shutdown_future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto answered = shutdown_future.get();
  ASSERT_TRUE(answered.ok()) << answered.error;
  EXPECT_EQ(answered.response.code, rc::kPullNotFound);
}

TEST(BrokerRoundTripTest, BatchSendStoresEveryItemWithConsecutiveOffsets) {
  BrokerHarness h;
  h.start_broker();
  ASSERT_EQ(h.create_topic("TopicBatch", 1).code, rc::kSuccess);
  // Batch body by hand (remoting.md 2.4): size, magic 0, crc 0, flag, bodyLen+body, propsLen+props.
  common::Bytes body;
  common::ByteWriter w(body);
  const std::vector<std::pair<std::string, std::string>> items = {{"one", std::string("KEYS\x01" "b1")},
                                                                  {"two-two", ""}};
  for (const auto& [text, props] : items) {
    w.i32(static_cast<std::int32_t>(4 + 4 + 4 + 4 + 4 + text.size() + 2 + props.size()));
    w.i32(0);
    w.i32(0);
    w.i32(7);
    w.i32(static_cast<std::int32_t>(text.size()));
    w.bytes(text);
    w.i16(static_cast<std::int16_t>(props.size()));
    w.bytes(props);
  }
  auto request = BrokerHarness::send_request("TopicBatch", 0, "", std::string("TAGS\x01" "BT"));
  request.code = code::kSendBatchMessage;
  request.ext_fields.set_bool("m", true);
  request.body = body;
  auto sent = h.call(request);
  ASSERT_EQ(sent.code, rc::kSuccess) << sent.remark.value_or("");
  EXPECT_EQ(sent.ext_fields.get("queueOffset"), "0");
  const std::string ids(*sent.ext_fields.get("msgId"));
  EXPECT_EQ(ids.size(), 32u * 2 + 1) << ids;
  EXPECT_EQ(ids[32], ',');

  auto records = h.pull_until("GID_b", "TopicBatch", 0, 0, 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(BrokerHarness::body_text(records[0]), "one");
  EXPECT_EQ(BrokerHarness::body_text(records[1]), "two-two");
  EXPECT_EQ(records[0].flag, 7);
  EXPECT_EQ(records[1].queue_offset, 1);
  EXPECT_EQ(ids.substr(0, 32), store::message_id(records[0].store_host, records[0].physical_offset));
  // Batch-level properties (TAGS) and CLUSTER are added to each item's own properties.
  EXPECT_NE(records[0].properties.find(std::string("KEYS\x01" "b1")), std::string::npos);
  EXPECT_NE(records[0].properties.find(std::string("TAGS\x01" "BT")), std::string::npos);
  EXPECT_NE(records[1].properties.find(std::string("CLUSTER\x01TestCluster")), std::string::npos);

  // A batch body that lies about its lengths is refused with 13.
  request.body.resize(request.body.size() - 3);
  EXPECT_EQ(h.call(request).code, rc::kMessageIllegal);
}

}  // namespace
}  // namespace rmq::integration
