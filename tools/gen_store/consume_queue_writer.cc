#include "tools/gen_store/consume_queue_writer.h"

#include <algorithm>
#include <cassert>

#include "tools/gen_store/commitlog_writer.h"
#include "tools/gen_store/output_file.h"

namespace rmq::tools {

ConsumeQueueWriter::ConsumeQueueWriter(const std::vector<TopicSpec>& topics) : topics_(topics) {
  for (const TopicSpec& topic : topics_) entries_.emplace_back(static_cast<std::size_t>(topic.queue_count));
}

void ConsumeQueueWriter::add(std::size_t topic_index, std::int32_t queue_id, const store::ConsumeQueueEntry& entry) {
  assert(topic_index < entries_.size());
  assert(queue_id >= 0 && static_cast<std::size_t>(queue_id) < entries_[topic_index].size());
  store::encode_consume_queue_entry(entry, entries_[topic_index][static_cast<std::size_t>(queue_id)]);
}

std::vector<std::vector<std::int64_t>> ConsumeQueueWriter::entry_counts() const {
  std::vector<std::vector<std::int64_t>> counts;
  for (const auto& queues : entries_) {
    counts.emplace_back();
    for (const common::Bytes& bytes : queues) {
      counts.back().push_back(static_cast<std::int64_t>(bytes.size() / store::kConsumeQueueEntrySize));
    }
  }
  return counts;
}

void ConsumeQueueWriter::write(const std::filesystem::path& consumequeue_dir) const {
  constexpr std::uint64_t kFileSize = store::kDefaultConsumeQueueFileSize;
  for (std::size_t t = 0; t < entries_.size(); ++t) {
    for (std::size_t q = 0; q < entries_[t].size(); ++q) {
      const common::Bytes& bytes = entries_[t][q];
      if (bytes.empty()) continue;
      const std::filesystem::path dir = consumequeue_dir / topics_[t].name / std::to_string(q);
      std::filesystem::create_directories(dir);
      for (std::uint64_t start = 0; start < bytes.size(); start += kFileSize) {
        const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(kFileSize, bytes.size() - start));
        OutputFile file(dir / mapped_file_name(start));
        file.write_at(0, common::ByteSpan(bytes).subspan(static_cast<std::size_t>(start), length));
        file.set_size(kFileSize);
        file.close();
      }
    }
  }
}

}  // namespace rmq::tools
