// ScheduleMessageService over FakeMessageStore with a manual clock shared by the store (store timestamps) and the
// service (due checks): not delivered before store time + delay, delivered after, in order, never past a failed
// put, and offsets persisted to delayOffset.json and reloaded without redelivery.
#include "broker/server/schedule_message_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "broker/server/delay_levels.h"
#include "broker/store/message_properties.h"
#include "tests/unit/server/fake_message_store.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::server {
namespace {

using test_support::FakeMessageStore;

constexpr std::int64_t kT0 = 1700000000000;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class ScheduleTest : public ::testing::Test {
 protected:
  ScheduleTest()
      : levels_(parse_delay_levels("1s 2s")),
        store_(store::HostAddress{{127, 0, 0, 1}, 10911}, levels_, [this] { return now_.load(); }),
        offset_path_((dir_.path() / "config" / "delayOffset.json").string()) {}

  std::unique_ptr<ScheduleMessageService> make_service() {
    auto service = std::make_unique<ScheduleMessageService>(store_, levels_, offset_path_);
    service->set_poll_interval_ms(5);
    service->set_retry_interval_ms(0);
    service->set_clock([this] { return now_.load(); });
    return service;
  }

  // Sends like the broker: DELAY -> schedule topic, then the store.
  void send_delayed(const std::string& body, int level, std::int32_t queue_id = 2) {
    store::MessageRecord message;
    message.topic = "TopicTest";
    message.queue_id = queue_id;
    message.body.assign(body.begin(), body.end());
    message.born_host = {{10, 0, 0, 9}, 40000};
    message.born_timestamp_ms = now_.load() - 1;
    message.properties = store::format_properties({{"TAGS", "TagA"}, {"DELAY", std::to_string(level)},
                                                   {"UNIQ_KEY", "U-" + body}});
    ASSERT_TRUE(apply_delay_level(message, static_cast<std::int32_t>(levels_.size())));
    bool ok = false;
    store_.put_message(std::move(message), [&](const store::PutResult& r) { ok = r.status == store::PutStatus::kOk; });
    ASSERT_TRUE(ok);
  }

  // Waits until the service has read every level's queue twice more (so it has seen the current clock).
  void wait_passes() {
    const std::int64_t target = store_.stats().get_message_count + 2 * static_cast<std::int64_t>(levels_.size()) + 1;
    for (int i = 0; i < 2000 && store_.stats().get_message_count < target; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_GE(store_.stats().get_message_count, target) << "the service stopped polling";
  }

  std::vector<std::string> delivered_bodies(std::int32_t queue_id = 2) {
    std::vector<std::string> bodies;
    for (const auto& record : store_.records_in_queue("TopicTest", queue_id)) {
      bodies.emplace_back(record.body.begin(), record.body.end());
    }
    return bodies;
  }

  rmq::testing::TempDir dir_;
  std::atomic<std::int64_t> now_{kT0};
  std::vector<std::int64_t> levels_;
  FakeMessageStore store_;
  std::string offset_path_;
};

TEST_F(ScheduleTest, DeliversOnlyWhenDue) {
  send_delayed("m0", 1);
  auto service = make_service();
  service->start();
  wait_passes();
  EXPECT_TRUE(delivered_bodies().empty());
  now_ += 999;
  wait_passes();
  EXPECT_TRUE(delivered_bodies().empty());
  now_ += 1;  // store time + 1 s
  wait_passes();
  ASSERT_EQ(delivered_bodies(), std::vector<std::string>{"m0"});
  const auto delivered = store_.records_in_queue("TopicTest", 2).at(0);
  EXPECT_EQ(delivered.topic, "TopicTest");
  EXPECT_FALSE(store::property_value(delivered.properties, "DELAY").has_value());
  EXPECT_EQ(store::property_value(delivered.properties, "TAGS"), "TagA");
  EXPECT_EQ(store::property_value(delivered.properties, "UNIQ_KEY"), "U-m0");
  EXPECT_EQ(store::property_value(delivered.properties, "REAL_TOPIC"), "TopicTest");
  EXPECT_EQ(delivered.born_host, (store::HostAddress{{10, 0, 0, 9}, 40000}));
  EXPECT_EQ(store_.tags_code_at("TopicTest", 2, 0), store::tags_hash_code("TagA"));
  EXPECT_EQ(service->offsets(), (std::map<std::int32_t, std::int64_t>{{1, 1}, {2, 0}}));
  wait_passes();
  EXPECT_EQ(delivered_bodies().size(), 1u);  // not twice
}

TEST_F(ScheduleTest, KeepsOrderPerLevelAndNeverPassesAFailedPut) {
  for (int i = 0; i < 5; ++i) send_delayed("a" + std::to_string(i), 2);
  now_ += 500;
  send_delayed("late", 2);  // due 500 ms after the others
  send_delayed("b0", 1, 3);
  auto service = make_service();
  store_.fail_puts_with(store::PutStatus::kServiceNotAvailable);
  service->start();
  now_ += 1900;  // t0+2400: a0..a4 (due t0+2000) and b0 (t0+1500) are due, "late" (t0+2500) not yet
  wait_passes();
  EXPECT_TRUE(delivered_bodies().empty());
  EXPECT_EQ(service->offsets(), (std::map<std::int32_t, std::int64_t>{{1, 0}, {2, 0}}));
  store_.fail_puts_with(std::nullopt);
  wait_passes();
  EXPECT_EQ(delivered_bodies(), (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"}));
  EXPECT_EQ(delivered_bodies(3), std::vector<std::string>{"b0"});
  EXPECT_EQ(service->offsets(), (std::map<std::int32_t, std::int64_t>{{1, 1}, {2, 5}}));
  now_ += 100;
  wait_passes();
  EXPECT_EQ(delivered_bodies(), (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4", "late"}));
}

TEST_F(ScheduleTest, PersistsOffsetsAndReloadsThem) {
  send_delayed("m0", 1);
  send_delayed("m1", 1);
  send_delayed("m2", 2);
  now_ += 1000;
  {
    auto service = make_service();
    service->start();
    wait_passes();
    ASSERT_EQ(delivered_bodies(), (std::vector<std::string>{"m0", "m1"}));
    EXPECT_EQ(service->encode_offsets(), "{\n\t\"offsetTable\":{1:2,2:0\n\t}\n}");
    service->shutdown();
    service->shutdown();  // idempotent
  }
  EXPECT_EQ(slurp(offset_path_), "{\n\t\"offsetTable\":{1:2,2:0\n\t}\n}");
  auto service = make_service();
  service->start();
  EXPECT_EQ(service->offsets(), (std::map<std::int32_t, std::int64_t>{{1, 2}, {2, 0}}));
  wait_passes();
  EXPECT_EQ(delivered_bodies(), (std::vector<std::string>{"m0", "m1"}));  // nothing redelivered
  now_ += 1000;
  wait_passes();
  EXPECT_EQ(delivered_bodies(), (std::vector<std::string>{"m0", "m1", "m2"}));
}

TEST_F(ScheduleTest, PersistsPeriodicallyWhileRunning) {
  send_delayed("m0", 1);
  now_ += 1000;
  auto service = make_service();
  service->set_persist_interval_ms(0);
  service->start();
  for (int i = 0; i < 2000 && slurp(offset_path_).find("{1:1,") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(slurp(offset_path_), "{\n\t\"offsetTable\":{1:1,2:0\n\t}\n}");
}

TEST_F(ScheduleTest, LoadsJavaWrittenOffsetsAndRejectsGarbage) {
  std::filesystem::create_directories(std::filesystem::path(offset_path_).parent_path());
  std::ofstream(offset_path_) << "{\n\t\"offsetTable\":{1:3,2:0,5:9\n\t}\n}";
  {
    auto service = make_service();
    service->start();
    EXPECT_EQ(service->offsets(), (std::map<std::int32_t, std::int64_t>{{1, 3}, {2, 0}, {5, 9}}));
  }
  std::ofstream(offset_path_, std::ios::trunc) << "{\"offsetTable\":{1:";
  std::ofstream(offset_path_ + ".bak", std::ios::trunc) << "{\"offsetTable\":{1:4}}";
  {
    auto service = make_service();
    service->start();
    EXPECT_EQ(service->offsets(), (std::map<std::int32_t, std::int64_t>{{1, 4}, {2, 0}}));
    service->shutdown();
  }
  std::ofstream(offset_path_, std::ios::trunc) << "not json";
  std::ofstream(offset_path_ + ".bak", std::ios::trunc) << "{\"offsetTable\":[1]}";
  auto service = make_service();
  try {
    service->start();
    FAIL() << "started on a garbage delayOffset.json";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("delayOffset.json"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace rmq::server
