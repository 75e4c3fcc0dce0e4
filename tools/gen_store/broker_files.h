// The small files of a store root besides the logs (storage.md 2.5, 2.6, 4) and the broker.conf an operator
// would start that broker with: what makes a generated directory look like a cleanly stopped legacy
// Master-Slave broker (no `abort` file, a `lock` file left behind, a 4096-byte `checkpoint`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace rmq::tools {

enum class BrokerRole { kMaster, kSlave };

// broker.conf (Java properties): DefaultCluster / broker-a, brokerId 0 and ASYNC_MASTER on port 10911 for
// the master, brokerId 1 and SLAVE on port 10921 for the slave, store paths under `store_root` (absolute).
std::string broker_conf_text(const std::filesystem::path& store_root, BrokerRole role,
                             std::uint64_t commitlog_file_size_bytes);

// Writes `checkpoint`: physicMsgTimestamp and logicsMsgTimestamp = the store time of the last record,
// indexMsgTimestamp 0 (no index file flushed), the rest zero; 4096 bytes.
void write_checkpoint(const std::filesystem::path& store_root, std::int64_t last_store_timestamp_ms);

// Writes `lock` with the 4 ASCII bytes "lock", as a broker that ran and stopped leaves it.
void write_lock_file(const std::filesystem::path& store_root);

}  // namespace rmq::tools
