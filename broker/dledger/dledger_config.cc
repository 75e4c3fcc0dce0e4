#include "broker/dledger/dledger_config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>

#include "broker/dledger/peer_auth.h"

namespace rmq::dledger {
namespace {

using common::ConfigError;

std::string trim(std::string s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  return s.substr(i);
}

std::string required(const common::JavaProperties& p, const std::string& key) {
  std::string v = trim(p.get_or(key, ""));
  if (v.empty()) throw ConfigError(key + " must be set when enableDLegerCommitLog=true");
  return v;
}

std::int64_t number(const common::JavaProperties& p, const std::string& key, std::int64_t fallback,
                    std::int64_t min, std::int64_t max) {
  auto raw = p.get(key);
  if (!raw) return fallback;
  const std::string text = trim(*raw);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw ConfigError(key + "=" + *raw + " is not a whole number");
  }
  if (v < min || v > max) {
    throw ConfigError(key + "=" + text + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

bool boolean(const common::JavaProperties& p, const std::string& key, bool fallback) {
  auto raw = p.get(key);
  if (!raw) return fallback;
  std::string v = trim(*raw);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "true") return true;
  if (v == "false") return false;
  throw ConfigError(key + "=" + *raw + " is not true or false");
}

// dLedgerPeerSecret or dLedgerPeerSecretFile (dledger_config.h). Messages name the key or the file, never the
// secret.
void read_peer_secret(const common::JavaProperties& p, DLedgerConfig& c) {
  const auto inline_secret = p.get("dLedgerPeerSecret");
  const auto file = p.get("dLedgerPeerSecretFile");
  if (inline_secret && file) {
    throw ConfigError("dLedgerPeerSecret and dLedgerPeerSecretFile are both set: set one of them");
  }
  if (inline_secret) {
    c.peer_secret = trim(*inline_secret);
    c.peer_secret_source = "dLedgerPeerSecret";
  } else if (file) {
    const std::string path = trim(*file);
    c.peer_secret_source = "dLedgerPeerSecretFile=" + path;
    std::ifstream in(path, std::ios::binary);
    if (path.empty() || !in) throw ConfigError("dLedgerPeerSecretFile=" + path + ": cannot be read");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (content.size() > kMaxPeerSecretBytes + 2) {
      throw ConfigError("dLedgerPeerSecretFile=" + path + ": over " + std::to_string(kMaxPeerSecretBytes) + " bytes");
    }
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    c.peer_secret = std::move(content);
  } else {
    return;
  }
  if (c.peer_secret.size() < kMinPeerSecretBytes || c.peer_secret.size() > kMaxPeerSecretBytes) {
    throw ConfigError(c.peer_secret_source + ": the secret is " + std::to_string(c.peer_secret.size()) +
                      " bytes; it must be " + std::to_string(kMinPeerSecretBytes) + " to " +
                      std::to_string(kMaxPeerSecretBytes) + " bytes");
  }
}

}  // namespace

DLedgerConfig DLedgerConfig::from_properties(const common::JavaProperties& p) {
  DLedgerConfig c;
  c.group = required(p, "dLegerGroup");
  c.self_id = required(p, "dLegerSelfId");
  const std::string peers_text = required(p, "dLegerPeers");
  try {
    c.peers = common::parse_peers(peers_text);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("dLegerPeers: ") + e.what());
  }
  const auto in_peers = [&](const std::string& id) {
    return std::any_of(c.peers.begin(), c.peers.end(), [&](const common::Peer& peer) { return peer.id == id; });
  };
  if (!in_peers(c.self_id)) {
    throw ConfigError("dLegerSelfId=" + c.self_id + " is not one of dLegerPeers=" + common::format_peers(c.peers));
  }
  std::string preferred = trim(p.get_or("preferredLeaderId", ""));
  if (auto semi = preferred.find(';'); semi != std::string::npos) preferred = trim(preferred.substr(0, semi));
  if (!preferred.empty() && !in_peers(preferred)) {
    throw ConfigError("preferredLeaderId=" + preferred + " is not one of dLegerPeers=" + common::format_peers(c.peers));
  }
  c.preferred_leader_id = preferred;
  const std::string flush = trim(p.get_or("flushDiskType", "ASYNC_FLUSH"));
  if (flush == "SYNC_FLUSH") {
    c.sync_flush = true;
  } else if (flush != "ASYNC_FLUSH") {
    throw ConfigError("flushDiskType=" + flush + " is not ASYNC_FLUSH or SYNC_FLUSH");
  }

