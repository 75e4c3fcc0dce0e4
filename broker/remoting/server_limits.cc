#include "broker/remoting/server_limits.h"

#include "broker/remoting/frame_codec.h"

namespace rmq::remoting {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kMaxFrame = static_cast<std::int64_t>(kMaxFrameBytes);

}  // namespace

const std::vector<ServerLimitKey>& server_limit_keys() {
  // The byte totals must hold at least one frame of the largest size, or a legal frame could never be read
  // or answered.
  static const std::vector<ServerLimitKey> keys = {
      {"serverChannelMaxIdleTimeSeconds", 0, 86'400, &ServerLimits::idle_timeout_seconds},
      {"serverMaxConnections", 1, 1'000'000, &ServerLimits::max_connections},
      {"serverMaxConnectionsPerAddress", 1, 1'000'000, &ServerLimits::max_connections_per_address},
      {"serverReadBufferTotalBytes", kMaxFrame, 64 * kGiB, &ServerLimits::read_buffer_total_bytes},
      {"writeBufferHighWaterMark", 4 * kKiB, kGiB, &ServerLimits::write_high_water_bytes},
      {"writeBufferLowWaterMark", 0, kGiB, &ServerLimits::write_low_water_bytes},
      {"serverWriteQueueMaxBytes", 64 * kKiB, 64 * kGiB, &ServerLimits::write_queue_max_bytes},
      {"serverWriteBufferTotalBytes", kMaxFrame, 64 * kGiB, &ServerLimits::write_buffer_total_bytes},
  };
  return keys;
}

const ServerLimitKey* find_server_limit_key(const std::string& key) {
  for (const ServerLimitKey& entry : server_limit_keys()) {
    if (key == entry.key) return &entry;
  }
  return nullptr;
}

std::optional<std::string> check_server_limits(const ServerLimits& limits) {
  for (const ServerLimitKey& entry : server_limit_keys()) {
    const std::int64_t value = limits.*entry.field;
    if (value < entry.min_value || value > entry.max_value) {
      return std::string(entry.key) + ": " + std::to_string(value) + " is out of range [" +
             std::to_string(entry.min_value) + ", " + std::to_string(entry.max_value) + "]";
    }
  }
  if (limits.write_low_water_bytes > limits.write_high_water_bytes) {
    return "writeBufferLowWaterMark: " + std::to_string(limits.write_low_water_bytes) +
           " is above writeBufferHighWaterMark " + std::to_string(limits.write_high_water_bytes);
  }
  if (limits.write_high_water_bytes > limits.write_queue_max_bytes) {
    return "writeBufferHighWaterMark: " + std::to_string(limits.write_high_water_bytes) +
           " is above serverWriteQueueMaxBytes " + std::to_string(limits.write_queue_max_bytes);
  }
  return std::nullopt;
}

}  // namespace rmq::remoting
