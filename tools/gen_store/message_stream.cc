#include "tools/gen_store/message_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "broker/store/java_string.h"
#include "broker/store/message_properties.h"

namespace rmq::tools {
namespace {

constexpr std::int64_t kFirstStoreTimestampMs = 1700000000000;  // 2023-11-14T22:13:20Z
constexpr std::uint32_t kMinVariedBodyBytes = 64;
constexpr std::uint32_t kMaxVariedBodyBytes = 2048;
constexpr std::size_t kLongTopicChars = 200;
constexpr std::size_t kLongTopicIndex = 3;
constexpr std::int32_t kStorePort = 10911;

// SplitMix64: tiny, fast and good enough to make test data look random while staying reproducible.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t bound) { return static_cast<std::uint32_t>(next() % bound); }

 private:
  std::uint64_t state_;
};

// Independent generators per (seed, message, purpose), so that drawing more for one purpose never shifts
// another.
SplitMix64 generator_for(std::uint64_t seed, std::uint64_t index, std::uint64_t purpose) {
  SplitMix64 mixer(seed ^ (purpose << 56));
  const std::uint64_t base = mixer.next();
  SplitMix64 second(base ^ (index * 0xD1B54A32D192ED03ULL));
  return SplitMix64(second.next());
}

constexpr std::uint64_t kPurposeMeta = 1;
constexpr std::uint64_t kPurposeBody = 2;

std::string long_topic_name() {
  std::string name = "LongTopic_";
  while (name.size() < kLongTopicChars) name.push_back(static_cast<char>('a' + name.size() % 26));
  return name;
}

store::HostAddress make_host(bool ipv6, std::uint8_t last_byte, std::int32_t port, bool born) {
  store::HostAddress host;
  host.port = port;
  if (ipv6) {
    host.ip.assign(16, 0);
    host.ip[0] = 0xFD;        // fd00::1:x (born) or fd00::x (store)
    if (born) host.ip[13] = 1;
    host.ip[15] = last_byte;
  } else if (born) {
    host.ip = {10, 0, 0, last_byte};
  } else {
    host.ip = {192, 168, 1, last_byte};
  }
  return host;
}

}  // namespace

MessageStream::MessageStream(const MessageStreamOptions& options)
    : options_(options), store_timestamp_ms_(kFirstStoreTimestampMs) {
  assert(options_.file_size_bytes <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()));
  topics_ = {{"TopicTest", 4, "GID_demo_consumer"},
             {"OrderTopic", 2, "GID_demo_consumer"},
             {"BenchmarkTest", 8, "GID_bench_consumer"}};
  if (options_.long_topic) {
    topics_.push_back({long_topic_name(), 2, "GID_demo_consumer"});
    assert(topics_.size() == kLongTopicIndex + 1);
  }
  for (const TopicSpec& topic : topics_) {
    next_queue_offset_.emplace_back(static_cast<std::size_t>(topic.queue_count), 0);
  }
  store_host_ = make_host(options_.ipv6, 10, kStorePort, /*born=*/false);
}

