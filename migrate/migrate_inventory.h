// The files a migration copies from the source store root, with their sizes and modification times.
//
// What goes to every node (the copy list, storage.md 4):
//   commitlog/      the contiguous run of commitlog data files (commitlog_files.h), including preallocated
//                   trailing files, so each node's legacy log is byte-identical to the source's; strays
//                   (editor files, `.bak`) are reported and left behind, because the Java loader refuses a
//                   commitlog directory holding a file whose name is not an offset
//   config/         every regular file (topics.json, subscriptionGroup.json, consumerOffset.json,
//                   delayOffset.json, consumerFilter.json, their `.bak`), except `*.tmp`, which is a write
//                   the broker never finished (MixAll.string2File)
//   consumequeue/   the whole tree, so consumers keep their offsets
// Never `abort` (it would make the first start an abnormal recovery), `lock` (the new broker creates its
// own) or `checkpoint` (its timestamps describe the old broker's flushes, not the new store's).
//
// Relative paths use '/' and are the same under the source root and under every node's store root; the
// source's storePathCommitLog may live elsewhere, but every node's commitlog is `<root>/commitlog`.
// The inventory taken when copying begins is recorded in the journal; a later run whose inventory differs
// has a source that changed, and refuses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/store/commitlog_files.h"
#include "migrate/store_location.h"

namespace rmq::migrate {

enum class ItemKind { kCommitlog, kConfig, kConsumeQueue };
const char* to_string(ItemKind kind);

struct InventoryItem {
  ItemKind kind = ItemKind::kCommitlog;
  std::string rel_path;                // "commitlog/00000000000000000000", "config/topics.json", ...
  std::filesystem::path source_path;
  std::uint64_t size_bytes = 0;
  std::uint64_t allocated_bytes = 0;   // st_blocks * 512: what a hole-preserving copy needs on the target
  std::int64_t mtime_ns = 0;
};

struct Inventory {
  std::vector<InventoryItem> items;    // commitlog (by offset), then config, then consumequeue (by path)
  store::CommitlogFiles commitlog;     // the listing the commitlog items came from, with its problems
  std::vector<std::string> left_behind;  // "commitlog/x.bak: not a commitlog file name", for the operator

  std::uint64_t total_bytes() const;
  std::uint64_t total_allocated_bytes() const;
  std::size_t count(ItemKind kind) const;
};

// Lists the source. Throws common::IoError when a directory cannot be listed or a file cannot be stat'ed.
Inventory take_inventory(const StoreLocation& source, std::uint64_t commitlog_file_size_bytes);

// [{"path","size","mtime_ns"}...]: what the journal records and compares.
nlohmann::json inventory_json(const Inventory& inventory);

// The paths whose size or mtime differ between a recorded inventory and the current one, and the paths only
// one of them has; empty when the source is unchanged. At most `limit` entries.
std::vector<std::string> inventory_differences(const nlohmann::json& recorded, const nlohmann::json& current,
                                               std::size_t limit = 10);

}  // namespace rmq::migrate
