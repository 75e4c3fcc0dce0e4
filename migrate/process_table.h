// Moved to ctl/process_table.h (finding and stopping broker processes is ctl/'s job; migrate's stop phase
// uses it). These names keep migrate's code and tests unchanged.
#pragma once

#include "ctl/process_table.h"

namespace rmq::migrate {
using ctl::list_pids;
using ctl::parse_proc_stat;
using ctl::ProcessInfo;
using ctl::read_process;
using ctl::still_running;
}  // namespace rmq::migrate
