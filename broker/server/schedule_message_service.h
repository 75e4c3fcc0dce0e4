// Delivery of delayed messages (4.9.x ScheduleMessageService).
//
// A message sent with DELAY=n is stored on SCHEDULE_TOPIC_XXXX, queue n-1 (see delay_levels.h). One thread walks
// every level's queue in order: a message is due at its store time + the level's delay; when due, it is put back
// on REAL_TOPIC / REAL_QID with DELAY removed (and WAIT=false, REAL_TOPIC/REAL_QID kept, as 4.9.x messageTimeup
// does), and only after that put succeeded (or was written but timed out flushing) does the level's offset
// advance; a failed put is retried after retry_interval_ms. Messages of one level are delivered in queue order (a later one never overtakes an
// earlier one that is not yet due or whose put failed).
//
// Offsets (level -> next queue offset to deliver) are persisted in `{root}/config/delayOffset.json`
// ({"offsetTable":{1:0,...}}, fastjson with unquoted keys) every 10 s and at shutdown. Crash: the file lags by up to
// 10 s, so messages delivered in that window are delivered again after a restart (at-least-once, as Java); none is
// lost because the offset never runs ahead of a successful put.
#pragma once

#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/store/message_store.h"

namespace rmq::server {

class ScheduleMessageService {
 public:
  ScheduleMessageService(store::MessageStore& store, std::vector<std::int64_t> delay_level_ms,
                         std::string delay_offset_path /* {root}/config/delayOffset.json */);
  ~ScheduleMessageService();  // shutdown()
  ScheduleMessageService(const ScheduleMessageService&) = delete;
  ScheduleMessageService& operator=(const ScheduleMessageService&) = delete;

  // Loads delayOffset.json (or its .bak; missing = every level at 0), then starts the delivery thread.
  // Throws std::runtime_error naming the file when neither it nor its .bak parses. Idempotent.
  void start();
  // Stops the thread and persists the offsets. Idempotent.
  void shutdown();

  std::map<std::int32_t, std::int64_t> offsets() const;  // level -> next offset (GET_ALL_DELAY_OFFSET)
  std::string encode_offsets() const;                    // delayOffset.json text

  // Tunables (tests shorten them); set before start().
  void set_poll_interval_ms(std::int64_t value) { poll_interval_ms_ = value; }
  void set_persist_interval_ms(std::int64_t value) { persist_interval_ms_ = value; }
  void set_retry_interval_ms(std::int64_t value) { retry_interval_ms_ = value; }
  // Time source for due checks, ms since the epoch (same clock as the store's store timestamps).
  void set_clock(std::function<std::int64_t()> now_ms) { now_ms_ = std::move(now_ms); }

  std::int32_t max_level() const { return static_cast<std::int32_t>(delay_level_ms_.size()); }

 private:
  void load_offsets();
  void persist();
  void run();
  // Delivers the due messages of one level; returns true when it made progress.
  bool deliver_level(std::int32_t level);
  // Puts the due message back on its real topic; true when it was stored.
  bool put_back(const store::MessageRecord& scheduled);
  void set_offset(std::int32_t level, std::int64_t offset);

  store::MessageStore& store_;
  std::vector<std::int64_t> delay_level_ms_;
  std::string delay_offset_path_;
  std::int64_t poll_interval_ms_ = 100;
  std::int64_t persist_interval_ms_ = 10000;
  std::int64_t retry_interval_ms_ = 1000;
  std::map<std::int32_t, std::int64_t> retry_at_ms_;  // level -> earliest retry after a failed put (thread only)
  std::map<std::int32_t, std::int64_t> persisted_;     // what the file holds (persist_mutex_)
  std::function<std::int64_t()> now_ms_;

  mutable std::mutex mutex_;  // offsets_, started_, stopping_
  std::condition_variable wake_;
  std::map<std::int32_t, std::int64_t> offsets_;
  bool started_ = false;
  bool stopping_ = false;
  std::mutex persist_mutex_;
  std::thread thread_;
};

}  // namespace rmq::server
