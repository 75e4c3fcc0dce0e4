#include "broker/store/message_store.h"

namespace rmq::store {

const char* to_string(PutStatus status) {
  switch (status) {
    case PutStatus::kOk: return "PUT_OK";
    case PutStatus::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case PutStatus::kServiceNotAvailable: return "SERVICE_NOT_AVAILABLE";
    case PutStatus::kMessageIllegal: return "MESSAGE_ILLEGAL";
    case PutStatus::kPropertiesSizeExceeded: return "PROPERTIES_SIZE_EXCEEDED";
    case PutStatus::kOsPageCacheBusy: return "OS_PAGECACHE_BUSY";
    case PutStatus::kUnknownError: return "UNKNOWN_ERROR";
  }
  return "UNKNOWN_ERROR";
}

const char* to_string(GetStatus status) {
  switch (status) {
    case GetStatus::kFound: return "FOUND";
    case GetStatus::kNoMatchedMessage: return "NO_MATCHED_MESSAGE";
    case GetStatus::kMessageWasRemoving: return "MESSAGE_WAS_REMOVING";
    case GetStatus::kOffsetFoundNull: return "OFFSET_FOUND_NULL";
    case GetStatus::kOffsetOverflowBadly: return "OFFSET_OVERFLOW_BADLY";
    case GetStatus::kOffsetOverflowOne: return "OFFSET_OVERFLOW_ONE";
    case GetStatus::kOffsetTooSmall: return "OFFSET_TOO_SMALL";
    case GetStatus::kNoMatchedLogicQueue: return "NO_MATCHED_LOGIC_QUEUE";
    case GetStatus::kNoMessageInQueue: return "NO_MESSAGE_IN_QUEUE";
  }
  return "UNKNOWN";
}

}  // namespace rmq::store
