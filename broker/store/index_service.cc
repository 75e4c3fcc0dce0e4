#include "broker/store/index_service.h"

#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

#include "broker/common/io_error.h"
#include "broker/store/index_file.h"
#include "broker/store/message_properties.h"
#include "broker/store/message_record.h"

namespace rmq::store {
namespace {

// UtilAll.timeMillisToHumanString: yyyyMMddHHmmssSSS in local time.
std::string human_time_name(std::int64_t epoch_ms) {
  const time_t seconds = static_cast<time_t>(epoch_ms / 1000);
  struct tm local {};
  localtime_r(&seconds, &local);
  char name[96];
  std::snprintf(name, sizeof name, "%04d%02d%02d%02d%02d%02d%03d", local.tm_year + 1900, local.tm_mon + 1,
                local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, static_cast<int>(epoch_ms % 1000));
  return name;
}

bool is_index_file_name(const std::string& name) {
  return name.size() == 17 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct IndexService::Impl {
  std::filesystem::path dir;
  std::int32_t slot_count = 0;
  std::int32_t entry_count = 0;
  mutable std::mutex mutex;
  std::vector<IndexFile> files;  // oldest first
  std::int64_t index_msg_timestamp_ms = 0;
  std::int64_t last_name_ms = 0;  // creation time in the newest name we gave, so names only grow
  bool shut_down = false;

  IndexFile& writable_file() {
    if (!files.empty() && !files.back().full()) return files.back();
    std::int64_t last_end_phy_offset = 0;
    std::int64_t last_end_timestamp_ms = 0;
    if (!files.empty()) {
      IndexFile& previous = files.back();
      last_end_phy_offset = previous.end_phy_offset();
      last_end_timestamp_ms = previous.end_timestamp_ms();
      // The full file is flushed before the checkpoint may name its end (IndexService.flush).
      previous.flush();
      index_msg_timestamp_ms = std::max(index_msg_timestamp_ms, last_end_timestamp_ms);
    }
    std::int64_t name_ms = std::max(now_epoch_ms(), last_name_ms + 1);
    std::filesystem::path path = dir / human_time_name(name_ms);
    std::error_code error;
    std::filesystem::create_directories(dir, error);  // build_index without load(): still a valid store
    if (error) throw common::IoError("create index directory " + dir.string() + ": " + error.message());
    while (std::filesystem::exists(path, error)) path = dir / human_time_name(++name_ms);
    last_name_ms = name_ms;
    files.push_back(IndexFile::create(path, slot_count, entry_count, last_end_phy_offset, last_end_timestamp_ms));
    return files.back();
  }

  void put_key(const std::string& joined_key, std::int64_t physical_offset, std::int64_t store_timestamp_ms) {
    if (!writable_file().put_key(joined_key, physical_offset, store_timestamp_ms)) {
      // writable_file() never returns a full file; a second failure would mean entry_count < 2.
      if (!writable_file().put_key(joined_key, physical_offset, store_timestamp_ms)) {
        throw std::runtime_error("index file " + files.back().path().string() + " cannot hold one entry (maxIndexNum " +
                                 std::to_string(entry_count) + ")");
      }
    }
  }
};

IndexService::IndexService(std::string index_dir, std::int32_t max_hash_slot_num, std::int32_t max_index_num)
    : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(index_dir);
  impl_->slot_count = max_hash_slot_num;
  impl_->entry_count = max_index_num;
}

IndexService::~IndexService() {
  try {
    shutdown();
  } catch (const std::exception&) {
    // Files are mapped shared: the kernel writes what we wrote even when msync fails here.
  }
}

void IndexService::load(bool last_exit_ok, std::int64_t checkpoint_index_timestamp_ms) {
  std::lock_guard lock(impl_->mutex);
  std::error_code error;
  std::filesystem::create_directories(impl_->dir, error);
  if (error) throw common::IoError("create index directory " + impl_->dir.string() + ": " + error.message());
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(impl_->dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (is_index_file_name(name) && it->is_regular_file()) names.push_back(name);
  }
  if (error) throw common::IoError("list index directory " + impl_->dir.string() + ": " + error.message());
  std::sort(names.begin(), names.end());
  impl_->files.clear();
  impl_->index_msg_timestamp_ms = 0;
  for (const auto& name : names) {
    const std::filesystem::path path = impl_->dir / name;
    IndexFile file = IndexFile::open(path, impl_->slot_count, impl_->entry_count);
    if (!last_exit_ok && file.end_timestamp_ms() > checkpoint_index_timestamp_ms) {
      // Written after the last checkpointed index flush: the commitlog re-dispatch rebuilds it.
      file.destroy();
      continue;
    }
    if (file.full()) impl_->index_msg_timestamp_ms = std::max(impl_->index_msg_timestamp_ms, file.end_timestamp_ms());
    impl_->files.push_back(std::move(file));
  }
  impl_->shut_down = false;
}

void IndexService::build_index(std::string_view topic, std::string_view properties, std::int32_t sys_flag,
                               std::int64_t physical_offset, std::int64_t store_timestamp_ms) {
  if ((sys_flag & sysflag::kTransactionMask) == sysflag::kTransactionRollback) return;
  std::lock_guard lock(impl_->mutex);
  if (impl_->shut_down) return;
  if (!impl_->files.empty()) {
    const IndexFile& newest = impl_->files.back();
    const std::int64_t indexed_up_to = newest.end_phy_offset();
    // A record at exactly endPhyOffset was indexed already unless nothing was ever indexed.
    const bool anything_indexed = impl_->files.size() > 1 || newest.index_count() > 1;
    if (physical_offset < indexed_up_to || (physical_offset == indexed_up_to && anything_indexed)) return;
  }
  const auto uniq_key = property_value(properties, property::kUniqKey);
  const auto keys = property_value(properties, property::kKeys);
  if (uniq_key && !uniq_key->empty()) impl_->put_key(index_key(topic, *uniq_key), physical_offset, store_timestamp_ms);
  if (keys) {
    std::string_view rest = *keys;
    while (!rest.empty()) {
      const std::size_t space = rest.find(kKeySeparator);
      const std::string_view token = rest.substr(0, space);
      if (!token.empty()) impl_->put_key(index_key(topic, token), physical_offset, store_timestamp_ms);
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
  }
}

IndexService::Hits IndexService::query(std::string_view topic, std::string_view key, std::int32_t max_count,
                                       std::int64_t begin_ms, std::int64_t end_ms) const {
  Hits hits;
  std::lock_guard lock(impl_->mutex);
  if (impl_->files.empty() || max_count <= 0) return hits;
  hits.last_update_timestamp_ms = impl_->files.back().end_timestamp_ms();
  hits.last_update_phy_offset = impl_->files.back().end_phy_offset();
  const std::string joined = index_key(topic, key);
  for (auto it = impl_->files.rbegin(); it != impl_->files.rend(); ++it) {
    if (it->time_matched(begin_ms, end_ms)) {
      it->select_offsets(joined, max_count, begin_ms, end_ms, hits.physical_offsets);
    }
    if (it->begin_timestamp_ms() < begin_ms) break;
    if (static_cast<std::int64_t>(hits.physical_offsets.size()) >= max_count) break;
  }
  return hits;
}

std::int64_t IndexService::max_physical_offset() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->files.empty() ? 0 : impl_->files.back().end_phy_offset();
}

std::int64_t IndexService::index_msg_timestamp() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->index_msg_timestamp_ms;
}

void IndexService::flush() {
  std::lock_guard lock(impl_->mutex);
  for (auto& file : impl_->files) file.flush();
}

void IndexService::shutdown() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  for (auto& file : impl_->files) file.flush();
  impl_->files.clear();
}

}  // namespace rmq::store
