// The one rule for walking a commitlog (review item 6): what the record at a position means for a walk that
// reads the log the way upstream recovery does (CommitLog.recoverNormally / checkMessageAndReturnSize,
// storage.md 1.8, 2.3). The broker's recovery (commit_log.cc) and `rmqctl check-commitlog`
// (commitlog_scan.cc) both step with walk_step(), so they cannot disagree on where a log ends.
//
//   a valid record                      -> kRecord: advance by its TOTALSIZE
//   the blank magic at +4 (upstream rolls on the magic alone, whatever length the blank declares)
//                                       -> kRollToNextFile
//   zeros (TOTALSIZE and magic 0)       -> kEndOfData: the normal end of the active file
//   anything else                       -> kStop: where recovery stops and truncates (torn, bad magic, size or
//                                          CRC); `decode` says which
#pragma once

#include "broker/common/bytes.h"
#include "broker/store/message_record.h"

namespace rmq::store {

enum class WalkStep { kRecord, kRollToNextFile, kEndOfData, kStop };

struct WalkResult {
  WalkStep step = WalkStep::kStop;
  DecodeResult decode;  // the decoder's verdict on the bytes (kBlank/kBadSize for a blank magic)
};

// `rest` runs from the position to the end of the file's data. `out` may be null.
inline WalkResult walk_step(common::ByteSpan rest, bool check_crc, MessageRecord* out) {
  WalkResult w;
  w.decode = decode_record(rest, check_crc, out);
  if (w.decode.status == DecodeStatus::kOk) {
    w.step = WalkStep::kRecord;
  } else if (w.decode.status == DecodeStatus::kBlank ||
             (rest.size() >= kBlankRecordSize && common::load_i32_be(rest.data() + 4) == kBlankMagic)) {
    w.step = WalkStep::kRollToNextFile;
  } else if (w.decode.status == DecodeStatus::kEmpty) {
    w.step = WalkStep::kEndOfData;
  } else {
    w.step = WalkStep::kStop;
  }
  return w;
}

}  // namespace rmq::store
