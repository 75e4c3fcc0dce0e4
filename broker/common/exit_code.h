// The exit codes every rmqctl command uses (DESIGN.md section 5, documented in man/rmqctl.1).
// Scripts depend on these numbers: never renumber them.
#pragma once

namespace rmq::common {

enum ExitCode : int {
  kExitOk = 0,          // nothing wrong
  kExitProblems = 1,    // problems found: inconsistent, unhealthy, preflight failed
  kExitUsage = 2,       // usage or config error
  kExitCorrupt = 3,     // corruption found
  kExitRefused = 4,     // refused: target not empty, broker still running, different plan
  kExitIo = 5,          // I/O error
};

}  // namespace rmq::common
