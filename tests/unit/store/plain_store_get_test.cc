// DefaultMessageStore puts and reads: queue offsets, get_messages statuses and limits (remoting.md 4.3
// step 5), tag filter, offset_by_timestamp, query by key, transaction and schedule-topic rules (storage.md 1.3,
// 1.11), arrival listeners.
#include <gtest/gtest.h>

#include <thread>

#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using namespace rmq::store::testing;
using rmq::testing::TempDir;

TEST(PlainStoreGetTest, QueueOffsetsAreAssignedPerQueueAndMatchTheRecord) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  for (int i = 0; i < 3; ++i) {
    const PutResult r = put(*store, make_message("T", 0, "a" + std::to_string(i)));
    ASSERT_EQ(r.status, PutStatus::kOk) << r.detail;
    EXPECT_EQ(r.queue_offset, i);
    ASSERT_EQ(r.msg_ids.size(), 1u);
    EXPECT_EQ(r.msg_ids[0], message_id(HostAddress{{10, 0, 0, 7}, 10911}, r.physical_offset));
    const auto bytes = store->read_record(r.physical_offset);
    ASSERT_TRUE(bytes.has_value());
    const auto records = decode_all(*bytes);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].queue_offset, i);
    EXPECT_EQ(records[0].physical_offset, r.physical_offset);
    EXPECT_EQ(records[0].store_timestamp_ms, r.store_timestamp_ms);
  }
  EXPECT_EQ(put(*store, make_message("T", 1, "b")).queue_offset, 0);
  EXPECT_EQ(put(*store, make_message("U", 0, "c")).queue_offset, 0);
  EXPECT_EQ(store->max_offset_in_queue("T", 0), 3);
  EXPECT_EQ(store->max_offset_in_queue("T", 1), 1);
  EXPECT_EQ(store->max_offset_in_queue("T", 7), 0);
  EXPECT_EQ(store->min_offset_in_queue("T", 0), 0);
  const auto queues = store->queues();
  EXPECT_EQ(queues.size(), 3u);

  const PutResult batch = put_batch(*store, {make_message("T", 0, "x"), make_message("T", 0, "y")});
  ASSERT_EQ(batch.status, PutStatus::kOk);
  EXPECT_EQ(batch.queue_offset, 3);
  EXPECT_EQ(batch.msg_ids.size(), 2u);
  const GetResult got = store->get_messages("T", 0, 3, 32, 1 << 20, nullptr);
  const auto records = decode_all(got.records);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(body_of(records[1]), "y");
  EXPECT_EQ(records[1].queue_offset, 4);
  EXPECT_EQ(batch.size_bytes, static_cast<std::int32_t>(got.records.size()));
}

TEST(PlainStoreGetTest, StatusesAndNextBeginOffset) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  GetResult r = store->get_messages("T", 0, 0, 32, 1 << 20, nullptr);
  EXPECT_EQ(r.status, GetStatus::kNoMatchedLogicQueue);
  EXPECT_EQ(r.next_begin_offset, 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(put(*store, make_message("T", 0, "m" + std::to_string(i))).status, PutStatus::kOk);

  r = store->get_messages("T", 0, 5, 32, 1 << 20, nullptr);
  EXPECT_EQ(r.status, GetStatus::kOffsetOverflowOne);
  EXPECT_EQ(r.next_begin_offset, 5);
  EXPECT_EQ(r.min_offset, 0);
  EXPECT_EQ(r.max_offset, 5);
  r = store->get_messages("T", 0, 9, 32, 1 << 20, nullptr);
  EXPECT_EQ(r.status, GetStatus::kOffsetOverflowBadly);
  EXPECT_EQ(r.next_begin_offset, 5);

  r = store->get_messages("T", 0, 1, 2, 1 << 20, nullptr);
  EXPECT_EQ(r.status, GetStatus::kFound);
  EXPECT_EQ(r.message_count, 2);
  EXPECT_EQ(r.next_begin_offset, 3);
  auto records = decode_all(r.records);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(body_of(records[0]), "m1");
  EXPECT_EQ(body_of(records[1]), "m2");

  // A byte limit smaller than one record still returns one record.
  r = store->get_messages("T", 0, 0, 32, 10, nullptr);
  EXPECT_EQ(r.message_count, 1);
  EXPECT_EQ(r.next_begin_offset, 1);
  const std::int64_t one = static_cast<std::int64_t>(r.records.size());
  r = store->get_messages("T", 0, 0, 32, 2 * one + 1, nullptr);
  EXPECT_EQ(r.message_count, 2);
}

TEST(PlainStoreGetTest, FilterSeesTagsCodesAndSkippedEntriesAdvanceTheOffset) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  put(*store, make_message("T", 0, "1", "TagA"));
  put(*store, make_message("T", 0, "2", "TagB"));
  put(*store, make_message("T", 0, "3", "TagA"));
  put(*store, make_message("T", 0, "4"));
  const std::int64_t tag_a = tags_hash_code("TagA");
  EXPECT_EQ(tag_a, 2598919);  // "TagA".hashCode() in Java: ((84*31+97)*31+103)*31+65
  std::vector<std::int64_t> seen;
  GetResult r = store->get_messages("T", 0, 0, 32, 1 << 20, [&](std::int64_t code) {
    seen.push_back(code);
    return code == tag_a;
  });
  EXPECT_EQ(r.status, GetStatus::kFound);
  EXPECT_EQ(r.message_count, 2);
  EXPECT_EQ(r.next_begin_offset, 4);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{tag_a, tags_hash_code("TagB"), tag_a, 0}));
  r = store->get_messages("T", 0, 0, 32, 1 << 20, [](std::int64_t) { return false; });
  EXPECT_EQ(r.status, GetStatus::kNoMatchedMessage);
  EXPECT_EQ(r.next_begin_offset, 4);
  EXPECT_EQ(r.message_count, 0);
}

