// The DLedger runtime's settings, read from broker.conf (Java properties) when enableDLegerCommitLog=true.
//
// Where DLedger (0.3.1.2, storage.md 8.7) or RocketMQ (storage.md 6.1) has a key for a setting, the key keeps
// its name; where the setting is ours, the key starts with "dLedger". The defaults differ from DLedger's on
// purpose: DLedger detects a dead leader after 4-6 s (heartbeat 2000 ms x maxHeartBeatLeak 3) and a failover
// takes ~10 s (dledger-group.md 2.6); ours are chosen so that a leader crash is followed by a new leader in
// under 2 s on loopback or a LAN. A Java follower would time out against our heartbeats only if they were
// slower than its own, and mixing Java nodes into a group is not supported anyway (peer_protocol.h).
//
//   key                          ours       DLedger / RocketMQ   meaning
//   dLegerGroup                  (required) null                 group name; every member must agree
//   dLegerPeers                  (required) null                 n0-host:port;n1-host:port;...; must agree
//   dLegerSelfId                 (required) null                 this node's id, one of the peers
//   preferredLeaderId            empty      null                 leadership moves to it once it is caught up
//                                                                (a ';' list upstream: the first id is used)
//   flushDiskType                ASYNC_FLUSH ASYNC_FLUSH         ASYNC: ack once a majority holds the entry;
//                                                                SYNC: once a majority has fsynced it
//   dLedgerTickIntervalMs        10         10 (state thread)    the Raft clock; every timeout below is
//                                                                rounded to whole ticks
//   heartBeatTimeIntervalMs      100        2000                 leader heartbeat interval
//   dLedgerElectionTimeoutMs     750        4000-6000 (2-3 x     a follower that hears no leader for a random
//                                           hb x maxHeartBeatLeak) time in [T, 2T) starts a (pre-)election; a
//                                                                leader that heard no majority for T steps down
//   dLedgerEnablePreVote         true       (no pre-vote)        Raft thesis 9.6
//   dLedgerEnableCheckQuorum     true       (3 x hb lease-like)  leader steps down without a majority
//   maxPendingRequestsNum        10000      10000                appends waiting for commit; more get BUSY
//   maxWaitAckTimeMs             2500       2500                 an append not committed by then: TIMEOUT
//   maxBatchPushSize             1048576    4096 (enableBatchPush) bytes of entries per append message
//   dLedgerMaxInflightPushes     256        1000 (per peer)      append messages in flight per follower
//   peerPushThrottlePoint        33554432   314572800            bytes in flight per follower (upstream: lag
//                                                                before throttling to peerPushQuota)
//   dLedgerMaxUncommittedBytes   67108864   (maxPendingRequests) leader refuses appends (BUSY) above this
//   flushFileInterval            10         10                   ASYNC_FLUSH: background fsync interval, ms
//   checkPointInterval           3000       3000                 commit index checkpoint interval, ms
//   dLedgerMaxApplyBytes         4194304    -                    committed entries handed on per round
//   dLedgerPeerSecret            (unset)    -                    the group's shared secret: peers prove they
//                                                                hold it when a connection opens (peer_auth.h)
//   dLedgerPeerSecretFile        (unset)    -                    the same, read from this file (its content,
//                                                                trailing CR/LF removed); not with the above
//   dLedgerPeerTlsMode           disabled   -                    TLS on the peer port: disabled | permissive
//                                                                (TLS and plain accepted) | enforcing (TLS
//                                                                only); other than disabled, this node also
//                                                                dials its peers with TLS. Certificate, key
//                                                                and client settings: the broker's tls.server.*
//                                                                and tls.client.* keys (tls_settings.h)
// The secret must be at least kMinPeerSecretBytes (16) bytes and the same on every member. Unset: peer
// connections are not authenticated (any process that reaches a peer port may vote and append); the node logs
// a warning at start. The secret is never logged and not returned by GET_BROKER_CONFIG.
//
// A key whose value is not a number in its range is a ConfigError naming the key and the value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/common/dledger_peers.h"
#include "broker/common/java_properties.h"
#include "broker/remoting/tls_settings.h"

namespace rmq::dledger {

struct DLedgerConfig {
  std::string group;
  std::string self_id;
  std::vector<common::Peer> peers;
  std::string preferred_leader_id;  // empty: none
  bool sync_flush = false;          // flushDiskType=SYNC_FLUSH

  std::int64_t tick_interval_ms = 10;
  std::int64_t heartbeat_interval_ms = 100;
  std::int64_t election_timeout_ms = 750;
  bool pre_vote = true;
  bool check_quorum = true;

  std::int64_t max_pending_appends = 10000;
  std::int64_t append_timeout_ms = 2500;
  std::int64_t max_append_bytes = 1 << 20;
  std::int64_t max_inflight_appends = 256;
  std::int64_t max_inflight_bytes = 32 << 20;
  std::int64_t max_uncommitted_bytes = 64 << 20;
  std::int64_t flush_interval_ms = 10;
  std::int64_t checkpoint_interval_ms = 3000;
  std::int64_t max_apply_bytes = 4 << 20;

  std::string peer_secret;         // empty: peers are not authenticated
  std::string peer_secret_source;  // "dLedgerPeerSecret" or "dLedgerPeerSecretFile=<path>", for messages
  remoting::TlsMode peer_tls_mode = remoting::TlsMode::kDisabled;  // dLedgerPeerTlsMode

  // Reads the keys above. Throws common::ConfigError (naming the key) for a missing group/peers/selfId, a bad
  // peer list, a selfId or preferredLeaderId not in it, a bad number, or timeouts that do not fit together
  // (heartbeat below the election timeout, tick at most the heartbeat), both secret keys set, a secret file
  // that cannot be read, or a secret shorter than 16 bytes.
  static DLedgerConfig from_properties(const common::JavaProperties& properties);

  // Ticks, as the Raft core counts time (at least 1; the election timeout at least 2 and above the heartbeat).
  std::uint32_t heartbeat_ticks() const;
  std::uint32_t election_ticks() const;
};

// Whether from_properties() reads `key` (the table above, the three dLeger* keys excepted), so that the
// broker's config loader does not warn "unknown key ... ignored" about a key that is in fact used.
bool is_dledger_config_key(std::string_view key);

}  // namespace rmq::dledger
