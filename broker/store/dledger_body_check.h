// Checks of an entry's body during recovery.
//
// DLedger 0.3.1.2 computes no checksum over an entry (chainCrc and bodyCrc are written as 0 and never
// checked, storage.md 5.2), so its own recovery accepts any body whose header adds up. Across a machine crash
// that is not enough: a torn write can leave a well-formed header over a body that was never written. The
// owner of the store knows what a body must be and can say so here; recovery then stops at the first entry
// whose body fails, exactly as it stops at a bad header.
//
// In RocketMQ every body is one commitlog record (storage.md 6.2), whose BODYCRC covers the message body and
// whose PHYSICALOFFSET is the entry's pos + 48; commitlog_record_body_check() checks both, and that the record
// fills the body exactly (its TOTALSIZE is what its length fields add up to). BODYCRC does not cover topic or
// properties, which come last, so the check also looks at them the way a tear shows: a torn or never-written
// part of an entry reads as zeros (every byte past the write position is a hole or was zeroed), and a write
// that stopped part way (ENOSPC after a short pwrite, a crash) leaves the entry's last bytes zero. So it
// refuses an empty topic, a zero byte in the topic (topics are [%|a-zA-Z0-9_-]), and properties whose last
// byte is zero (messageProperties2String ends every pair with 0x02, storage.md 1.5; a zero elsewhere in the
// properties is legal, values are arbitrary). A tear of zeros from any point of the record to its end is
// caught: in a length field it breaks TOTALSIZE, in the body BODYCRC (when check_crc), in the topic or
// properties these checks. Not caught: a tear inside the properties whose last bytes did reach the disk (a
// machine crash that persisted a later page but not an earlier one), and a body tear with check_crc off.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "broker/common/bytes.h"

namespace rmq::store {

// Returns what is wrong with the body of the entry at `entry_pos`, or nullopt when it is good.
using DLedgerBodyCheck = std::function<std::optional<std::string>(std::int64_t entry_pos, common::ByteSpan body)>;

// The check for RocketMQ bodies; with check_crc (checkCRCOnRecover, default true upstream) BODYCRC is verified.
DLedgerBodyCheck commitlog_record_body_check(bool check_crc);

}  // namespace rmq::store
