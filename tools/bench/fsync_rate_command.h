// `rmq-bench fsync-rate`: the disk's serial fsync rate, the ceiling a SYNC_FLUSH broker works against.
//
// Writes 1 KiB at the end of a scratch file and calls fdatasync, one after the other, for --duration seconds;
// prints fsyncs/s and the latency percentiles of each write + fdatasync. Run in the same directory as the
// broker's store, in the same run as the SYNC_FLUSH produce figure, the two can be compared: a broker with
// group commit can exceed this rate in messages/s, one without cannot. The scratch file is removed at the
// end, also after an I/O error (which is reported with the path and errno text, exit 5).
#pragma once

#include <string>

namespace rmq::bench {

struct FsyncRateOptions {
  std::string dir;
  double duration_s = 5;
  std::size_t write_bytes = 1024;
};

int run_fsync_rate(const FsyncRateOptions& options);

}  // namespace rmq::bench
