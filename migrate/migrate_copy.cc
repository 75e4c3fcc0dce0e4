#include "migrate/migrate_copy.h"

#include <atomic>
#include <cassert>
#include <chrono>
#include <exception>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include "broker/common/file_system_posix.h"
#include "broker/common/progress.h"
#include "migrate/copy_file.h"
#include "migrate/copy_hash.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

namespace {

// What the workers share: the first error stops everyone at their next file.
struct Shared {
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr error;
  std::atomic<std::size_t> copies_made{0};
  std::atomic<std::size_t> copies_skipped{0};
  std::atomic<std::uint64_t> bytes_copied{0};
  std::atomic<bool> used_copy_file_range{false};

  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!error) error = e;
    failed = true;
  }
};

bool already_there(const JournalState& journaled, const NodeTarget& node, const InventoryItem& item) {
  const NodeFileState* state = journaled.file(node.id, item.rel_path);
  if (state == nullptr || state->progress == FileProgress::kMismatch || state->size_bytes != item.size_bytes) {
    return false;
  }
  std::error_code ec;
  const auto size = fs::file_size(node.store_root / item.rel_path, ec);
  return !ec && size == item.size_bytes;
}

void copy_to_node(std::size_t node_index, const NodeTarget& node, const Inventory& inventory,
                  const JournalState& journaled, JournalWriter& journal, TestHooks& hooks, CopyObserver& observer,
                  std::atomic<std::uint64_t>& progress, Shared& shared) {
  common::PosixFileSystem posix;
  std::set<fs::path> made_dirs;
  for (std::size_t index = 0; index < inventory.items.size(); ++index) {
    const InventoryItem& item = inventory.items[index];
    if (shared.failed) return;
    if (already_there(journaled, node, item)) {
      shared.copies_skipped++;
      progress.fetch_add(std::min(item.allocated_bytes, item.size_bytes));
      observer.settled(node_index, index);
      continue;
    }
    const fs::path dest = node.store_root / item.rel_path;
    if (made_dirs.insert(dest.parent_path()).second) common::create_dirs_durably(posix, dest.parent_path());
    CopyFileOptions options;
    options.progress_bytes = &progress;
    options.after_half_written = [&hooks] { hooks.file_half_written(); };
    options.after_rename = [&hooks] { hooks.file_renamed(); };
    const CopyFileResult r = copy_file_durably(item.source_path, dest, item.size_bytes, options);
    journal.append(journal_record::copied(node.id, item.rel_path, r.size_bytes),
                   JournalWriter::Durability::kSoon);
    hooks.file_journaled();
    shared.copies_made++;
    shared.bytes_copied += r.copied_bytes;
    if (r.used_copy_file_range) shared.used_copy_file_range = true;
    observer.settled(node_index, index);
  }
}

void hash_sources(const Inventory& inventory, const JournalState& journaled,
                  const std::map<std::string, std::string>& known_source_md5, JournalWriter& journal,
                  CopyObserver& observer, std::map<std::string, std::string>& md5s,
                  std::atomic<std::uint64_t>& progress, Shared& shared) {
  for (const auto& item : inventory.items) {
    if (shared.failed) return;
    const auto journaled_md5 = journaled.source_md5.find(item.rel_path);
    if (journaled_md5 != journaled.source_md5.end()) {
      md5s[item.rel_path] = journaled_md5->second;
      observer.source_hashed(item.rel_path, journaled_md5->second);
      continue;
    }
    const auto known = known_source_md5.find(item.rel_path);
    const std::string md5 = known != known_source_md5.end() ? known->second
                                                             : md5_file_hex_sparse(item.source_path, &progress);
    journal.append(journal_record::source(item.rel_path, md5), JournalWriter::Durability::kSoon);
    md5s[item.rel_path] = md5;
    observer.source_hashed(item.rel_path, md5);
  }
}

}  // namespace

CopyPhaseResult run_copy_phase(const MigrationPlan& plan, const Inventory& inventory, const JournalState& journaled,
                               const std::map<std::string, std::string>& known_source_md5, JournalWriter& journal,
                               TestHooks& hooks, CopyObserver& observer,
                               std::atomic<std::uint64_t>& progress_bytes) {
  const auto start = std::chrono::steady_clock::now();
  CopyPhaseResult result;
  common::PosixFileSystem posix;
  for (const auto& node : plan.nodes) {
    common::create_dirs_durably(posix, node.store_root);
    result.stale_temp_files_removed += remove_stale_temp_files(node.store_root);
  }

  Shared shared;
  std::vector<std::thread> workers;
  workers.emplace_back([&] {
    try {
      hash_sources(inventory, journaled, known_source_md5, journal, observer, result.source_md5, progress_bytes,
                   shared);
    } catch (...) {
      shared.fail(std::current_exception());
    }
  });
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    workers.emplace_back([&, i] {
      try {
        copy_to_node(i, plan.nodes[i], inventory, journaled, journal, hooks, observer, progress_bytes, shared);
      } catch (...) {
        shared.fail(std::current_exception());
      }
    });
  }
  for (auto& w : workers) w.join();
  if (shared.error) std::rethrow_exception(shared.error);
  assert(result.source_md5.size() == inventory.items.size());

  result.copies_made = shared.copies_made;
  result.copies_skipped = shared.copies_skipped;
  result.bytes_copied = shared.bytes_copied;
  result.used_copy_file_range = shared.used_copy_file_range;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.detail = std::to_string(inventory.items.size()) + " files (" +
                  common::human_bytes(static_cast<double>(inventory.total_bytes())) + ") to each of " +
                  std::to_string(plan.nodes.size()) + " nodes: " + std::to_string(result.copies_made) + " copied";
  if (result.copies_made > 0) {
    result.detail += result.used_copy_file_range ? " (copy_file_range)" : " (read/write: copy_file_range refused)";
  }
  if (result.copies_skipped > 0) result.detail += ", " + std::to_string(result.copies_skipped) + " already there";
  if (result.stale_temp_files_removed > 0) {
    result.detail += ", " + std::to_string(result.stale_temp_files_removed) + " half-copied removed";
  }
  return result;
}

}  // namespace rmq::migrate
