// What each scenario does to the master's and the slave's copy of one message stream, decided from the
// placements of the messages alone (before anything is written): how many records each side holds, which
// files the slave lacks, from which record the slave's bodies differ, which record is corrupt or torn.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tools/gen_store/sample_store.h"

namespace rmq::tools {

// Records the slave holds beyond the master's end in the slave-ahead scenario.
inline constexpr std::uint64_t kSlaveAheadExtraMessages = 3;

struct Placement {
  std::int64_t offset = 0;     // PHYSICALOFFSET
  std::int32_t size_bytes = 0;  // TOTALSIZE
};

struct SidePlan {
  std::uint64_t message_count = 0;             // messages [0, message_count) of the stream
  std::int64_t min_offset = 0;                 // nothing below this offset is written (missing files)
  std::optional<std::uint64_t> variant_from;   // from this message on, bodies of variant 1
  std::optional<std::uint64_t> corrupt_index;  // this message gets one body byte flipped
  std::optional<std::uint64_t> torn_index;     // this message is torn (and has no consume queue entry)
};

struct ScenarioPlan {
  SidePlan master;
  std::optional<SidePlan> slave;
  std::optional<std::int64_t> first_difference_offset;
};

// `placements` holds the master's messages followed by kSlaveAheadExtraMessages more.
// Throws SampleStoreUsageError when the stream is too short for the scenario.
ScenarioPlan plan_scenario(Scenario scenario, const std::vector<Placement>& placements,
                           std::uint64_t master_messages, std::uint64_t file_size_bytes);

}  // namespace rmq::tools
