// Request and response codes of the RocketMQ 4.x remoting protocol (remoting.md 1.5, 3.1, 4.1).
//
// The values are the wire values of 4.9.x `RequestCode`, `ResponseCode` and `RemotingSysResponseCode`; a
// code travels in the `code` header field of a request (what to do) and of a response (how it went). They
// are plain int32 constants rather than enums because both directions carry codes that a peer may not know:
// an unknown request code is answered with REQUEST_CODE_NOT_SUPPORTED, an unknown response code is passed
// to the caller untouched.
#pragma once

#include <cstdint>

namespace rmq::remoting {

// `version` that our commands carry: MQVersion.Version.V4_9_8. The Java client records the broker's version
// from HEART_BEAT responses and refuses SQL92 filtering on old brokers, so it must look modern (remoting.md 1.3).
inline constexpr std::int32_t kCurrentVersion = 409;
// Version ordinals the name server and broker compare against (remoting.md 1.3).
inline constexpr std::int32_t kVersionV3_0_11 = 37;   // senders >= this use RegisterBrokerBody
inline constexpr std::int32_t kVersionV3_4_9 = 121;   // what ali-ons sends; maxReconsumeTimes honoured
inline constexpr std::int32_t kVersionV4_9_4 = 401;   // standard JSON route bodies from here on

namespace request_code {
// Broker: produce and consume.
inline constexpr std::int32_t kSendMessage = 10;
inline constexpr std::int32_t kPullMessage = 11;
inline constexpr std::int32_t kQueryMessage = 12;
inline constexpr std::int32_t kQueryBrokerOffset = 13;
inline constexpr std::int32_t kQueryConsumerOffset = 14;
inline constexpr std::int32_t kUpdateConsumerOffset = 15;
inline constexpr std::int32_t kUpdateAndCreateTopic = 17;
inline constexpr std::int32_t kGetAllTopicConfig = 21;
inline constexpr std::int32_t kGetTopicConfigList = 22;
inline constexpr std::int32_t kGetTopicNameList = 23;
inline constexpr std::int32_t kUpdateBrokerConfig = 25;
inline constexpr std::int32_t kGetBrokerConfig = 26;
inline constexpr std::int32_t kTriggerDeleteFiles = 27;
inline constexpr std::int32_t kGetBrokerRuntimeInfo = 28;
inline constexpr std::int32_t kSearchOffsetByTimestamp = 29;
inline constexpr std::int32_t kGetMaxOffset = 30;
inline constexpr std::int32_t kGetMinOffset = 31;
inline constexpr std::int32_t kGetEarliestMsgStoretime = 32;
inline constexpr std::int32_t kViewMessageById = 33;
inline constexpr std::int32_t kHeartBeat = 34;
inline constexpr std::int32_t kUnregisterClient = 35;
inline constexpr std::int32_t kConsumerSendMsgBack = 36;
inline constexpr std::int32_t kEndTransaction = 37;
inline constexpr std::int32_t kGetConsumerListByGroup = 38;
inline constexpr std::int32_t kCheckTransactionState = 39;     // broker -> producer
inline constexpr std::int32_t kNotifyConsumerIdsChanged = 40;  // broker -> consumer, one-way
inline constexpr std::int32_t kLockBatchMq = 41;
inline constexpr std::int32_t kUnlockBatchMq = 42;
inline constexpr std::int32_t kGetAllConsumerOffset = 43;
inline constexpr std::int32_t kGetAllDelayOffset = 45;
inline constexpr std::int32_t kCheckClientConfig = 46;
// Name server.
inline constexpr std::int32_t kPutKvConfig = 100;
inline constexpr std::int32_t kGetKvConfig = 101;
inline constexpr std::int32_t kDeleteKvConfig = 102;
inline constexpr std::int32_t kRegisterBroker = 103;
inline constexpr std::int32_t kUnregisterBroker = 104;
inline constexpr std::int32_t kGetRouteinfoByTopic = 105;
inline constexpr std::int32_t kGetBrokerClusterInfo = 106;
// Admin.
inline constexpr std::int32_t kUpdateAndCreateSubscriptionGroup = 200;
inline constexpr std::int32_t kGetAllSubscriptionGroupConfig = 201;
inline constexpr std::int32_t kGetTopicStatsInfo = 202;
inline constexpr std::int32_t kGetConsumerConnectionList = 203;
inline constexpr std::int32_t kGetProducerConnectionList = 204;
inline constexpr std::int32_t kWipeWritePermOfBroker = 205;
inline constexpr std::int32_t kGetAllTopicListFromNameserver = 206;
inline constexpr std::int32_t kDeleteSubscriptionGroup = 207;
inline constexpr std::int32_t kGetConsumeStats = 208;
inline constexpr std::int32_t kGetKvlistByNamespace = 219;
inline constexpr std::int32_t kResetConsumerClientOffset = 220;     // broker -> client
inline constexpr std::int32_t kGetConsumerStatusFromClient = 221;   // broker -> client
inline constexpr std::int32_t kGetConsumerRunningInfo = 307;        // broker -> client
inline constexpr std::int32_t kConsumeMessageDirectly = 309;        // broker -> client
inline constexpr std::int32_t kSendMessageV2 = 310;
inline constexpr std::int32_t kSendBatchMessage = 320;
inline constexpr std::int32_t kQueryDataVersion = 322;
inline constexpr std::int32_t kAddWritePermOfBroker = 327;
// Ours, not upstream's (4.x has no leader-transfer request, dledger-group.md 5): asks a DLedger leader to hand
// leadership to the follower named by ext field "targetId" once it is caught up (rmqctl stop of a leader).
// Answered 0 when the transfer was started, 1 with a remark otherwise.
inline constexpr std::int32_t kDLedgerTransferLeadership = 52200;
}  // namespace request_code

namespace response_code {
// RemotingSysResponseCode.
inline constexpr std::int32_t kSuccess = 0;
inline constexpr std::int32_t kSystemError = 1;
inline constexpr std::int32_t kSystemBusy = 2;
inline constexpr std::int32_t kRequestCodeNotSupported = 3;
inline constexpr std::int32_t kTransactionFailed = 4;
// ResponseCode.
inline constexpr std::int32_t kFlushDiskTimeout = 10;
inline constexpr std::int32_t kSlaveNotAvailable = 11;
inline constexpr std::int32_t kFlushSlaveTimeout = 12;
inline constexpr std::int32_t kMessageIllegal = 13;
inline constexpr std::int32_t kServiceNotAvailable = 14;
inline constexpr std::int32_t kVersionNotSupported = 15;
inline constexpr std::int32_t kNoPermission = 16;
inline constexpr std::int32_t kTopicNotExist = 17;
inline constexpr std::int32_t kTopicExistAlready = 18;
inline constexpr std::int32_t kPullNotFound = 19;
inline constexpr std::int32_t kPullRetryImmediately = 20;
inline constexpr std::int32_t kPullOffsetMoved = 21;
inline constexpr std::int32_t kQueryNotFound = 22;
inline constexpr std::int32_t kSubscriptionParseFailed = 23;
inline constexpr std::int32_t kSubscriptionNotExist = 24;
inline constexpr std::int32_t kSubscriptionNotLatest = 25;
inline constexpr std::int32_t kSubscriptionGroupNotExist = 26;
inline constexpr std::int32_t kFilterDataNotExist = 27;
inline constexpr std::int32_t kFilterDataNotLatest = 28;
inline constexpr std::int32_t kInvalidParameter = 29;  // 5.x
inline constexpr std::int32_t kTransactionShouldCommit = 200;
inline constexpr std::int32_t kTransactionShouldRollback = 201;
inline constexpr std::int32_t kTransactionStateUnknow = 202;
inline constexpr std::int32_t kNoBuyerId = 204;
inline constexpr std::int32_t kNotInCurrentUnit = 205;
inline constexpr std::int32_t kConsumerNotOnline = 206;
inline constexpr std::int32_t kConsumeMsgTimeout = 207;
inline constexpr std::int32_t kNoMessage = 208;      // 5.x pop
inline constexpr std::int32_t kFlowControl = 215;    // 5.x
inline constexpr std::int32_t kNotLeaderForQueue = 501;  // 5.x static topics
}  // namespace response_code

}  // namespace rmq::remoting
