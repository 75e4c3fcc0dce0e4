// The SERVICE_NOT_AVAILABLE (14) answer to a send, exactly as 4.9.x SendMessageProcessor words it, with
// DefaultMessageStore.diskUtil()'s three ratios (dledger-group.md 2.3):
//   service not available now. It may be caused by one of the following reasons: the broker's disk is full
//   [CL:  0.42 CQ:  0.42 INDEX:  0.42], messages are put to the slave, message store has been shut down, etc.
// A follower (or a leader still catching up) answers every send with it; clients retry code 14 elsewhere.
#pragma once

#include <string>

#include "broker/server/broker_config.h"

namespace rmq::server {

// UtilAll.getDiskPartitionSpaceUsedPercent: (total - free) / total of the file system holding `path`
// (free counts reserved blocks too, as File.getFreeSpace does); -1 when the path does not exist or the
// figure cannot be had.
double disk_partition_used_ratio(const std::string& path);

// "CL: %5.2f CQ: %5.2f INDEX: %5.2f" for the commitlog, consumequeue and index directories of `config`.
std::string disk_util_text(const BrokerConfig& config);

std::string service_not_available_remark(const BrokerConfig& config);

}  // namespace rmq::server
