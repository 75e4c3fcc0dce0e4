// The properties string of a commitlog record (storage.md 1.5): name 0x01 value 0x02, for every pair.
//
// It is where tags, keys, the client's unique id and all retry/delay/transaction bookkeeping live, so the
// consume queue (tags hash), the index (keys) and the message id a client sees all depend on reading it the
// way the Java broker does. The reader copies MessageDecoder.string2messageProperties quirk for quirk: split
// on 0x02; drop a segment shorter than 3 bytes; drop a segment whose first 0x01 is at its start or at/after
// its last byte (so an empty key or an empty value disappears); key before the first 0x01, value after it
// (a later 0x01 belongs to the value). A key seen twice keeps its last value, as a Java HashMap put does.
//
// The writer (messageProperties2String) ends every pair with 0x02, the last one too. Java iterates a
// HashMap, so pair order is not meaningful; we write pairs in the order given.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::store {

inline constexpr char kNameValueSeparator = '\x01';  // MessageDecoder.NAME_VALUE_SEPARATOR
inline constexpr char kPropertySeparator = '\x02';   // MessageDecoder.PROPERTY_SEPARATOR
inline constexpr char kKeySeparator = ' ';           // MessageConst.KEY_SEPARATOR, between KEYS tokens

// Key names (common/message/MessageConst.java).
namespace property {
inline constexpr std::string_view kKeys = "KEYS";
inline constexpr std::string_view kTags = "TAGS";
inline constexpr std::string_view kUniqKey = "UNIQ_KEY";
inline constexpr std::string_view kWaitStoreMsgOk = "WAIT";
inline constexpr std::string_view kDelayTimeLevel = "DELAY";
inline constexpr std::string_view kRealTopic = "REAL_TOPIC";
inline constexpr std::string_view kRealQueueId = "REAL_QID";
inline constexpr std::string_view kRetryTopic = "RETRY_TOPIC";
inline constexpr std::string_view kTransactionPrepared = "TRAN_MSG";
inline constexpr std::string_view kProducerGroup = "PGROUP";
inline constexpr std::string_view kTransactionId = "__transactionId__";
inline constexpr std::string_view kTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET";
inline constexpr std::string_view kTransactionCheckTimes = "TRANSACTION_CHECK_TIMES";
inline constexpr std::string_view kCheckImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr std::string_view kMinOffset = "MIN_OFFSET";
inline constexpr std::string_view kMaxOffset = "MAX_OFFSET";
inline constexpr std::string_view kReconsumeTime = "RECONSUME_TIME";
inline constexpr std::string_view kMaxReconsumeTimes = "MAX_RECONSUME_TIMES";
inline constexpr std::string_view kConsumeStartTime = "CONSUME_START_TIME";
inline constexpr std::string_view kOriginMessageId = "ORIGIN_MESSAGE_ID";
inline constexpr std::string_view kInnerMultiDispatch = "INNER_MULTI_DISPATCH";
inline constexpr std::string_view kInnerMultiQueueOffset = "INNER_MULTI_QUEUE_OFFSET";
inline constexpr std::string_view kDupInfo = "DUP_INFO";
inline constexpr std::string_view kInnerNum = "INNER_NUM";
inline constexpr std::string_view kInnerBase = "INNER_BASE";
inline constexpr std::string_view kTimerDeliverMs = "TIMER_DELIVER_MS";
inline constexpr std::string_view kTimerDelaySec = "TIMER_DELAY_SEC";
inline constexpr std::string_view kTimerDelayMs = "TIMER_DELAY_MS";
inline constexpr std::string_view kCrc32 = "__CRC32#";
inline constexpr std::string_view kShardingKey = "__SHARDINGKEY";
inline constexpr std::string_view kTraceSwitch = "TRACE_ON";
inline constexpr std::string_view kMessageRegion = "MSG_REGION";
inline constexpr std::string_view kCluster = "CLUSTER";
inline constexpr std::string_view kMessageType = "MSG_TYPE";
inline constexpr std::string_view kReplyToClient = "REPLY_TO_CLIENT";
inline constexpr std::string_view kCorrelationId = "CORRELATION_ID";
inline constexpr std::string_view kMessageTtl = "TTL";
inline constexpr std::string_view kPopCheckpoint = "POP_CK";
inline constexpr std::string_view kFirstPopTime = "1ST_POP_TIME";
inline constexpr std::string_view kDlqOriginTopic = "DLQ_ORIGIN_TOPIC";
inline constexpr std::string_view kDlqOriginMessageId = "DLQ_ORIGIN_MESSAGE_ID";
// Properties with this prefix live only in memory and are never written to disk.
inline constexpr std::string_view kTransientPrefix = "__RMQ.TRANSIENT.";
}  // namespace property

using Property = std::pair<std::string, std::string>;
using PropertyList = std::vector<Property>;

// messageProperties2String: name 0x01 value 0x02 for every pair, in order. An empty value is written (the
// reader will drop it, as Java's does). Throws std::invalid_argument for a name that contains 0x01 or 0x02
// or a value that contains 0x02: those could not be read back as the same pair.
std::string format_properties(const PropertyList& properties);

// string2messageProperties: the pairs the Java reader keeps, in the order they appear (a repeated key
// appears more than once; property_value() gives the one Java ends up with).
PropertyList parse_properties(std::string_view text);

// The value Java's map holds for `key` after parsing `text` (the last kept pair with that key), or nullopt.
std::optional<std::string_view> property_value(std::string_view text, std::string_view key);

}  // namespace rmq::store
