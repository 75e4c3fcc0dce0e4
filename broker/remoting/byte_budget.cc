#include "broker/remoting/byte_budget.h"

#include <cassert>

namespace rmq::remoting {

bool ByteBudget::try_acquire(std::uint64_t bytes) {
  std::uint64_t used = used_bytes_.load();
  do {
    if (bytes > cap_bytes_ || used > cap_bytes_ - bytes) return false;
  } while (!used_bytes_.compare_exchange_weak(used, used + bytes));
  return true;
}

void ByteBudget::release(std::uint64_t bytes) {
  [[maybe_unused]] const std::uint64_t before = used_bytes_.fetch_sub(bytes);
  assert(before >= bytes);
}

}  // namespace rmq::remoting
