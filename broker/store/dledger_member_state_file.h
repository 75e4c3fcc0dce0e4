// The two Java-properties files beside a DLedger store (storage.md 5.1): `currterm` (MemberState: currTerm and
// voteLeader, the Raft hard state) and `checkpoint` (DLedgerMmapFileStore: endIndex and committedIndex).
//
// Text, exactly as DLedger writes it (IOUtils.properties2String over a java.util.Properties): "key=value\n"
// per key, unescaped, no header, in Hashtable iteration order on JDK 8, which is
//   currterm:   voteLeader=<id or empty>\ncurrTerm=<long>\n
//   checkpoint: endIndex=<long>\ncommittedIndex=<long>\n
// (JDK 9+ iterates a ConcurrentHashMap and writes the checkpoint keys the other way round; readers do not
// care.) Both are read with java.util.Properties rules (JavaProperties::parse).
//
// Saving follows IOUtils.string2File's file set ({name}.tmp, {name}.bak, {name}) but makes each step durable
// and replaces instead of deleting first (upstream deletes {name} before renaming, which leaves a moment with
// no file; POSIX rename replaces atomically):
//   1. write {name}.tmp, fsync it;
//   2. if {name} exists, copy its content to {name}.bak, fsync it;
//   3. rename {name}.tmp over {name}; fsync the directory. Only now does save return.
// A crash at any point leaves {name} holding the old text or the new one, complete either way: the new text
// was durable before the rename could be. Loading reads {name}, and falls back to {name}.bak when {name} is
// missing, empty or unusable (what upstream's delete-then-rename, or a Java writer without fsync, can leave).
// A hard state that neither file yields is an error, never a silent "term 0": a node that forgot its vote
// could vote twice in one term.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "broker/common/file_system.h"

namespace rmq::store {

struct DLedgerHardState {
  std::int64_t current_term = 0;
  std::string voted_for;  // the peer id voted for in current_term; empty for none
  bool operator==(const DLedgerHardState&) const = default;
};

struct DLedgerCheckpoint {
  std::int64_t end_index = -1;
  std::int64_t committed_index = -1;
  bool operator==(const DLedgerCheckpoint&) const = default;
};

inline constexpr const char* kDLedgerCurrTermFile = "currterm";
inline constexpr const char* kDLedgerCheckpointFile = "checkpoint";

// The file texts. encode_currterm throws std::invalid_argument for a voted_for that DLedger's unescaped
// writer could not round-trip (anything but printable ASCII without '\\'), or a negative term.
std::string encode_currterm(const DLedgerHardState& state);
std::string encode_checkpoint(const DLedgerCheckpoint& checkpoint);
// Nullopt when the text is not a usable file: unparsable, currTerm (committedIndex) missing or not a long.
// A missing voteLeader means no vote, as in MemberState.loadTerm; a missing endIndex means -1.
std::optional<DLedgerHardState> decode_currterm(std::string_view text);
std::optional<DLedgerCheckpoint> decode_checkpoint(std::string_view text);

class DLedgerMemberStateFile {
 public:
  // dledger_dir is {storePathRootDir}/dledger-{selfId}; it must exist.
  DLedgerMemberStateFile(common::FileSystem& fs, std::filesystem::path dledger_dir);

  // Durable when it returns (see above).
  void save_hard_state(const DLedgerHardState& state);
  // Nullopt when no currterm was ever saved. Throws DLedgerCorruption when files exist but none is usable.
  std::optional<DLedgerHardState> load_hard_state();

  void save_checkpoint(const DLedgerCheckpoint& checkpoint);
  // Nullopt when none was saved or none is usable: the checkpoint only speeds up a restart (upstream treats
  // it the same way), so a lost one is no error.
  std::optional<DLedgerCheckpoint> load_checkpoint();

 private:
  void save_text(const std::string& name, const std::string& text);
  // The usable decodings of {name} then {name}.bak; `found_any` tells whether either file was there.
  template <typename T, typename Decode>
  std::optional<T> load_text(const std::string& name, Decode decode, bool& found_any);

  common::FileSystem& fs_;
  std::filesystem::path dir_;
};

}  // namespace rmq::store
