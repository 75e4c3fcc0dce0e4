#include "tools/gen_store/sample_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "broker/store/consume_queue_entry.h"
#include "broker/store/message_record.h"
#include "tools/gen_store/broker_files.h"
#include "tools/gen_store/commitlog_writer.h"
#include "tools/gen_store/config_json.h"
#include "tools/gen_store/consume_queue_writer.h"
#include "tools/gen_store/message_stream.h"
#include "tools/gen_store/output_file.h"
#include "tools/gen_store/scenario_plan.h"

namespace rmq::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::pair<Scenario, std::string_view>, 10> kScenarioNames{{
    {Scenario::kConsistent, "consistent"},
    {Scenario::kSlaveBehind, "slave-behind"},
    {Scenario::kSlaveMissingFiles, "slave-missing-files"},
    {Scenario::kDiverged, "diverged"},
    {Scenario::kCorruptMaster, "corrupt-master"},
    {Scenario::kCorruptSlave, "corrupt-slave"},
    {Scenario::kTornMaster, "torn-master"},
    {Scenario::kSlaveAhead, "slave-ahead"},
    {Scenario::kStrayFile, "stray-file"},
    {Scenario::kMasterOnly, "master-only"},
}};

// How much of the stream a default run writes: about two and a half commitlog files.
constexpr std::uint64_t kDefaultFillNumerator = 5;
constexpr std::uint64_t kDefaultFillDenominator = 2;

void validate(const SampleStoreOptions& options) {
  if (options.out_dir.empty()) throw SampleStoreUsageError("--out is required");
  if (options.file_size_bytes == 0 ||
      options.file_size_bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    throw SampleStoreUsageError(fmt::format("--file-size {} is outside [1, {}] (mappedFileSizeCommitLog is a "
                                            "Java int)",
                                            options.file_size_bytes, std::numeric_limits<std::int32_t>::max()));
  }
  if (options.message_count && *options.message_count == 0) {
    throw SampleStoreUsageError("--messages must be at least 1");
  }
  if (options.body_size_bytes &&
      (*options.body_size_bytes == 0 ||
       *options.body_size_bytes > static_cast<std::uint32_t>(store::kDefaultMaxBodySize))) {
    throw SampleStoreUsageError(fmt::format("--body-size {} is outside [1, {}] (maxMessageSize)",
                                            *options.body_size_bytes, store::kDefaultMaxBodySize));
  }
}

MessageStreamOptions stream_options(const SampleStoreOptions& options) {
  return MessageStreamOptions{options.seed, options.file_size_bytes, options.body_size_bytes, options.ipv6,
                              options.long_topic};
}

// The planning pass: where every message the scenario may need lands, and how many the master holds.
std::pair<std::vector<Placement>, std::uint64_t> place_messages(const SampleStoreOptions& options) {
  MessageStream stream(stream_options(options));
  std::vector<Placement> placements;
  const std::int64_t fill_end = static_cast<std::int64_t>(options.file_size_bytes * kDefaultFillNumerator /
                                                          kDefaultFillDenominator);
  std::optional<std::uint64_t> master_messages = options.message_count;
  try {
    while (!master_messages || placements.size() < *master_messages + kSlaveAheadExtraMessages) {
      const PlannedMessage& m = stream.next();
      if (!master_messages && m.physical_offset + m.size_bytes > fill_end) master_messages = placements.size();
      placements.push_back(Placement{m.physical_offset, m.size_bytes});
    }
  } catch (const std::invalid_argument& e) {
    throw SampleStoreUsageError(e.what());
  }
  assert(*master_messages >= 1);
  return {std::move(placements), *master_messages};
}

// One side being written: its plan, its writers and what it ends up holding.
struct Side {
  Side(std::string side_name, fs::path store_root, SidePlan side_plan, std::uint64_t file_size_bytes,
       const std::vector<TopicSpec>& topics)
      : name(std::move(side_name)),
        root(std::move(store_root)),
        plan(side_plan),
        commitlog(root / "commitlog", file_size_bytes),
        consume_queues(topics) {}
  std::string name;
  fs::path root;
  SidePlan plan;
  CommitLogWriter commitlog;
  ConsumeQueueWriter consume_queues;
  std::uint64_t messages = 0;
  std::int64_t max_offset = 0;
  std::int64_t last_store_timestamp_ms = 0;
};

