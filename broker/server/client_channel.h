// A client's connection as the broker's client tables keep it (4.9.x ClientChannelInfo): the client id it
// announced in HEART_BEAT, the connection it came on, and when it last heartbeated. The connection is held
// weakly: the remoting layer owns it, and a closed connection is removed through on_connection_closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "broker/remoting/connection.h"

namespace rmq::server {

struct ClientChannel {
  std::string client_id;
  std::uint64_t connection_id = 0;
  std::weak_ptr<remoting::Connection> connection;
  std::string language;
  std::int32_t version = 0;
  std::int64_t last_update_ms = 0;
};

}  // namespace rmq::server
