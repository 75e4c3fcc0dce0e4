// Test helpers for the plain message store: a config over a temp dir with small files, messages with tags
// and keys, and a blocking put (the store's callbacks run on its threads).
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "broker/store/default_message_store.h"
#include "broker/store/message_properties.h"

namespace rmq::store::testing {

inline StoreConfig small_config(const std::filesystem::path& root, std::int64_t commitlog_file_size = 4096,
                                std::int64_t consume_queue_file_size = 20 * 10) {
  StoreConfig config;
  config.root_dir = root.string();
  config.commitlog_file_size_bytes = commitlog_file_size;
  config.consume_queue_file_size_bytes = consume_queue_file_size;
  config.flush_interval_ms = 50;
  config.message_index_enable = true;
  config.max_hash_slot_num = 64;
  config.max_index_num = 256;
  config.store_host = HostAddress{{10, 0, 0, 7}, 10911};
  return config;
}

inline MessageRecord make_message(const std::string& topic, std::int32_t queue_id, const std::string& body,
                                  const std::string& tags = "", const std::string& keys = "") {
  MessageRecord m;
  m.topic = topic;
  m.queue_id = queue_id;
  m.born_timestamp_ms = 1700000000000;
  m.born_host = HostAddress{{192, 168, 1, 2}, 50000};
  m.body.assign(body.begin(), body.end());
  PropertyList props;
  if (!tags.empty()) props.emplace_back(std::string(property::kTags), tags);
  if (!keys.empty()) props.emplace_back(std::string(property::kKeys), keys);
  m.properties = format_properties(props);
  return m;
}

inline PutResult put(MessageStore& store, MessageRecord message) {
  std::promise<PutResult> promise;
  auto future = promise.get_future();
  store.put_message(std::move(message), [&promise](const PutResult& r) { promise.set_value(r); });
  return future.get();
}

inline PutResult put_batch(MessageStore& store, std::vector<MessageRecord> batch) {
  std::promise<PutResult> promise;
  auto future = promise.get_future();
  store.put_messages(std::move(batch), [&promise](const PutResult& r) { promise.set_value(r); });
  return future.get();
}

// Decodes the concatenated records of a GetResult / QueryResult body.
inline std::vector<MessageRecord> decode_all(const common::Bytes& records) {
  std::vector<MessageRecord> out;
  std::size_t pos = 0;
  while (pos < records.size()) {
    MessageRecord r;
    const DecodeResult d = decode_record(common::ByteSpan(records).subspan(pos), true, &r);
    if (d.status != DecodeStatus::kOk) break;
    out.push_back(std::move(r));
    pos += static_cast<std::size_t>(d.size);
  }
  return out;
}

inline std::string body_of(const MessageRecord& r) { return std::string(r.body.begin(), r.body.end()); }

}  // namespace rmq::store::testing
