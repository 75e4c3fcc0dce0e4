// Sample legacy Master-Slave store pairs for tests, the README demo and the benchmarks.
//
// Every tool in this project is about comparing, checking and adopting a master's and a slave's stores, so
// its tests need pairs in known states: identical, the slave behind, ahead, missing its oldest files,
// diverged, a corrupt or torn record. Real brokers cannot produce those on demand; this writes them with the
// same record codec the tools read with, deterministically from a seed, and reports the offsets that make
// each scenario interesting so a test can assert against the generator's own knowledge.
//
// DIR/master and DIR/slave are store roots as a cleanly stopped broker leaves them: commitlog/ (files of
// exactly file_size bytes), consumequeue/, config/*.json, checkpoint, lock, plus the broker.conf to start it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::tools {

enum class Scenario {
  kConsistent,         // identical stores
  kSlaveBehind,        // the slave holds a strict prefix ending inside the master's last file
  kSlaveMissingFiles,  // the slave lacks the master's oldest file and agrees elsewhere (>= 3 files)
  kDiverged,           // from a record in the middle of a file on, the slave has other bodies at the same offsets
  kCorruptMaster,      // one body byte of a middle record flipped on the master (its CRC fails)
  kCorruptSlave,       // the same on the slave
  kTornMaster,         // the master's last record is torn: body tail, topic and properties are zeros
  kSlaveAhead,         // the slave has records after the master's end
  kStrayFile,          // consistent, plus 00000000000000000000.bak and notes.txt in the master's commitlog/
  kMasterOnly,         // no slave directory
};

std::string_view scenario_name(Scenario scenario);
std::optional<Scenario> parse_scenario(std::string_view name);
const std::vector<Scenario>& all_scenarios();

struct SampleStoreOptions {
  std::filesystem::path out_dir;
  Scenario scenario = Scenario::kConsistent;
  std::uint64_t file_size_bytes = 1048576;
  std::optional<std::uint64_t> message_count;    // default: as many as fill about 2.5 files
  std::optional<std::uint32_t> body_size_bytes;  // default: sizes vary from 64 to 2048 bytes
  std::uint64_t seed = 1;
  bool ipv6 = false;        // IPv6 born and store hosts
  bool long_topic = false;  // add a 200-char topic (v2 magic)
};

// Options that cannot make the requested store (a process exit of 2).
class SampleStoreUsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// DIR/master or DIR/slave already exists; nothing is overwritten (a process exit of 4).
class SampleStoreRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SideSummary {
  std::filesystem::path root;            // absolute
  std::uint64_t messages = 0;            // records in its commitlog files, a torn one included
  std::vector<std::string> files;        // commitlog file names, oldest first
  std::int64_t min_offset = 0;           // start of its oldest commitlog file
  std::int64_t max_offset = 0;           // end of its last valid record
};

struct SampleStoreSummary {
  Scenario scenario = Scenario::kConsistent;
  std::uint64_t seed = 0;
  std::uint64_t file_size_bytes = 0;
  SideSummary master;
  std::optional<SideSummary> slave;
  // The offset of the first record at which the two logs differ, over the range both cover, counting a
  // record (or blank) one side lacks as a difference; nullopt when they agree or there is no slave.
  std::optional<std::int64_t> first_difference_offset;
  std::optional<std::int64_t> corrupt_offset;  // the record whose body byte is flipped
  std::string corrupt_side;                     // "master" or "slave"
  std::optional<std::int64_t> torn_offset;     // the torn record on the master
  std::vector<std::string> missing_files;      // master commitlog files the slave lacks
  std::vector<std::string> stray_files;        // non-log files placed in the master's commitlog/

  // One line of JSON, e.g. {"scenario":"diverged","seed":1,...,"first_difference_offset":1572864}.
  std::string to_json_line() const;
};

// Writes the scenario's stores under options.out_dir (created if missing).
// Throws SampleStoreUsageError, SampleStoreRefused, or std::system_error / filesystem_error on I/O failure.
SampleStoreSummary generate_sample_store(const SampleStoreOptions& options);

}  // namespace rmq::tools
