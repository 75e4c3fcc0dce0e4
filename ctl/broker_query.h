// Asking running brokers and name servers how they are, over the RocketMQ remoting protocol: the same
// requests `mqadmin brokerStatus` and `mqadmin clusterList` send (GET_BROKER_RUNTIME_INFO 28,
// GET_BROKER_CLUSTER_INFO 106; spec/remoting.md, dledger-group.md 5), so rmqctl sees exactly what upstream
// tooling sees, and works against any 4.x-compatible broker.
//
// Each query opens its own connection with its own timeout and closes it; a node that does not answer is an
// error string, never an exception, because "node unreachable" is a status, not a failure of rmqctl.
//
// ACL (aclEnable=true on a broker): the requests to brokers (28, 30, 52200) are signed (credentials.h) with the
// credentials given for that broker's address, else with the default ones, else not at all. The name server's
// GET_BROKER_CLUSTER_INFO stays unsigned: its reads are open under ACL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "ctl/credentials.h"

namespace rmq::ctl {

// The KVTable of GET_BROKER_RUNTIME_INFO: key -> value, all strings as upstream sends them.
struct RuntimeInfo {
  std::map<std::string, std::string> table;
  std::optional<std::string> get(const std::string& key) const;
  std::optional<std::int64_t> get_int(const std::string& key) const;  // nullopt when absent or not a number
};

// GET_BROKER_CLUSTER_INFO: brokerName -> (brokerId -> address), and cluster -> brokerNames.
struct ClusterInfo {
  std::map<std::string, std::map<std::int64_t, std::string>> broker_addrs;
  std::map<std::string, std::vector<std::string>> clusters;
};

template <typename T>
struct Answer {
  std::optional<T> value;
  std::string error;  // one line when value is empty: "connection refused", "answered code 1: ..."
};

class GroupQuery {
 public:
  // With tls.enable every query connects with TLS (rmqctl status --tls); throws remoting::TlsError when the
  // CA file cannot be used.
  explicit GroupQuery(std::int64_t timeout_ms = 3000, const remoting::TlsClientSettings& tls = {})
      : timeout_ms_(timeout_ms), client_(remoting::ClientOptions{1, tls}) {}

  Answer<RuntimeInfo> runtime_info(const std::string& address);
  Answer<ClusterInfo> cluster_info(const std::string& namesrv_address);
  // GET_MAX_OFFSET (30): the next queue offset of (topic, queueId) on that broker.
  Answer<std::int64_t> max_offset(const std::string& address, const std::string& topic, std::int32_t queue_id);
  // DLEDGER_TRANSFER_LEADERSHIP (ours, 52200): ask the leader at `address` to hand over to `target_id`.
  Answer<bool> transfer_leadership(const std::string& address, const std::string& target_id);
  // True when something accepts a TCP connection at the address within the timeout.
  bool accepts(const std::string& address);

  // ACL credentials for requests to brokers: for one address ("host:port"), or for every broker without its own.
  void set_credentials(const std::string& address, Credentials credentials);
  void set_default_credentials(Credentials credentials) { default_credentials_ = std::move(credentials); }

 private:
  // `sign`: a request to a broker (signed when credentials are known for `address`).
  Answer<remoting::RemotingCommand> call(const std::string& address, remoting::RemotingCommand request,
                                         bool sign = true);

  std::int64_t timeout_ms_;
  remoting::RemotingClient client_;
  std::map<std::string, Credentials> credentials_;  // by "host:port"
  Credentials default_credentials_;
};

// Parses the two bodies (JSON as fastjson writes it: integer map keys may be unquoted). Throw
// std::runtime_error with a one-line reason on a malformed body.
RuntimeInfo parse_runtime_info(const std::string& body);
ClusterInfo parse_cluster_info(const std::string& body);

}  // namespace rmq::ctl
