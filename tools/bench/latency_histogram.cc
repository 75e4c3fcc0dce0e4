#include "tools/bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rmq::bench {

// Values below 2 * kSubBuckets map to themselves. Above, with msb the index of the top bit (>= 7), the
// value shifted right by msb - 6 lies in [64, 127]: that is the sub-bucket inside the power of two.
std::size_t LatencyHistogram::index_of(std::uint64_t value_us) {
  if (value_us < 2 * kSubBuckets) return static_cast<std::size_t>(value_us);
  const int msb = 63 - std::countl_zero(value_us);
  const int shift = msb - 6;
  const std::uint64_t top = value_us >> shift;  // 64..127
  return 2 * kSubBuckets + static_cast<std::size_t>(shift - 1) * kSubBuckets + static_cast<std::size_t>(top - 64);
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t index) {
  if (index < 2 * kSubBuckets) return index;
  const std::size_t rest = index - 2 * kSubBuckets;
  const int shift = static_cast<int>(rest / kSubBuckets) + 1;
  const std::uint64_t top = 64 + rest % kSubBuckets;
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t value_us) {
  const std::size_t index = std::min(index_of(value_us), kBucketCount - 1);
  ++counts_[index];
  ++count_;
  sum_us_ += value_us;
  max_us_ = std::max(max_us_, value_us);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_us_ += other.sum_us_;
  max_us_ = std::max(max_us_, other.max_us_);
}

std::uint64_t LatencyHistogram::percentile_us(double fraction) const {
  if (count_ == 0) return 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const auto wanted = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= wanted) return std::min(upper_bound_of(i), max_us_);
  }
  return max_us_;
}

}  // namespace rmq::bench