TEST(PlainStoreGetTest, OffsetByTimestampPicksTheNearestStoreTime) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  std::vector<std::int64_t> times;
  for (int i = 0; i < 6; ++i) {
    times.push_back(put(*store, make_message("T", 0, "m")).store_timestamp_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(4));
  }
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(store->message_store_time("T", 0, i), times[static_cast<std::size_t>(i)]);
    if (i > 0) {
      ASSERT_GE(times[static_cast<std::size_t>(i)] - times[static_cast<std::size_t>(i) - 1], 4);
    }
  }
  EXPECT_EQ(store->offset_by_timestamp("T", 0, times[0] - 100000), 0);
  EXPECT_EQ(store->offset_by_timestamp("T", 0, times[5] + 100000), 5);
  EXPECT_EQ(store->offset_by_timestamp("T", 0, times[3]), 3);
  EXPECT_EQ(store->offset_by_timestamp("T", 0, times[3] + 1), 3);  // nearer to 3 than to 4
  EXPECT_EQ(store->offset_by_timestamp("T", 0, times[4] - 1), 4);
  EXPECT_EQ(store->offset_by_timestamp("T", 9, times[0]), 0);
  EXPECT_EQ(store->earliest_message_time("T", 0), times[0]);
  EXPECT_EQ(store->earliest_message_time("T", 9), -1);
  EXPECT_EQ(store->message_store_time("T", 0, 6), -1);
}

TEST(PlainStoreGetTest, QueryByKeyAndUniqKey) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  MessageRecord m = make_message("T", 0, "body", "", "order-1 order-2");
  m.properties += format_properties({{std::string(property::kUniqKey), "UNIQ123"}});
  ASSERT_EQ(put(*store, m).status, PutStatus::kOk);
  put(*store, make_message("Other", 0, "x", "", "order-2"));
  put(*store, make_message("T", 1, "y", "", "order-20"));
  QueryResult q = store->query_messages("T", "order-2", 32, 0, INT64_MAX);
  ASSERT_EQ(q.message_count, 1);
  EXPECT_EQ(body_of(decode_all(q.records)[0]), "body");
  q = store->query_messages("T", "UNIQ123", 32, 0, INT64_MAX);
  EXPECT_EQ(q.message_count, 1);
  q = store->query_messages("T", "order-3", 32, 0, INT64_MAX);
  EXPECT_EQ(q.message_count, 0);
}

TEST(PlainStoreGetTest, PreparedTransactionsStayOutOfQueuesAndScheduleTopicUsesDeliveryTime) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  put(*store, make_message("T", 0, "normal"));
  MessageRecord half = make_message("T", 0, "half");
  half.sys_flag = sysflag::kTransactionPrepared;
  const PutResult r = put(*store, half);
  ASSERT_EQ(r.status, PutStatus::kOk);
  EXPECT_EQ(r.queue_offset, 0);
  EXPECT_EQ(store->max_offset_in_queue("T", 0), 1);
  EXPECT_TRUE(store->read_record(r.physical_offset).has_value());
  EXPECT_EQ(put(*store, make_message("T", 0, "next")).queue_offset, 1);

  MessageRecord delayed = make_message(std::string(kScheduleTopic), 1, "later", "TagA");
  delayed.properties += format_properties({{std::string(property::kDelayTimeLevel), "2"}});
  const PutResult d = put(*store, delayed);
  std::int64_t code = 0;
  store->get_messages(kScheduleTopic, 1, 0, 1, 1 << 20, [&](std::int64_t c) {
    code = c;
    return true;
  });
  EXPECT_EQ(code, d.store_timestamp_ms + 5000);  // level 2 = 5s
}

TEST(PlainStoreGetTest, RefusesIllegalMessagesAndNotifiesArrivals) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path()));
  std::vector<std::pair<std::string, std::int64_t>> arrivals;
  store->add_arrival_listener([&](std::string_view topic, std::int32_t queue_id, std::int64_t next) {
    arrivals.emplace_back(std::string(topic) + "/" + std::to_string(queue_id), next);
  });
  EXPECT_EQ(put(*store, make_message(std::string(128, 't'), 0, "x")).status, PutStatus::kMessageIllegal);
  EXPECT_EQ(put(*store, make_message("../evil", 0, "x")).status, PutStatus::kMessageIllegal);
  MessageRecord big_props = make_message("T", 0, "x");
  big_props.properties = std::string(40000, 'p');
  EXPECT_EQ(put(*store, big_props).status, PutStatus::kPropertiesSizeExceeded);
  EXPECT_EQ(put(*store, make_message("T", 0, std::string(5000, 'b'))).status, PutStatus::kMessageIllegal)
      << "larger than a 4096-byte commitlog file";
  put(*store, make_message("T", 2, "ok"));
  put(*store, make_message("T", 2, "ok"));
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_EQ(arrivals[1], (std::pair<std::string, std::int64_t>{"T/2", 2}));
  const StoreStats s = store->stats();
  EXPECT_EQ(s.put_message_count, 2);
  EXPECT_GT(s.max_physical_offset, 0);
  EXPECT_GT(s.commitlog_disk_total_bytes, 0);
  EXPECT_GE(s.earliest_message_time_ms, 0);
  store->shutdown();
  EXPECT_EQ(put(*store, make_message("T", 2, "late")).status, PutStatus::kServiceNotAvailable);
}

}  // namespace
}  // namespace rmq::store
