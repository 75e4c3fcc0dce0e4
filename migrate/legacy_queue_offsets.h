// The max offset of every consume queue of a legacy store, read without changing anything (DESIGN rule 5:
// migration never changes its source, so the broker's ConsumeQueue, whose recovery may truncate, is not used).
//
// Layout (storage.md 3): <storePathRootDir>/consumequeue/<topic>/<queueId>/<20-digit byte offset>, 20-byte
// units (commitlog offset int64, size int32, tags code int64, big-endian). A unit is valid while its offset
// is >= 0 and its size > 0; the queue's max offset is the unit index just past the last valid unit of the
// newest file that has one (the same end the broker's recovery finds for an intact queue).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

namespace rmq::migrate {

using QueueKey = std::pair<std::string, std::int32_t>;  // topic, queueId

// Throws std::runtime_error naming the file on an unreadable file or a file name that is not a 20-digit offset.
std::map<QueueKey, std::int64_t> legacy_queue_max_offsets(const std::filesystem::path& store_root);

}  // namespace rmq::migrate
