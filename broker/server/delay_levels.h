// Delay levels (4.9.x `messageDelayLevel`, ScheduleMessageService.parseDelayLevel) and the rewrite that turns a
// message with a DELAY property into a message on the schedule topic (4.9.x CommitLog.putMessage).
//
// A delayed message is first stored on SCHEDULE_TOPIC_XXXX, queue level-1, with its real topic and queue kept in
// REAL_TOPIC / REAL_QID; ScheduleMessageService later puts it back on the real topic. Pure functions: nothing here
// touches disk, so a crash cannot leave anything half done.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "broker/store/message_record.h"

namespace rmq::server {

inline constexpr std::string_view kDefaultDelayLevels =
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

// messageDelayLevel "1s 5s 10s ... 2h" -> ms per level (level 1 is [0]). Tokens are separated by spaces;
// units s m h d. Throws std::invalid_argument naming the bad token (empty number, unknown unit, overflow).
std::vector<std::int64_t> parse_delay_levels(std::string_view text);

// Rewrites a message with DELAY=level>0 for the schedule topic as 4.9.x CommitLog.putMessage does: level
// clamped to max_level, REAL_TOPIC/REAL_QID properties added (DELAY kept), topic = SCHEDULE_TOPIC_XXXX,
// queue_id = level-1. Returns false (message unchanged) when there is no positive DELAY (absent, zero,
// negative or not a number), when max_level < 1, or when the message is a PREPARED/ROLLBACK transaction type.
bool apply_delay_level(store::MessageRecord& message, std::int32_t max_level);

}  // namespace rmq::server
