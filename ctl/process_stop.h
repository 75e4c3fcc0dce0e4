// Stops processes the way `mqshutdown` does, and then waits, which `mqshutdown` does not.
//
// One SIGTERM each: the JVM's shutdown hook then runs BrokerController.shutdown(), which flushes the
// commitlog, the consume queues and the checkpoint, persists the config JSON and deletes `abort`
// (storage.md 9). SIGKILL is never sent: a killed broker leaves `abort` behind and unflushed data, which is
// exactly the state a migration must not copy. A process that is still running when the timeout expires is
// reported, and the caller refuses to go on.
//
// A pid is signalled only while it still belongs to the recorded process (same start time), so a pid reused
// by an unrelated process after the broker exited is never touched.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ctl/process_table.h"

namespace rmq::ctl {

struct StopOutcome {
  std::vector<ProcessInfo> exited;
  std::vector<ProcessInfo> still_running;  // did not exit within the timeout
  std::vector<std::string> errors;         // "pid 12: kill: Operation not permitted"; such pids are still_running
  double waited_seconds = 0;
};

// SIGTERM to each process, then polls every poll_interval_ms until all have exited or timeout_ms passes.
StopOutcome terminate_and_wait(const std::filesystem::path& proc_root, const std::vector<ProcessInfo>& processes,
                               int timeout_ms, int poll_interval_ms = 100);

}  // namespace rmq::ctl
