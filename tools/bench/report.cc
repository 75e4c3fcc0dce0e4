#include "tools/bench/report.h"

#include <cstdio>

namespace rmq::bench {

std::string format_fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string format_ms(std::uint64_t value_us) { return format_fixed(static_cast<double>(value_us) / 1000.0, 3); }

std::string format_percentiles(const LatencyHistogram& histogram) {
  return "p50 " + format_ms(histogram.percentile_us(0.50)) + " p99 " + format_ms(histogram.percentile_us(0.99)) +
         " p99.9 " + format_ms(histogram.percentile_us(0.999)) + " max " + format_ms(histogram.max_us()) + " (ms, " +
         std::to_string(histogram.count()) + " samples)";
}

std::string result_percentiles(const LatencyHistogram& histogram) {
  return "p50_ms=" + format_ms(histogram.percentile_us(0.50)) + " p99_ms=" + format_ms(histogram.percentile_us(0.99)) +
         " p999_ms=" + format_ms(histogram.percentile_us(0.999)) + " max_ms=" + format_ms(histogram.max_us());
}

std::string format_errors(const std::map<std::string, std::uint64_t>& errors) {
  if (errors.empty()) return "none";
  std::string out;
  for (const auto& [what, count] : errors) {
    if (!out.empty()) out += ", ";
    out += what + ": " + std::to_string(count);
  }
  return out;
}

}  // namespace rmq::bench
