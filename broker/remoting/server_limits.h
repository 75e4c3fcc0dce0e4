// The limits that keep one remoting server (the broker's, the name server's) alive against its own clients:
// how many connections, how long an idle one may stay, and how many bytes all connections together may hold
// in read buffers and write queues.
//
// Why: without them one unauthenticated client could take the machine's memory (issue 9: 400 connections
// announcing 16 MiB frames took 6.7 GB; a client that never reads its pull replies took 9.6 GB), or hold
// sockets forever. Upstream has only the idle timeout (NettyServerConfig.serverChannelMaxIdleTimeSeconds,
// 120 s) and Netty's write-buffer water marks; the byte totals and the connection cap are ours, with
// camelCase keys in the same style. The keys are read from broker.conf and the name server's config by the
// same table (server_limit_keys), so both accept the same names and ranges.
//
// What each limit does (connection.h has the details):
//   serverChannelMaxIdleTimeSeconds  close a connection with no bytes read and no write progress for this long
//                                    (0: never)
//   serverMaxConnections             connections accepted beyond this many are closed at once
//   serverMaxConnectionsPerAddress   connections from one source IP beyond this many are closed at once
//                                    (address_connections.h), so that one client cannot take every slot
//   serverReadBufferTotalBytes       bytes all connections may hold in read buffers beyond their first 16 KiB;
//                                    a connection whose partial frame would exceed it is closed
//   writeBufferHighWaterMark         a connection with this many reply bytes not yet taken by its peer stops
//                                    being read (backpressure) ...
//   writeBufferLowWaterMark          ... until its queue is back at or below this
//   serverWriteQueueMaxBytes         a connection already past the low water mark whose queue would exceed
//                                    this is closed (a handler answering from its own pool, like pulls, can
//                                    queue replies to requests read before the high water mark was reached)
//   serverWriteBufferTotalBytes      reply bytes all connections may hold queued; past it, a connection that is
//                                    already behind (queue over the low water mark) is closed
// Per connection a read buffer never holds more than one frame (16 MiB, the frame limit) plus 16 KiB.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rmq::remoting {

struct ServerLimits {
  std::int64_t idle_timeout_seconds = 120;
  std::int64_t max_connections = 10'000;
  std::int64_t read_buffer_total_bytes = 256LL * 1024 * 1024;
  std::int64_t write_high_water_bytes = 1024LL * 1024;
  std::int64_t write_low_water_bytes = 256LL * 1024;
  std::int64_t write_queue_max_bytes = 32LL * 1024 * 1024;
  std::int64_t write_buffer_total_bytes = 256LL * 1024 * 1024;
  std::int64_t max_connections_per_address = 1'000;  // last: keeps positional initializers of the above valid
};

// One configurable limit: its key in broker.conf / namesrv.conf, its accepted range, and its field.
struct ServerLimitKey {
  const char* key;
  std::int64_t min_value;
  std::int64_t max_value;
  std::int64_t ServerLimits::*field;
};

// Every limit key, in the order -p prints them.
const std::vector<ServerLimitKey>& server_limit_keys();
// The entry for `key`, or null when `key` is not a limit key.
const ServerLimitKey* find_server_limit_key(const std::string& key);
// What the ranges cannot say alone: low water mark <= high water mark <= queue maximum. A one-line reason, or
// nullopt when the limits are consistent.
std::optional<std::string> check_server_limits(const ServerLimits& limits);

}  // namespace rmq::remoting