const PlannedMessage& MessageStream::next() {
  const std::uint64_t index = next_index_++;
  SplitMix64 rng = generator_for(options_.seed, index, kPurposeMeta);
  PlannedMessage m;
  m.index = index;

  if (options_.long_topic && index % 10 == kLongTopicIndex) {
    m.topic_index = kLongTopicIndex;
  } else {
    const std::uint32_t pick = rng.below(10);
    m.topic_index = pick < 5 ? 0 : pick < 7 ? 1 : 2;
  }
  const TopicSpec& topic = topics_[m.topic_index];
  m.queue_id = static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(topic.queue_count)));
  m.queue_offset = next_queue_offset_[m.topic_index][static_cast<std::size_t>(m.queue_id)]++;

  store_timestamp_ms_ += 1 + rng.below(3);
  m.store_timestamp_ms = store_timestamp_ms_;
  m.born_timestamp_ms = store_timestamp_ms_ - rng.below(20);
  m.body_size_bytes = options_.body_size_bytes
                          ? *options_.body_size_bytes
                          : kMinVariedBodyBytes + rng.below(kMaxVariedBodyBytes - kMinVariedBodyBytes + 1);
  m.born_host_last_byte = static_cast<std::uint8_t>(1 + rng.below(8));
  m.born_port = static_cast<std::int32_t>(50000 + rng.below(10000));

  static constexpr const char* kTags[] = {"TagA", "TagB", "TagC", ""};
  m.tags = kTags[rng.below(4)];
  std::string keys = fmt::format("order-{}", index);
  if (rng.below(2) == 1) keys += fmt::format("{}user-{}", store::kKeySeparator, rng.below(1000));
  // MessageClientIDSetter layout: client ip, pid, class loader hash, ms since start, counter.
  const std::string uniq_key =
      fmt::format("{:08X}{:04X}{:08X}{:08X}{:04X}", 0x0A000000u | m.born_host_last_byte,
                  static_cast<std::uint32_t>(options_.seed * 7919 % 65536),
                  static_cast<std::uint32_t>(options_.seed * 2654435761u),
                  static_cast<std::uint32_t>(m.store_timestamp_ms - kFirstStoreTimestampMs),
                  static_cast<std::uint32_t>(index % 65536));
  store::PropertyList properties{{std::string(store::property::kKeys), keys},
                                 {std::string(store::property::kUniqKey), uniq_key},
                                 {std::string(store::property::kWaitStoreMsgOk), "true"}};
  if (!m.tags.empty()) properties.emplace_back(std::string(store::property::kTags), m.tags);
  m.properties = store::format_properties(properties);

  const bool v2 = store::java_utf16_length(topic.name) > 127;
  const std::size_t size = store::kMinRecordSize + (options_.ipv6 ? 24 : 0) + (v2 ? 1 : 0) + m.body_size_bytes +
                           topic.name.size() + m.properties.size();
  if (size + store::kBlankRecordSize > options_.file_size_bytes) {
    throw std::invalid_argument(fmt::format("message {} needs {} bytes plus the 8-byte blank reserve, more than "
                                            "the {}-byte file size",
                                            index, size, options_.file_size_bytes));
  }
  m.size_bytes = static_cast<std::int32_t>(size);

  const std::int64_t file_size = static_cast<std::int64_t>(options_.file_size_bytes);
  const std::int64_t remaining = file_size - write_position_ % file_size;
  if (m.size_bytes + static_cast<std::int64_t>(store::kBlankRecordSize) > remaining) {
    m.blank_offset = write_position_;
    m.blank_size_bytes = static_cast<std::int32_t>(remaining);
    write_position_ += remaining;
  }
  m.physical_offset = write_position_;
  write_position_ += m.size_bytes;
  current_ = std::move(m);
  return current_;
}

void MessageStream::build_record(const PlannedMessage& message, std::uint32_t variant,
                                 store::MessageRecord& record) const {
  record.queue_id = message.queue_id;
  record.flag = 0;
  record.queue_offset = message.queue_offset;
  record.physical_offset = message.physical_offset;
  record.sys_flag = 0;
  record.born_timestamp_ms = message.born_timestamp_ms;
  record.born_host = make_host(options_.ipv6, message.born_host_last_byte, message.born_port, /*born=*/true);
  record.store_timestamp_ms = message.store_timestamp_ms;
  record.store_host = store_host_;
  record.reconsume_times = 0;
  record.prepared_transaction_offset = 0;
  record.topic = topics_[message.topic_index].name;
  record.properties = message.properties;

  // A readable prefix for people looking at a hex dump, then reproducible noise.
  record.body.resize(message.body_size_bytes);
  const std::string prefix = fmt::format("msg {} seed {} variant {} ", message.index, options_.seed, variant);
  const std::size_t prefix_bytes = std::min(prefix.size(), record.body.size());
  std::memcpy(record.body.data(), prefix.data(), prefix_bytes);
  SplitMix64 noise = generator_for(options_.seed ^ (std::uint64_t{variant} << 32), message.index, kPurposeBody);
  for (std::size_t at = prefix_bytes; at < record.body.size(); at += 8) {
    const std::uint64_t word = noise.next();
    std::memcpy(record.body.data() + at, &word, std::min<std::size_t>(8, record.body.size() - at));
  }
  store::seal(record);
  assert(store::encoded_size(record) == static_cast<std::size_t>(message.size_bytes));
}

}  // namespace rmq::tools
