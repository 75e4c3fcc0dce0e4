// Committed consumer offsets (4.9.x ConsumerOffsetManager), persisted as {root}/config/consumerOffset.json:
// {"offsetTable":{"<topic>@<group>":{0:123,1:456}}} with fastjson's unquoted integer keys (storage.md 4).
//
// Offsets arrive with UPDATE_CONSUMER_OFFSET and with pulls that carry COMMIT_OFFSET; they are kept in memory
// and written every flushConsumerOffsetInterval and at shutdown. A stored negative offset (ali-ons persists
// -1 for "nothing consumed") counts as absent when queried (remoting.md 6 rule 10).
// Crash: up to one interval of commits is lost, so consumers re-receive those messages (at-least-once, as
// in Java). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rmq::server {

class ConsumerOffsetManager {
 public:
  explicit ConsumerOffsetManager(std::string config_path);

  // Throws std::runtime_error naming the file when it and its .bak are unusable; one bad entry is skipped
  // with a warning naming it.
  void load();
  void persist();

  void commit(const std::string& group, const std::string& topic, std::int32_t queue_id, std::int64_t offset);
  // The stored offset, or nullopt when there is none or it is negative.
  std::optional<std::int64_t> query(const std::string& group, const std::string& topic, std::int32_t queue_id) const;

  // Follower sync in DLedger mode (slave_synchronize.h): every "<topic>@<group>" entry of the leader's table
  // replaces ours (upstream offsetTable.putAll); entries only we have stay. The caller persists.
  void merge_from_master(const std::map<std::string, std::map<std::int32_t, std::int64_t>>& table);

  // "<topic>@<group>" -> queue -> offset.
  std::map<std::string, std::map<std::int32_t, std::int64_t>> snapshot() const;
  std::string encode_pretty() const;  // the consumerOffset.json text

 private:
  const std::string config_path_;
  mutable std::mutex mutex_;
  std::mutex persist_mutex_;  // held across snapshot + write + rename in persist()
  std::map<std::string, std::map<std::int32_t, std::int64_t>> table_;
};

}  // namespace rmq::server
