// What a migration journal (journal.h) says has been done, replayed from its records, and the records
// themselves: the one place that knows their shapes.
//
//   {"type":"plan", "format":1, "plan_id":ID, "plan":{...}, "inventory":[{"path","size","mtime_ns"}...]}
//       always the first record; the plan's identity and the source files as they were when copying began
//   {"type":"phase", "phase":NAME, "detail":TEXT[, "data":{...}]}
//       a phase finished (discover ... configure); check's data holds the verdict and offsets the summary of
//       a finished migration repeats
//   {"type":"source", "path":P, "md5":M}                 the MD5 of source file P (store-root relative)
//   {"type":"copied", "node":N, "path":P, "size":S}      P is on node N under its final name, synced
//   {"type":"verified", "node":N, "path":P, "md5":M}     P read back from node N hashes to M (= the source's)
//   {"type":"mismatch", "node":N, "path":P, "md5":M, "expected":E}
//       the read-back hash differed: the copy is void and the next run copies P again
//   {"type":"config", "node":N, "path":F, "md5":M}       node N's broker config written to F
//
// Later records override earlier ones for the same (node, path): a file copied again after a mismatch is
// judged by its newest record. Unknown record types are refused, since a journal written by a newer rmqctl
// may mean something this one cannot honour.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rmq::migrate {

inline constexpr int kJournalFormat = 1;

enum class FileProgress { kCopied, kVerified, kMismatch };

struct NodeFileState {
  FileProgress progress = FileProgress::kCopied;
  std::uint64_t size_bytes = 0;
  std::string md5;  // the read-back MD5 (verified, mismatch); empty while only copied
};

struct JournalState {
  std::string plan_id;
  nlohmann::json plan;       // the plan record's "plan"
  nlohmann::json inventory;  // the plan record's "inventory"
  std::vector<std::string> phases_done;                 // in the order they were recorded
  std::map<std::string, std::string> phase_details;     // phase -> detail
  std::map<std::string, nlohmann::json> phase_data;     // phase -> data, for phases that record some
  std::map<std::string, std::string> source_md5;        // path -> md5
  std::map<std::pair<std::string, std::string>, NodeFileState> files;  // (node, path)
  std::map<std::string, std::pair<std::string, std::string>> configs;   // node -> (config path, md5)

  bool phase_done(const std::string& phase) const;
  // The journal records a finished migration: the last phase, configure, is done.
  bool finished() const { return phase_done("configure"); }
  const NodeFileState* file(const std::string& node, const std::string& path) const;
};

// Replays records (the first must be the plan). Throws JournalError for a record it does not understand.
JournalState replay_journal(const std::vector<nlohmann::json>& records);

// Record builders, so that writers and the replay agree on field names.
namespace journal_record {
nlohmann::json plan(const std::string& plan_id, const nlohmann::json& plan, const nlohmann::json& inventory);
nlohmann::json phase(const std::string& phase, const std::string& detail);
nlohmann::json source(const std::string& path, const std::string& md5);
nlohmann::json copied(const std::string& node, const std::string& path, std::uint64_t size_bytes);
nlohmann::json verified(const std::string& node, const std::string& path, const std::string& md5);
nlohmann::json mismatch(const std::string& node, const std::string& path, const std::string& md5,
                        const std::string& expected_md5);
nlohmann::json config(const std::string& node, const std::string& path, const std::string& md5);
}  // namespace journal_record

}  // namespace rmq::migrate
