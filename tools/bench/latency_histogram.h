// A latency histogram with bounded relative error, for the percentiles rmq-bench prints (p50, p99, p99.9).
//
// Keeping every sample would cost memory proportional to the run; sorting them at the end would cost time.
// Instead values (microseconds) fall into log-linear buckets: exact below 128, then 64 buckets per power of
// two, so a reported percentile is within 1/64 (1.6 %) above the true sample. Fixed size (~30 KiB), O(1)
// record. Not thread-safe: callers that record from several threads hold their own lock or merge().
#pragma once

#include <array>
#include <cstdint>

namespace rmq::bench {

class LatencyHistogram {
 public:
  void record(std::uint64_t value_us);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max_us() const { return max_us_; }
  double mean_us() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_us_) / static_cast<double>(count_); }
  // The smallest bucket bound at or above `fraction` (0..1) of the samples, capped at the largest sample; 0
  // when empty.
  std::uint64_t percentile_us(double fraction) const;

  static constexpr std::size_t kSubBuckets = 64;
  static constexpr std::size_t kBucketCount = 2 * kSubBuckets + 57 * kSubBuckets;

 private:
  static std::size_t index_of(std::uint64_t value_us);
  static std::uint64_t upper_bound_of(std::size_t index);

  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_us_ = 0;
  std::uint64_t sum_us_ = 0;
};

}  // namespace rmq::bench
