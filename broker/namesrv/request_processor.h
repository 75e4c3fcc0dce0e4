// The name server's request processing (4.9.x DefaultRequestProcessor, remoting.md 3.1): one request in, one
// response out, with no sockets involved, so every code is unit-tested directly. NameServer wires process()
// into the RemotingServer and calls on_connection_closed() / expire() from the connection and timer events.
//
// Served: 100/101/102 KV config, 103 REGISTER_BROKER, 104 UNREGISTER_BROKER, 105 GET_ROUTEINFO_BY_TOPIC,
// 106 GET_BROKER_CLUSTER_INFO, 205/327 WIPE/ADD_WRITE_PERM_OF_BROKER, 206 GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
// 219 GET_KVLIST_BY_NAMESPACE, 322 QUERY_DATA_VERSION. Any other code gets REQUEST_CODE_NOT_SUPPORTED.
// A missing or malformed header field, or a body that does not decode, is answered SYSTEM_ERROR with a
// one-line remark naming it, as Java answers a processor exception; nothing closes the connection.
//
// Thread-safe: one mutex guards the route table and the KV config. Calls are short (no I/O except the KV
// file rewrite on a KV change, which admin tools send rarely).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "broker/namesrv/kv_config.h"
#include "broker/namesrv/route_table.h"
#include "broker/remoting/remoting_command.h"

namespace rmq::namesrv {

class RequestProcessor {
 public:
  RequestProcessor(Clock clock, KvConfig kv_config);

  remoting::RemotingCommand process(const remoting::RemotingCommand& request, std::uint64_t connection_id);

  // The connection closed: drop every broker address registered on it. Returns the dropped addresses.
  std::vector<std::string> on_connection_closed(std::uint64_t connection_id);
  // Drops brokers silent for longer than expire_after_ms; the caller closes their connections.
  std::vector<ExpiredBroker> expire(std::int64_t expire_after_ms);

  static const std::vector<std::int32_t>& served_codes();

 private:
  remoting::RemotingCommand register_broker(const remoting::RemotingCommand& request, std::uint64_t connection_id);
  remoting::RemotingCommand unregister_broker(const remoting::RemotingCommand& request);
  remoting::RemotingCommand route_by_topic(const remoting::RemotingCommand& request);
  remoting::RemotingCommand cluster_info(const remoting::RemotingCommand& request);
  remoting::RemotingCommand topic_list(const remoting::RemotingCommand& request);
  remoting::RemotingCommand query_data_version(const remoting::RemotingCommand& request);
  remoting::RemotingCommand write_perm(const remoting::RemotingCommand& request, bool add);
  remoting::RemotingCommand put_kv(const remoting::RemotingCommand& request);
  remoting::RemotingCommand get_kv(const remoting::RemotingCommand& request);
  remoting::RemotingCommand delete_kv(const remoting::RemotingCommand& request);
  remoting::RemotingCommand kv_list(const remoting::RemotingCommand& request);

  std::mutex mutex_;
  RouteTable routes_;
  KvConfig kv_config_;
};

}  // namespace rmq::namesrv
