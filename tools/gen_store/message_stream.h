// The deterministic message stream behind every sample store, and where each message lands in the commitlog.
//
// Message n is a pure function of (seed, n) apart from three running values the broker itself keeps in
// order: the queue offset of each topic/queue, the store timestamp (strictly increasing) and the write
// position. So the same options always give byte-identical stores, a planning pass can find the offsets a
// scenario needs before anything is written, and a second pass regenerates the very same messages to write
// them. Placement follows DefaultAppendMessageCallback.doAppend (storage.md 1.8): a record that does not fit
// in the current file with 8 bytes to spare is preceded by an 8-byte blank and goes to offset 0 of the next.
//
// A "variant" changes only the body bytes (never their length), so a store whose messages switch to another
// variant keeps every offset and consume queue entry and differs only in bodies and their CRCs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/message_record.h"

namespace rmq::tools {

struct TopicSpec {
  std::string name;
  std::int32_t queue_count = 0;
  std::string consumer_group;  // the group that subscribes to it in the generated configs
};

struct MessageStreamOptions {
  std::uint64_t seed = 1;
  std::uint64_t file_size_bytes = 1048576;
  std::optional<std::uint32_t> body_size_bytes;  // every body this size; otherwise sizes vary per message
  bool ipv6 = false;                              // IPv6 born and store hosts
  bool long_topic = false;                        // add a 200-char topic, stored with the v2 magic
};

// Everything about a message except its body bytes, and where it is placed.
struct PlannedMessage {
  std::uint64_t index = 0;
  std::size_t topic_index = 0;
  std::int32_t queue_id = 0;
  std::int64_t queue_offset = 0;
  std::int64_t born_timestamp_ms = 0;
  std::int64_t store_timestamp_ms = 0;
  std::uint32_t body_size_bytes = 0;
  std::uint8_t born_host_last_byte = 0;
  std::int32_t born_port = 0;
  std::string tags;        // empty: the message has no TAGS property
  std::string properties;  // the encoded properties string
  std::int64_t physical_offset = 0;
  std::int32_t size_bytes = 0;  // TOTALSIZE
  // When the message did not fit in the previous file: the blank record written at the end of it.
  std::optional<std::int64_t> blank_offset;
  std::int32_t blank_size_bytes = 0;
};

class MessageStream {
 public:
  explicit MessageStream(const MessageStreamOptions& options);

  const std::vector<TopicSpec>& topics() const { return topics_; }
  // The store host every record names (the master's address; a slave's records are copies).
  const store::HostAddress& store_host() const { return store_host_; }

  // Plans the next message and places it after the previous one. Throws std::invalid_argument when the
  // message cannot fit in a file of the configured size.
  const PlannedMessage& next();

  // The complete, sealed record of a planned message with the body of `variant`.
  void build_record(const PlannedMessage& message, std::uint32_t variant, store::MessageRecord& record) const;

 private:
  MessageStreamOptions options_;
  std::vector<TopicSpec> topics_;
  store::HostAddress store_host_;
  std::vector<std::vector<std::int64_t>> next_queue_offset_;  // [topic][queue]
  std::int64_t store_timestamp_ms_;
  std::int64_t write_position_ = 0;
  std::uint64_t next_index_ = 0;
  PlannedMessage current_;
};

}  // namespace rmq::tools
