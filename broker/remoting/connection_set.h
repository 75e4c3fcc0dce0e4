// The open connections of a server or client, and the closed-callback users register.
//
// An owner has to find its connections again for two reasons: to close them all when it stops (so the I/O
// threads run out of work and can be joined), and to tell the application when one goes away (the name
// server drops the brokers registered on it, the broker unregisters its clients). A connection removes
// itself from here when it closes, from its own strand; stop() snapshots and closes the rest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "broker/remoting/connection.h"

namespace rmq::remoting {

using ConnectionCallback = std::function<void(const std::shared_ptr<Connection>&)>;

class ConnectionSet {
 public:
  // Set before the first connection is added; runs on the closing connection's I/O thread.
  void set_closed_callback(ConnectionCallback callback) { closed_callback_ = std::move(callback); }

  std::uint64_t next_id() { return next_id_.fetch_add(1) + 1; }
  // False when the set is already closing: the caller closes the connection instead.
  bool add(const std::shared_ptr<Connection>& connection);
  // The callback a connection runs when it closes: forget it, then tell the user.
  void on_closed(const std::shared_ptr<Connection>& connection);
  std::vector<std::shared_ptr<Connection>> snapshot() const;
  std::size_t size() const;
  // Refuses new connections and closes the open ones (asynchronously, on their strands).
  void close_all();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  bool closing_ = false;
  std::atomic<std::uint64_t> next_id_{0};
  ConnectionCallback closed_callback_;
};

}  // namespace rmq::remoting