  constexpr std::int64_t kHour = 3600 * 1000;
  c.tick_interval_ms = number(p, "dLedgerTickIntervalMs", c.tick_interval_ms, 1, 1000);
  c.heartbeat_interval_ms = number(p, "heartBeatTimeIntervalMs", c.heartbeat_interval_ms, 1, kHour);
  c.election_timeout_ms = number(p, "dLedgerElectionTimeoutMs", c.election_timeout_ms, 2, kHour);
  c.pre_vote = boolean(p, "dLedgerEnablePreVote", c.pre_vote);
  c.check_quorum = boolean(p, "dLedgerEnableCheckQuorum", c.check_quorum);
  c.max_pending_appends = number(p, "maxPendingRequestsNum", c.max_pending_appends, 1, 100'000'000);
  c.append_timeout_ms = number(p, "maxWaitAckTimeMs", c.append_timeout_ms, 1, kHour);
  c.max_append_bytes = number(p, "maxBatchPushSize", c.max_append_bytes, 1, 8 << 20);
  c.max_inflight_appends = number(p, "dLedgerMaxInflightPushes", c.max_inflight_appends, 1, 100'000);
  c.max_inflight_bytes = number(p, "peerPushThrottlePoint", c.max_inflight_bytes, 1, 1LL << 40);
  c.max_uncommitted_bytes = number(p, "dLedgerMaxUncommittedBytes", c.max_uncommitted_bytes, 0, 1LL << 40);
  c.flush_interval_ms = number(p, "flushFileInterval", c.flush_interval_ms, 1, kHour);
  c.checkpoint_interval_ms = number(p, "checkPointInterval", c.checkpoint_interval_ms, 1, kHour);
  c.max_apply_bytes = number(p, "dLedgerMaxApplyBytes", c.max_apply_bytes, 1, 1LL << 30);

  read_peer_secret(p, c);
  const std::string tls_mode = trim(p.get_or("dLedgerPeerTlsMode", "disabled"));
  if (tls_mode.empty() || tls_mode == "disabled") {
    c.peer_tls_mode = remoting::TlsMode::kDisabled;
  } else if (tls_mode == "permissive") {
    c.peer_tls_mode = remoting::TlsMode::kPermissive;
  } else if (tls_mode == "enforcing") {
    c.peer_tls_mode = remoting::TlsMode::kEnforcing;
  } else {
    throw ConfigError("dLedgerPeerTlsMode=" + tls_mode + " is not disabled, permissive or enforcing");
  }

  if (c.tick_interval_ms > c.heartbeat_interval_ms) {
    throw ConfigError("dLedgerTickIntervalMs=" + std::to_string(c.tick_interval_ms) +
                      " must not exceed heartBeatTimeIntervalMs=" + std::to_string(c.heartbeat_interval_ms));
  }
  if (c.election_ticks() <= c.heartbeat_ticks()) {
    throw ConfigError("heartBeatTimeIntervalMs=" + std::to_string(c.heartbeat_interval_ms) +
                      " must be below dLedgerElectionTimeoutMs=" + std::to_string(c.election_timeout_ms) +
                      " by at least one dLedgerTickIntervalMs");
  }
  return c;
}

bool is_dledger_config_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "preferredLeaderId",       "flushDiskType",         "dLedgerTickIntervalMs",      "heartBeatTimeIntervalMs",
      "dLedgerElectionTimeoutMs", "dLedgerEnablePreVote",  "dLedgerEnableCheckQuorum",   "maxPendingRequestsNum",
      "maxWaitAckTimeMs",        "maxBatchPushSize",      "dLedgerMaxInflightPushes",   "peerPushThrottlePoint",
      "dLedgerMaxUncommittedBytes", "flushFileInterval",  "checkPointInterval",         "dLedgerMaxApplyBytes",
      "dLedgerPeerSecret",       "dLedgerPeerSecretFile", "dLedgerPeerTlsMode",
  };
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

std::uint32_t DLedgerConfig::heartbeat_ticks() const {
  return static_cast<std::uint32_t>(std::max<std::int64_t>(1, heartbeat_interval_ms / tick_interval_ms));
}

std::uint32_t DLedgerConfig::election_ticks() const {
  return static_cast<std::uint32_t>(std::max<std::int64_t>(2, election_timeout_ms / tick_interval_ms));
}

}  // namespace rmq::dledger
