// How rmq-bench prints its figures: a few human-readable lines, then one `RESULT <mode> key=value ...` line
// that scripts (tools/bench-broker.sh) read without parsing the prose. Milliseconds with three decimals.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tools/bench/latency_histogram.h"

namespace rmq::bench {

// "1.234"
std::string format_ms(std::uint64_t value_us);
// "p50 1.234 p99 5.678 p99.9 9.012 max 12.345 (ms, N samples)"
std::string format_percentiles(const LatencyHistogram& histogram);
// "p50_ms=1.234 p99_ms=5.678 p999_ms=9.012 max_ms=12.345"
std::string result_percentiles(const LatencyHistogram& histogram);
// "code 17: 3, timeout: 1" or "none"
std::string format_errors(const std::map<std::string, std::uint64_t>& errors);
// "%.1f"
std::string format_fixed(double value, int decimals);

}  // namespace rmq::bench
