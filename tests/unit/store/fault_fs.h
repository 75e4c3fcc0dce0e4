// An in-memory FileSystem that knows what is durable, for crash-point tests; modelled on LevelDB's
// FaultInjectionTestEnv, with a harsher crash.
//
// Every file keeps two contents: what processes see, and what a crash would leave (as of its last sync()),
// plus the list of writes and size changes made since. Every directory keeps its entries and its durable
// entries (as of its last sync_dir()), plus the creations, renames and removals made since. A created file
// whose directory was never synced is gone after a crash, however often the file itself was synced; a file
// that was removed but whose directory was not synced comes back, with its durable content.
//
// crash() simulates the machine going down and coming back:
// - kDropUnsynced: LevelDB's model. Files revert to their synced content, directories to their synced entries.
// - kKeepSomeUnsynced: page-cache writeback got part way. Each unsynced write or size change survives or not
//   at random (in order, whole); each directory keeps a random prefix of its unsynced changes (a metadata
//   journal replays in order).
// - kTearUnsynced: as kKeepSomeUnsynced, but each surviving write keeps only a random subset of its 512-byte
//   sectors: torn writes.
//
// Faults: inject(kind, n, counter) arms a fault at the n-th operation of a counter (1-based, counting from the
// start, see op_count()): kFail makes that operation throw IoError without doing it (a failed File::sync()
// models Linux: the file's unsynced writes stay visible but are never made durable by a later sync, so a
// retry is no cure and a crash loses them); kCrash makes it throw
// SimulatedCrash without doing it, and every call after it too (the process is dead) until crash() is called.
// Reads never count. File handles opened before a crash() throw SimulatedCrash when used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/common/file_system.h"

namespace rmq::store::testing {

class SimulatedCrash : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class CrashMode { kDropUnsynced, kKeepSomeUnsynced, kTearUnsynced };
const char* to_string(CrashMode mode);

enum class FaultKind { kFail, kCrash };

// Which operations a counter counts.
enum class OpCounter {
  kAny,    // every mutating operation below
  kWrite,  // write_at, append, truncate, open with kCreateTruncate of an existing file
  kSync,   // File::sync, sync_dir
  kMeta,   // creating a file or directory, rename, remove_file
};

class FaultFs final : public common::FileSystem {
 public:
  FaultFs();
  ~FaultFs() override;
  FaultFs(const FaultFs&) = delete;
  FaultFs& operator=(const FaultFs&) = delete;

  std::unique_ptr<common::File> open(const std::filesystem::path& path, common::OpenMode mode) override;
  bool exists(const std::filesystem::path& path) override;
  bool is_directory(const std::filesystem::path& path) override;
  std::vector<std::string> list_dir(const std::filesystem::path& dir) override;
  bool create_dir(const std::filesystem::path& dir) override;
  void sync_dir(const std::filesystem::path& dir) override;
  void rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  void remove_file(const std::filesystem::path& path) override;
  std::uint64_t file_size(const std::filesystem::path& path) override;

  std::uint64_t op_count(OpCounter counter = OpCounter::kAny) const;
  void inject(FaultKind kind, std::uint64_t nth, OpCounter counter = OpCounter::kAny);
  // A short write: the nth write_at/append (kWrite counter) writes only its first `written_bytes` bytes, then
  // throws IoError, as a pwrite that runs out of space part way does (the POSIX File retries the rest and gets
  // ENOSPC). The bytes it wrote stay, unsynced, like any write. A write shorter than that is done whole and
  // still throws. (truncate counts as a write too: one hit by this fault is not done.)
  void inject_short_write(std::uint64_t nth, std::uint64_t written_bytes);
  void clear_injection();
  // The kind of the operation an injected kFail last hit (kWrite, kSync or kMeta), if any did.
  std::optional<OpCounter> last_fault_kind() const { return last_fault_kind_; }
  bool crashed() const { return crashed_; }

  // Applies the crash model with the given seed; the file system is usable again afterwards.
  void crash(CrashMode mode, std::uint64_t seed);

  // Test access, uncounted and unaffected by faults: the content a process sees, and an overwrite of both the
  // visible and the durable content (corruption on the medium; meant for synced files, since a crash in a
  // keep-some mode may still replay a pending write over it).
  common::Bytes contents(const std::filesystem::path& path);
  void corrupt(const std::filesystem::path& path, std::uint64_t offset, common::ByteSpan bytes);

  struct Node;  // public for the File implementation in fault_fs.cc

 private:
  friend class FaultFile;
  // Counts one operation of the given kind and fires an armed fault; throws SimulatedCrash when crashed.
  void before_op(OpCounter kind);
  void check_alive() const;
  std::shared_ptr<Node> lookup(const std::filesystem::path& path) const;      // null when missing
  std::shared_ptr<Node> parent_dir(const std::filesystem::path& path) const;  // throws when missing

  std::shared_ptr<Node> root_;
  std::uint64_t counts_[4] = {0, 0, 0, 0};
  bool armed_ = false;
  FaultKind armed_kind_ = FaultKind::kFail;
  OpCounter armed_counter_ = OpCounter::kAny;
  std::uint64_t armed_at_ = 0;
  std::optional<std::uint64_t> armed_short_bytes_;  // inject_short_write's prefix
  std::optional<std::uint64_t> fired_short_bytes_;  // set by before_op for the write it failed
  bool crashed_ = false;
  std::optional<OpCounter> last_fault_kind_;
  std::uint64_t epoch_ = 0;  // advanced by crash(); handles from an older epoch are dead
};

}  // namespace rmq::store::testing
