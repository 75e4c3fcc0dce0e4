// The message index: key -> commitlog offsets, in index files of storage.md 3.2 (`{root}/index/`).
//
// QUERY_MESSAGE (mqadmin queryMsgByKey / queryMsgByUniqueKey) finds messages by a KEYS token or a UNIQ_KEY.
// The dispatcher calls build_index() for every record in commitlog order; each key is hashed
// (abs(String.hashCode(topic + "#" + key))) into a slot of the newest index file, whose entries chain back
// through earlier ones. A file holds max_index_num entries; then a new file (named by its creation time,
// yyyyMMddHHmmssSSS) is started. Hash collisions are possible, so the caller reads each hit's record and
// checks the key before returning it.
//
// Crash: files are mapped shared, so a SIGKILL loses nothing already written. After an unclean exit,
// load() deletes the files whose endTimestamp is newer than the checkpoint's indexMsgTimestamp, and the
// store re-dispatches the commitlog from there (storage.md 2.4); build_index() skips records already covered
// (below max_physical_offset(), or at it once anything is indexed) so re-dispatch adds nothing twice.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::store {

class IndexService {
 public:
  IndexService(std::string index_dir, std::int32_t max_hash_slot_num, std::int32_t max_index_num);
  ~IndexService();
  IndexService(const IndexService&) = delete;
  IndexService& operator=(const IndexService&) = delete;

  // Maps the existing index files (creating the directory). When !last_exit_ok, first deletes the files
  // whose endTimestamp > checkpoint_index_timestamp_ms. Throws IoError (naming the file) on I/O failure and
  // std::runtime_error naming a file whose header is inconsistent with its size.
  void load(bool last_exit_ok, std::int64_t checkpoint_index_timestamp_ms);

  // Indexes one stored record: every space-separated KEYS token and the UNIQ_KEY in `properties`, under
  // `topic`. Rollback-type records (sys_flag & 0xC == 0xC) and records already covered (below
  // max_physical_offset(), or at it once anything has been indexed) are skipped. Rolls to a new file when the current one is full.
  void build_index(std::string_view topic, std::string_view properties, std::int32_t sys_flag,
                   std::int64_t physical_offset, std::int64_t store_timestamp_ms);

  struct Hits {
    std::vector<std::int64_t> physical_offsets;  // newest first, at most max_count, possibly hash collisions
    std::int64_t last_update_timestamp_ms = 0;   // endTimestamp of the newest file
    std::int64_t last_update_phy_offset = 0;     // endPhyOffset of the newest file
  };
  // Offsets of records indexed under (topic, key) with store time in [begin_ms, end_ms].
  Hits query(std::string_view topic, std::string_view key, std::int32_t max_count, std::int64_t begin_ms,
             std::int64_t end_ms) const;

  // Highest physical offset indexed so far (endPhyOffset of the newest file), 0 when empty.
  std::int64_t max_physical_offset() const;
  // endTimestamp of the newest file that is full and flushed (checkpoint's indexMsgTimestamp).
  std::int64_t index_msg_timestamp() const;

  void flush();     // msync every file that has changed
  void shutdown();  // flush and unmap; idempotent

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rmq::store
