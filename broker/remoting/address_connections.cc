#include "broker/remoting/address_connections.h"

#include <cassert>

namespace rmq::remoting {

bool AddressConnections::try_acquire(const std::string& address, std::int64_t limit) {
  std::lock_guard lock(mu_);
  std::int64_t& n = counts_[address];
  if (n >= limit) {
    if (n == 0) counts_.erase(address);
    return false;
  }
  ++n;
  return true;
}

void AddressConnections::release(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(address);
  assert(it != counts_.end() && it->second > 0);
  if (it == counts_.end()) return;
  if (--it->second <= 0) counts_.erase(it);
}

std::int64_t AddressConnections::count(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(address);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace rmq::remoting
