// suggestWhichBrokerId of a PULL_MESSAGE answer, as 4.9.x PullMessageProcessor decides it (remoting.md 4.3
// step 6, dledger-group.md 2.3). Consumers pull from the brokerId the last answer suggested.
//
// - slaveReadEnable=false (the default): always 0, on the master and on a slave (in DLedger mode: the leader
//   and the followers) alike; a follower still serves the pull itself.
// - slaveReadEnable=true: the group's whichBrokerWhenConsumeSlowly when the consumer is "slow", else the
//   group's brokerId. Slow is DefaultMessageStore.getMessage's isSuggestPullingFromSlave: the bytes between the
//   last pulled record and the end of the commitlog exceed accessMessageInMemoryMaxRatio percent of the RAM.
#pragma once

#include <cstdint>
#include <optional>

#include "broker/common/bytes.h"
#include "broker/server/subscription_group_manager.h"

namespace rmq::server {

std::int64_t suggest_which_broker_id(bool slave_read_enable, bool suggest_pulling_from_slave,
                                     const SubscriptionGroupConfig& group);

// max_physical_offset - last_pulled_physical_offset > total_memory_bytes * ratio_percent / 100.
bool suggest_pulling_from_slave(std::int64_t max_physical_offset, std::int64_t last_pulled_physical_offset,
                                std::int64_t total_memory_bytes, std::int32_t ratio_percent);

// The PHYSICALOFFSET of the last stored record in a PULL body (records back to back); nullopt when the body
// does not hold a whole record where its sizes say.
std::optional<std::int64_t> last_record_physical_offset(common::ByteSpan records);

// The machine's RAM in bytes (sysconf), 0 if unknown.
std::int64_t total_physical_memory_bytes();

}  // namespace rmq::server
