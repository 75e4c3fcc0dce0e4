// The core's own small pseudo-random generator (SplitMix64).
//
// The election timeout is randomized so that split votes resolve, but the sequence must be reproducible from
// the seed the runtime passes in: the simulator replays a failing run bit for bit from one number. std::
// distributions are implementation-defined, so the core does its own range reduction.
#pragma once

#include <cstdint>

namespace rmq::raft {

class Rand {
 public:
  explicit Rand(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n must be > 0. The modulo bias is below n / 2^64: irrelevant for timeouts.
  std::uint64_t uniform(std::uint64_t n) { return next() % n; }

  // True with probability p (0 <= p <= 1).
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  std::uint64_t state_;
};

}  // namespace rmq::raft
