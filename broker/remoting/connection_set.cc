#include "broker/remoting/connection_set.h"

#include <spdlog/spdlog.h>

namespace rmq::remoting {

bool ConnectionSet::add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex_);
  if (closing_) return false;
  connections_.emplace(connection->id(), connection);
  return true;
}

void ConnectionSet::on_closed(const std::shared_ptr<Connection>& connection) {
  {
    std::lock_guard lock(mutex_);
    connections_.erase(connection->id());
  }
  if (!closed_callback_) return;
  try {
    closed_callback_(connection);
  } catch (const std::exception& e) {
    spdlog::error("remoting: connection-closed callback for {} threw: {}", connection->peer_address(), e.what());
  }
}

std::vector<std::shared_ptr<Connection>> ConnectionSet::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Connection>> result;
  result.reserve(connections_.size());
  for (const auto& [id, connection] : connections_) result.push_back(connection);
  return result;
}

std::size_t ConnectionSet::size() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void ConnectionSet::close_all() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (const auto& [id, connection] : connections_) open.push_back(connection);
  }
  for (const auto& connection : open) connection->close();
}

}  // namespace rmq::remoting