// Where the body starts inside the encoded record: everything after it has known lengths.
std::size_t body_position(const store::MessageRecord& record, std::size_t encoded_size_bytes) {
  const std::size_t topic_length_field = record.magic == store::kMessageMagicV2 ? 2 : 1;
  return encoded_size_bytes - record.properties.size() - 2 - record.topic.size() - topic_length_field -
         record.body.size();
}

fs::path prepare_root(const fs::path& out_dir, const char* side) {
  const fs::path root = (fs::absolute(out_dir) / side).lexically_normal();
  if (fs::exists(fs::symlink_status(root))) {
    throw SampleStoreRefused(fmt::format("{} already exists; rmq-gen-store never writes into an existing store",
                                         root.string()));
  }
  return root;
}

void write_store_root(const Side& side, const std::vector<TopicSpec>& topics, BrokerRole role,
                      std::uint64_t file_size_bytes) {
  side.consume_queues.write(side.root / "consumequeue");
  write_config_dir(side.root / "config", topics, side.consume_queues.entry_counts(), side.last_store_timestamp_ms);
  write_checkpoint(side.root, side.last_store_timestamp_ms);
  write_lock_file(side.root);
  write_new_text_file(side.root / "broker.conf", broker_conf_text(side.root, role, file_size_bytes));
}

SideSummary summarize(const Side& side, std::uint64_t file_size_bytes) {
  SideSummary s;
  s.root = side.root;
  s.messages = side.messages;
  s.files = side.commitlog.file_names();
  s.min_offset = side.plan.min_offset - side.plan.min_offset % static_cast<std::int64_t>(file_size_bytes);
  s.max_offset = side.max_offset;
  return s;
}

}  // namespace

std::string_view scenario_name(Scenario scenario) {
  for (const auto& [s, name] : kScenarioNames) {
    if (s == scenario) return name;
  }
  return "unknown";
}

