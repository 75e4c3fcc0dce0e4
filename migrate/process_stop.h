// Moved to ctl/process_stop.h; these names keep migrate's code and tests unchanged.
#pragma once

#include "ctl/process_stop.h"
#include "migrate/process_table.h"

namespace rmq::migrate {
using ctl::StopOutcome;
using ctl::terminate_and_wait;
}  // namespace rmq::migrate
