// The migration's memory across runs, kills and crashes: an append-only file of JSON records, one per line,
// in the target root (`rmqctl-migrate.journal`).
//
// Why append-only lines: every completed step (a phase, a copied file, a verified file) is one small write
// followed by fdatasync, so recording progress costs the same whether the journal holds ten records or a
// million, and a crash can damage at most the line being written. That torn last line (no terminating
// newline, or not valid JSON) is the only damage a crash can cause; it is dropped when the journal is read
// and cut off before the next append. Damage anywhere else is not a crash's doing and is reported as a
// corrupt journal rather than guessed around.
//
// Durability: create() writes the first record, syncs the file and then the directory, so a journal that
// exists names its plan. Every record is written only after what it reports is itself durable (the copier
// journals a file once the file is synced, renamed and its directory synced), so whenever a record reaches
// the disk it tells the truth. Losing records in a crash only makes the next run redo that work, which is
// idempotent; so per-file records may be appended kSoon (synced at most a second later, or by the next kNow
// record), which saves one fdatasync per file, while phase records are appended kNow. A killed process loses
// nothing either way: its writes are in the page cache.
//
// The record shapes are journal_state.h's business; this file only stores and returns them.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

namespace rmq::migrate {

inline constexpr const char* kJournalFileName = "rmqctl-migrate.journal";

// A journal that cannot be trusted: not a crash's torn tail but damage or another program's file.
class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct JournalContents {
  std::vector<nlohmann::json> records;
  bool had_torn_tail = false;  // a crash interrupted the last append; it is ignored
};

// Reads the journal at `path`; nullopt when it does not exist. Throws JournalError for damage other than a
// torn last line, common::IoError when it cannot be read.
std::optional<JournalContents> read_journal(const std::filesystem::path& path);

// Appends records durably. Thread-safe: the copy phase's workers share one writer.
class JournalWriter {
 public:
  // Creates a new journal holding `first`, durably (file and directory synced). Throws common::IoError when
  // the file already exists or cannot be written.
  static std::unique_ptr<JournalWriter> create(const std::filesystem::path& path, const nlohmann::json& first);
  // Opens an existing journal and cuts off a torn last line, so the next record starts on a line of its own.
  static std::unique_ptr<JournalWriter> open_existing(const std::filesystem::path& path);

  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  enum class Durability {
    kNow,   // fdatasync before returning
    kSoon,  // fdatasync if the last one is a second old; the next kNow record or sync() covers it otherwise
  };

  // Writes the record as one line (one write(2)). Adds "at" (UTC, ISO 8601) when the record has none.
  void append(nlohmann::json record, Durability durability = Durability::kNow);
  // Makes every record appended so far durable.
  void sync();
  const std::filesystem::path& path() const { return path_; }

 private:
  JournalWriter(std::filesystem::path path, int fd);

  void sync_locked();

  std::filesystem::path path_;
  int fd_;
  std::mutex mutex_;
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
};

}  // namespace rmq::migrate
