// Moved to ctl/process_locks.h; these names keep migrate's code and tests unchanged.
#pragma once

#include "ctl/process_locks.h"

namespace rmq::migrate {
using ctl::FileLockEntry;
using ctl::lock_holders;
using ctl::parse_proc_locks;
}  // namespace rmq::migrate
