// Moved to ctl/process_brokers.h; these names keep migrate's code and tests unchanged.
#pragma once

#include "ctl/process_brokers.h"
#include "migrate/process_table.h"

namespace rmq::migrate {
using ctl::broker_config_argument;
using ctl::BrokerTarget;
using ctl::find_brokers;
using ctl::FoundBroker;
using ctl::kBrokerStartupClass;
}  // namespace rmq::migrate
