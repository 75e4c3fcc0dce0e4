#include "tools/gen_store/scenario_plan.h"

#include <fmt/format.h>

#include <cassert>

namespace rmq::tools {
namespace {

std::int64_t file_start(std::int64_t offset, std::uint64_t file_size_bytes) {
  const auto size = static_cast<std::int64_t>(file_size_bytes);
  return offset - offset % size;
}

std::int64_t end_of(const Placement& p) { return p.offset + p.size_bytes; }

[[noreturn]] void too_short(Scenario scenario, const std::string& why) {
  throw SampleStoreUsageError(fmt::format("scenario {} {}; use more --messages or a smaller --file-size",
                                          scenario_name(scenario), why));
}

// A record in the middle of the log and of its file: at or after the middle of the middle file (or the
// middle of the log when that lies beyond its end), never the first record of a file, never the first or
// last record of the log.
std::uint64_t middle_record(Scenario scenario, const std::vector<Placement>& placements, std::uint64_t count,
                            std::uint64_t file_size_bytes) {
  if (count < 3) too_short(scenario, "needs at least 3 messages");
  const auto size = static_cast<std::int64_t>(file_size_bytes);
  const std::int64_t end = end_of(placements[count - 1]);
  const std::int64_t files = placements[count - 1].offset / size + 1;
  std::int64_t target = (files / 2) * size + size / 2;
  if (target >= end) target = end / 2;
  std::optional<std::uint64_t> fallback;
  for (std::uint64_t i = 1; i + 1 < count; ++i) {
    if (placements[i].offset % size == 0) continue;
    if (placements[i].offset >= target) return i;
    fallback = i;
  }
  if (!fallback) too_short(scenario, "needs a record that does not start a file, between two others");
  return *fallback;
}

}  // namespace

ScenarioPlan plan_scenario(Scenario scenario, const std::vector<Placement>& placements,
                           std::uint64_t master_messages, std::uint64_t file_size_bytes) {
  assert(master_messages >= 1);
  assert(placements.size() >= master_messages + kSlaveAheadExtraMessages);
  const std::uint64_t n = master_messages;
  ScenarioPlan plan;
  plan.master.message_count = n;
  plan.slave = SidePlan{n, 0, {}, {}, {}};

  switch (scenario) {
    case Scenario::kConsistent:
    case Scenario::kStrayFile:
      break;
    case Scenario::kMasterOnly:
      plan.slave.reset();
      break;
    case Scenario::kSlaveBehind: {
      const std::int64_t last_file = file_start(placements[n - 1].offset, file_size_bytes);
      std::uint64_t first_in_last = n - 1;
      while (first_in_last > 0 && placements[first_in_last - 1].offset >= last_file) --first_in_last;
      const std::uint64_t in_last_file = n - first_in_last;
      if (in_last_file < 2) too_short(scenario, "needs at least 2 records in the master's last file");
      plan.slave->message_count = first_in_last + in_last_file / 2;
      plan.first_difference_offset = end_of(placements[plan.slave->message_count - 1]);
      break;
    }
    case Scenario::kSlaveMissingFiles: {
      const std::int64_t files = placements[n - 1].offset / static_cast<std::int64_t>(file_size_bytes) + 1;
      if (files < 3) too_short(scenario, fmt::format("needs at least 3 commitlog files, the master has {}", files));
      plan.slave->min_offset = static_cast<std::int64_t>(file_size_bytes);
      break;
    }
    case Scenario::kDiverged: {
      const std::uint64_t d = middle_record(scenario, placements, n, file_size_bytes);
      plan.slave->variant_from = d;
      plan.first_difference_offset = placements[d].offset;
      break;
    }
    case Scenario::kCorruptMaster:
    case Scenario::kCorruptSlave: {
      const std::uint64_t c = middle_record(scenario, placements, n, file_size_bytes);
      (scenario == Scenario::kCorruptMaster ? plan.master : *plan.slave).corrupt_index = c;
      plan.first_difference_offset = placements[c].offset;
      break;
    }
    case Scenario::kTornMaster:
      if (n < 2) too_short(scenario, "needs at least 2 messages");
      plan.master.torn_index = n - 1;
      plan.first_difference_offset = placements[n - 1].offset;
      break;
    case Scenario::kSlaveAhead:
      plan.slave->message_count = n + kSlaveAheadExtraMessages;
      plan.first_difference_offset = end_of(placements[n - 1]);
      break;
  }
  return plan;
}

}  // namespace rmq::tools
