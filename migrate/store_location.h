// Where a broker's commitlog lives, from what an operator types: a store root (`~/store`), its commitlog
// directory, or a broker.conf (storePathCommitLog, else storePathRootDir/commitlog, with upstream defaults:
// root `$HOME/store`, file size mappedFileSizeCommitLog = 1 GiB).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace rmq::migrate {

struct StoreLocation {
  std::string given;                                // what the operator typed, for messages
  std::filesystem::path store_root;                 // storePathRootDir
  std::filesystem::path commitlog_dir;              // storePathCommitLog
  std::optional<std::uint64_t> file_size_bytes;     // mappedFileSizeCommitLog, when a config says so
  std::optional<std::filesystem::path> config_path; // the broker.conf it came from
};

// A directory: the store root when it has a `commitlog/` subdirectory or a `dledger-<selfId>/` directory (a
// DLedger store started without a legacy commitlog has no `commitlog/`), else the commitlog directory itself.
// A regular file: a broker.conf. Throws common::ConfigError (exit 2) for a path that does not exist, a
// malformed config or a multi-path storePathCommitLog.
StoreLocation resolve_store_location(const std::string& given);

// The same for a broker.conf's properties. Relative paths are taken relative to the current directory, as
// the Java broker does.
StoreLocation store_location_from_config(const std::filesystem::path& config_path);

// True when `store_root` holds a `dledger-<selfId>` directory: a DLedger-mode store, whose legacy commitlog
// may be absent (a group that started empty adopts an empty legacy log and never creates `commitlog/`).
bool has_dledger_directory(const std::filesystem::path& store_root);

}  // namespace rmq::migrate
