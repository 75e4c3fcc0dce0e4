// The broker's config/*.json files (storage.md 4), written the way fastjson's PrettyFormat writes them:
// tab indents, no space after a colon, fields sorted, and integer map keys unquoted
// (consumerOffset.json, delayOffset.json) - not strict JSON, which is exactly what readers of a real
// store must cope with.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/gen_store/message_stream.h"

namespace rmq::tools {

// Entries per queue, [topic_index][queue_id], as ConsumeQueueWriter::entry_counts() gives them.
using QueueCounts = std::vector<std::vector<std::int64_t>>;

// topics.json: the sample topics, each group's %RETRY% topic and SCHEDULE_TOPIC_XXXX.
std::string topics_json(const std::vector<TopicSpec>& topics, std::int64_t timestamp_ms);
// consumerOffset.json: each group has consumed three quarters of each queue it subscribes to.
std::string consumer_offset_json(const std::vector<TopicSpec>& topics, const QueueCounts& counts);
// subscriptionGroup.json: one entry per consumer group, 4.x defaults.
std::string subscription_group_json(const std::vector<TopicSpec>& topics, std::int64_t timestamp_ms);
// delayOffset.json: delay levels 1..3 at queue offset 0 (no delayed messages in the samples).
std::string delay_offset_json();

// Creates config_dir and writes the four files.
void write_config_dir(const std::filesystem::path& config_dir, const std::vector<TopicSpec>& topics,
                      const QueueCounts& counts, std::int64_t timestamp_ms);

}  // namespace rmq::tools
