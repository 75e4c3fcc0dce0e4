// A light check that FakeMessageStore (the other server tests' store) behaves like the store it stands in for:
// real record bytes, per-queue offsets, the PULL status table of remoting.md 4.3, tags codes, key queries.
#include <gtest/gtest.h>

#include "broker/store/message_properties.h"
#include "broker/store/message_record.h"
#include "tests/unit/server/fake_message_store.h"

namespace rmq::test_support {
namespace {

using store::GetStatus;
using store::PutStatus;

store::MessageRecord make(std::string topic, std::int32_t queue_id, std::string body, store::PropertyList props) {
  store::MessageRecord message;
  message.topic = std::move(topic);
  message.queue_id = queue_id;
  message.body.assign(body.begin(), body.end());
  message.born_host = {{10, 0, 0, 1}, 5555};
  message.born_timestamp_ms = 1;
  message.properties = store::format_properties(props);
  return message;
}

store::PutResult put(FakeMessageStore& fake, store::MessageRecord message) {
  store::PutResult out;
  fake.put_message(std::move(message), [&](const store::PutResult& result) { out = result; });
  return out;
}

TEST(ScheduleFakeStore, StoresRealRecordsWithOffsets) {
  std::int64_t now = 1700000000000;
  FakeMessageStore fake({{192, 168, 0, 1}, 10911}, {}, [&] { return now; });
  std::vector<std::tuple<std::string, std::int32_t, std::int64_t>> arrivals;
  fake.add_arrival_listener([&](std::string_view topic, std::int32_t queue_id, std::int64_t next) {
    arrivals.emplace_back(std::string(topic), queue_id, next);
  });
  const auto first = put(fake, make("T", 0, "hello", {{"TAGS", "TagA"}, {"KEYS", "k1 k2"}}));
  ASSERT_EQ(first.status, PutStatus::kOk);
  EXPECT_EQ(first.physical_offset, 0);
  EXPECT_EQ(first.queue_offset, 0);
  // 91 fixed bytes + 5 body + 1 topic + properties "TAGS\1TagA\2KEYS\1k1 k2\2" (21).
  EXPECT_EQ(first.size_bytes, 91 + 5 + 1 + 21);
  EXPECT_EQ(first.msg_ids, std::vector<std::string>{"C0A8000100002A9F0000000000000000"});
  const auto second = put(fake, make("T", 0, "x", {}));
  EXPECT_EQ(second.physical_offset, first.size_bytes);
  EXPECT_EQ(second.queue_offset, 1);
  EXPECT_EQ(put(fake, make("T", 1, "y", {})).queue_offset, 0);
  EXPECT_EQ(arrivals.size(), 3u);
  EXPECT_EQ(arrivals[1], std::make_tuple(std::string("T"), 0, std::int64_t{2}));

  const auto bytes = fake.read_record(first.physical_offset);
  ASSERT_TRUE(bytes.has_value());
  store::MessageRecord decoded;
  ASSERT_EQ(store::decode_record(*bytes, true, &decoded).status, store::DecodeStatus::kOk);
  EXPECT_EQ(decoded.store_timestamp_ms, now);
  EXPECT_EQ(decoded.store_host.port, 10911);
  EXPECT_EQ(decoded.topic, "T");
  EXPECT_FALSE(fake.read_record(1).has_value());
  EXPECT_EQ(fake.tags_code_at("T", 0, 0), 2598919);  // "TagA".hashCode(), by hand: 84,97,103,65
  EXPECT_EQ(fake.tags_code_at("T", 0, 1), 0);
}

TEST(ScheduleFakeStore, GetMessagesFollowsThePullStatusTable) {
  FakeMessageStore fake;
  EXPECT_EQ(fake.get_messages("T", 0, 0, 32, 1 << 20, nullptr).status, GetStatus::kNoMatchedLogicQueue);
  for (int i = 0; i < 5; ++i) put(fake, make("T", 0, "m" + std::to_string(i), {{"TAGS", i % 2 ? "B" : "A"}}));
  auto found = fake.get_messages("T", 0, 1, 2, 1 << 20, nullptr);
  EXPECT_EQ(found.status, GetStatus::kFound);
  EXPECT_EQ(found.message_count, 2);
  EXPECT_EQ(found.next_begin_offset, 3);
  EXPECT_EQ(found.max_offset, 5);
  auto one = fake.get_messages("T", 0, 0, 32, 1, nullptr);  // byte cap still returns one record
  EXPECT_EQ(one.message_count, 1);
  EXPECT_EQ(one.next_begin_offset, 1);
  const std::int64_t code_b = store::tags_hash_code("B");
  auto filtered = fake.get_messages("T", 0, 0, 32, 1 << 20, [&](std::int64_t code) { return code == code_b; });
  EXPECT_EQ(filtered.message_count, 2);
  EXPECT_EQ(filtered.next_begin_offset, 5);
  auto none = fake.get_messages("T", 0, 4, 32, 1 << 20, [](std::int64_t) { return false; });
  EXPECT_EQ(none.status, GetStatus::kNoMatchedMessage);
  EXPECT_EQ(none.next_begin_offset, 5);
  EXPECT_EQ(fake.get_messages("T", 0, 5, 32, 1 << 20, nullptr).status, GetStatus::kOffsetOverflowOne);
  auto badly = fake.get_messages("T", 0, 9, 32, 1 << 20, nullptr);
  EXPECT_EQ(badly.status, GetStatus::kOffsetOverflowBadly);
  EXPECT_EQ(badly.next_begin_offset, 5);
  fake.set_min_offset("T", 0, 2);
  auto small = fake.get_messages("T", 0, 1, 32, 1 << 20, nullptr);
  EXPECT_EQ(small.status, GetStatus::kOffsetTooSmall);
  EXPECT_EQ(small.next_begin_offset, 2);
  fake.set_min_offset("Empty", 0, 0);
  EXPECT_EQ(fake.get_messages("Empty", 0, 0, 32, 1 << 20, nullptr).status, GetStatus::kNoMessageInQueue);
}

TEST(ScheduleFakeStore, ScheduleTagsCodeQueriesAndFailures) {
  std::int64_t now = 1700000000000;
  FakeMessageStore fake({{127, 0, 0, 1}, 10911}, {1000, 2000}, [&] { return now; });
  put(fake, make(std::string(store::kScheduleTopic), 1, "d", {{"DELAY", "2"}, {"KEYS", "order-7"}}));
  EXPECT_EQ(fake.tags_code_at(store::kScheduleTopic, 1, 0), now + 2000);
  now += 5000;
  put(fake, make("T", 0, "a", {{"KEYS", "order-7"}, {"UNIQ_KEY", "U1"}}));
  auto by_key = fake.query_messages("T", "order-7", 10, 0, now);
  EXPECT_EQ(by_key.message_count, 1);
  EXPECT_EQ(fake.query_messages("T", "U1", 10, 0, now).message_count, 1);
  EXPECT_EQ(fake.query_messages("T", "U1", 10, 0, now - 1).message_count, 0);
  EXPECT_EQ(fake.offset_by_timestamp("T", 0, now + 100), 0);
  fake.fail_puts_with(PutStatus::kFlushDiskTimeout);
  EXPECT_EQ(put(fake, make("T", 0, "b", {})).status, PutStatus::kFlushDiskTimeout);
  EXPECT_EQ(fake.max_offset_in_queue("T", 0), 1);
  fake.fail_puts_with(std::nullopt);
  EXPECT_EQ(put(fake, make("T", 0, "b", {})).status, PutStatus::kOk);
  fake.shutdown();
  EXPECT_EQ(put(fake, make("T", 0, "c", {})).status, PutStatus::kServiceNotAvailable);
}

}  // namespace
}  // namespace rmq::test_support
