// Consumer offsets and consumerOffset.json (see consumer_offset_manager.h).
#include "broker/server/consumer_offset_manager.h"

#include <filesystem>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "broker/remoting/ext_fields.h"
#include "broker/store/config_file.h"

namespace rmq::server {
namespace {

std::string key_of(const std::string& group, const std::string& topic) { return topic + "@" + group; }


}  // namespace

ConsumerOffsetManager::ConsumerOffsetManager(std::string config_path) : config_path_(std::move(config_path)) {}

void ConsumerOffsetManager::load() {
  if (config_path_.empty()) return;
  const auto file_json = store::load_config_object(config_path_);
  if (!file_json) return;
  const nlohmann::json& json = *file_json;
  auto table = json.find("offsetTable");
  if (table == json.end() || !table->is_object()) return;
  std::map<std::string, std::map<std::int32_t, std::int64_t>> loaded;
  // One bad entry (a topic@group that is not an object, a queue id or offset that is not an integer) is
  // skipped with a warning naming it; it must not keep the broker from starting.
  for (auto it = table->begin(); it != table->end(); ++it) {
    if (!it.value().is_object()) {
      spdlog::warn("broker: {}: offsetTable.\"{}\" skipped: not an object", config_path_, it.key());
      continue;
    }
    for (auto q = it.value().begin(); q != it.value().end(); ++q) {
      const auto queue_id = remoting::parse_java_long(q.key());
      if (!queue_id || *queue_id < INT32_MIN || *queue_id > INT32_MAX || !q.value().is_number_integer()) {
        spdlog::warn("broker: {}: offsetTable.\"{}\".\"{}\" skipped: expected an integer queue id and offset",
                     config_path_, it.key(), q.key());
        continue;
      }
      loaded[it.key()][static_cast<std::int32_t>(*queue_id)] = q.value().get<std::int64_t>();
    }
  }
  std::lock_guard lock(mutex_);
  table_ = std::move(loaded);
}

void ConsumerOffsetManager::persist() {
  if (config_path_.empty()) return;
  // Snapshot and write under one lock: two writers (send, pull, admin pools, housekeeping) can then never
  // rename an older snapshot over a newer one.
  std::lock_guard persist_lock(persist_mutex_);
  store::write_config_file(config_path_, encode_pretty());
}

void ConsumerOffsetManager::commit(const std::string& group, const std::string& topic, std::int32_t queue_id,
                                   std::int64_t offset) {
  std::lock_guard lock(mutex_);
  table_[key_of(group, topic)][queue_id] = offset;
}

std::optional<std::int64_t> ConsumerOffsetManager::query(const std::string& group, const std::string& topic,
                                                         std::int32_t queue_id) const {
  std::lock_guard lock(mutex_);
  auto it = table_.find(key_of(group, topic));
  if (it == table_.end()) return std::nullopt;
  auto q = it->second.find(queue_id);
  if (q == it->second.end() || q->second < 0) return std::nullopt;
  return q->second;
}

void ConsumerOffsetManager::merge_from_master(const std::map<std::string, std::map<std::int32_t, std::int64_t>>& table) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, queues] : table) table_[key] = queues;
}

std::map<std::string, std::map<std::int32_t, std::int64_t>> ConsumerOffsetManager::snapshot() const {
  std::lock_guard lock(mutex_);
  return table_;
}

std::string ConsumerOffsetManager::encode_pretty() const {
  nlohmann::json table = nlohmann::json::object();
  for (const auto& [key, queues] : snapshot()) {
    nlohmann::json inner = nlohmann::json::object();
    for (const auto& [queue_id, offset] : queues) inner[std::to_string(queue_id)] = offset;
    table[key] = inner;
  }
  const nlohmann::json doc{{"offsetTable", table}};
  return store::dump_fastjson(doc, [](const std::vector<std::string>& path) {
    return path.size() == 2 && path[0] == "offsetTable";
  });
}

}  // namespace rmq::server