std::optional<Scenario> parse_scenario(std::string_view name) {
  for (const auto& [s, n] : kScenarioNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> scenarios = [] {
    std::vector<Scenario> v;
    for (const auto& entry : kScenarioNames) v.push_back(entry.first);
    return v;
  }();
  return scenarios;
}

std::string SampleStoreSummary::to_json_line() const {
  nlohmann::ordered_json j;
  j["scenario"] = std::string(scenario_name(scenario));
  j["seed"] = seed;
  j["file_size"] = file_size_bytes;
  j["master_dir"] = master.root.string();
  j["master_messages"] = master.messages;
  j["master_files"] = master.files;
  j["master_min_offset"] = master.min_offset;
  j["master_max_offset"] = master.max_offset;
  if (slave) {
    j["slave_dir"] = slave->root.string();
    j["slave_messages"] = slave->messages;
    j["slave_files"] = slave->files;
    j["slave_min_offset"] = slave->min_offset;
    j["slave_max_offset"] = slave->max_offset;
    j["first_difference_offset"] =
        first_difference_offset ? nlohmann::ordered_json(*first_difference_offset) : nlohmann::ordered_json();
  }
  if (corrupt_offset) {
    j["corrupt_offset"] = *corrupt_offset;
    j["corrupt_side"] = corrupt_side;
  }
  if (torn_offset) j["torn_offset"] = *torn_offset;
  if (!missing_files.empty()) j["missing_files"] = missing_files;
  if (!stray_files.empty()) j["stray_files"] = stray_files;
  return j.dump();
}

SampleStoreSummary generate_sample_store(const SampleStoreOptions& options) {
  validate(options);
  const auto [placements, master_messages] = place_messages(options);
  const ScenarioPlan plan = plan_scenario(options.scenario, placements, master_messages, options.file_size_bytes);

  const fs::path master_root = prepare_root(options.out_dir, "master");
  const fs::path slave_root = prepare_root(options.out_dir, "slave");
  MessageStream stream(stream_options(options));
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(std::make_unique<Side>("master", master_root, plan.master, options.file_size_bytes, stream.topics()));
  if (plan.slave) {
    sides.push_back(std::make_unique<Side>("slave", slave_root, *plan.slave, options.file_size_bytes, stream.topics()));
  }
  for (const auto& side : sides) fs::create_directories(side->root / "commitlog");

  store::MessageRecord record;
  store::MessageRecord variant_record;
  common::Bytes encoded;
  common::Bytes variant_encoded;
  common::Bytes altered;
  common::Bytes blank;
  std::uint64_t total_messages = 0;
  for (const auto& side : sides) total_messages = std::max(total_messages, side->plan.message_count);

  for (std::uint64_t i = 0; i < total_messages; ++i) {
    const PlannedMessage& m = stream.next();
    assert(m.physical_offset == placements[i].offset);
    stream.build_record(m, 0, record);
    encoded.clear();
    store::encode(record, encoded);
    if (m.blank_offset) {
      blank.clear();
      store::encode_blank(m.blank_size_bytes, blank);
    }
    for (const auto& side : sides) {
      const SidePlan& p = side->plan;
      if (i >= p.message_count) continue;
      common::ByteSpan bytes(encoded);
      const store::MessageRecord* fields = &record;
      if (p.variant_from && i >= *p.variant_from) {
        stream.build_record(m, 1, variant_record);
        variant_encoded.clear();
        store::encode(variant_record, variant_encoded);
        bytes = common::ByteSpan(variant_encoded);
        fields = &variant_record;
      }
      const bool torn = p.torn_index == i;
      if (p.corrupt_index == i || torn) {
        altered.assign(bytes.begin(), bytes.end());
        const std::size_t body_at = body_position(*fields, altered.size());
        const std::size_t middle = body_at + fields->body.size() / 2;
        if (torn) {
          std::fill(altered.begin() + static_cast<std::ptrdiff_t>(middle), altered.end(), 0);
        } else {
          altered[middle] ^= 0xFF;
        }
        bytes = common::ByteSpan(altered);
      }
      if (m.blank_offset && *m.blank_offset >= p.min_offset) side->commitlog.write(*m.blank_offset, blank);
      if (m.physical_offset >= p.min_offset) {
        side->commitlog.write(static_cast<std::uint64_t>(m.physical_offset), bytes);
        ++side->messages;
      }
      if (!torn) {
        side->consume_queues.add(m.topic_index, m.queue_id,
                                 store::ConsumeQueueEntry{m.physical_offset, m.size_bytes,
                                                          store::tags_hash_code(m.tags)});
        side->max_offset = m.physical_offset + m.size_bytes;
        side->last_store_timestamp_ms = m.store_timestamp_ms;
      }
    }
  }

  SampleStoreSummary summary;
  summary.scenario = options.scenario;
  summary.seed = options.seed;
  summary.file_size_bytes = options.file_size_bytes;
  summary.first_difference_offset = plan.first_difference_offset;
  for (const auto& side : sides) {
    side->commitlog.finish();
    write_store_root(*side, stream.topics(), side->name == "master" ? BrokerRole::kMaster : BrokerRole::kSlave,
                     options.file_size_bytes);
    if (side->plan.corrupt_index) {
      summary.corrupt_offset = placements[*side->plan.corrupt_index].offset;
      summary.corrupt_side = side->name;
    }
    if (side->plan.torn_index) summary.torn_offset = placements[*side->plan.torn_index].offset;
  }
  summary.master = summarize(*sides[0], options.file_size_bytes);
  if (sides.size() > 1) {
    summary.slave = summarize(*sides[1], options.file_size_bytes);
    for (const std::string& file : summary.master.files) {
      if (std::find(summary.slave->files.begin(), summary.slave->files.end(), file) == summary.slave->files.end() &&
          std::stoll(file) < summary.slave->min_offset) {
        summary.missing_files.push_back(file);
      }
    }
  }
  if (options.scenario == Scenario::kStrayFile) {
    const fs::path dir = master_root / "commitlog";
    const std::string backup = summary.master.files.front() + ".bak";
    fs::copy_file(dir / summary.master.files.front(), dir / backup);
    write_new_text_file(dir / "notes.txt", "Backed up the first commitlog file before the upgrade.\n");
    summary.stray_files = {backup, "notes.txt"};
  }
  return summary;
}

}  // namespace rmq::tools
