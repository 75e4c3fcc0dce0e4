// Writes one side's consumequeue/{topic}/{queueId}/ files (storage.md 3.1): 20-byte entries in queue offset
// order, in mapped files of the broker's default mappedFileSizeConsumeQueue (300000 entries, 6000000 bytes),
// each file exactly that size with zeros after the last entry, named by its 20-digit starting byte offset.
// A queue that never received a message gets no directory, as with the broker.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/store/consume_queue_entry.h"
#include "tools/gen_store/message_stream.h"

namespace rmq::tools {

class ConsumeQueueWriter {
 public:
  explicit ConsumeQueueWriter(const std::vector<TopicSpec>& topics);

  // Appends the entry for the next queue offset of (topic, queue).
  void add(std::size_t topic_index, std::int32_t queue_id, const store::ConsumeQueueEntry& entry);
  // Entries per queue: [topic_index][queue_id].
  std::vector<std::vector<std::int64_t>> entry_counts() const;
  // Creates consumequeue_dir/{topic}/{queueId}/ and its files.
  void write(const std::filesystem::path& consumequeue_dir) const;

 private:
  const std::vector<TopicSpec>& topics_;
  std::vector<std::vector<common::Bytes>> entries_;  // [topic_index][queue_id], 20 bytes per entry
};

}  // namespace rmq::tools
