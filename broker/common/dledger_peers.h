// The DLedger peer list, dLegerPeers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913".
//
// DLedger itself splits this string loosely (at ';', then at the first '-') and fails much later, at start
// or at the first election, on a typo. Every node must carry the same list, so a mistake here is copied
// into every config. The parser therefore checks what DLedger only assumes: ids are a letter and an integer
// and unique, hosts are IPv4 literals or hostnames, ports are 1..65535, addresses are unique, and a group
// is not a mix of loopback and real hosts (a loopback address is unreachable from the other machines).
//
// It lives in broker/common because both the broker (DLedger mode: broker/dledger) and rmqctl (migrate,
// gen-conf) read dLegerPeers, and they must read it the same way.
//
// Hosts are compared per machine: every loopback address (127.0.0.0/8, "localhost") is one machine, since
// brokers bind their ports on all interfaces; other hosts are compared by name, case-insensitively.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rmq::common {

struct Peer {
  std::string id;    // dLegerSelfId of that node: a letter and an integer, "n0"
  std::string host;  // IPv4 literal or hostname (lower-cased)
  int port = 0;      // the DLedger port, 1..65535

  std::string address() const { return host + ":" + std::to_string(port); }
  bool operator==(const Peer&) const = default;
};

// Parses a peer list, in the order given. Whitespace around entries and one trailing ';' are tolerated.
// Throws ConfigError with a one-line message naming the bad entry: malformed entry, bad id,
// repeated id, bad host, bad port, repeated address.
std::vector<Peer> parse_peers(std::string_view text);

// The normalized list: "id-host:port" joined by ';', as dLegerPeers is written.
std::string format_peers(const std::vector<Peer>& peers);

// Group-level rules: at least 3 peers (2 only with allow_two_nodes; 1 never), no loopback peers mixed with
// other hosts, and no two loopback peers on one port ("127.0.0.1:40911" and "localhost:40911" are one
// address). Throws ConfigError; returns warnings (the two-node group cannot fail over).
std::vector<std::string> check_peer_group(const std::vector<Peer>& peers, bool allow_two_nodes);

// "n0", "a12": one ASCII letter, then decimal digits.
bool is_valid_peer_id(std::string_view id);
// Dotted-quad IPv4, each part 0..255 without leading zeros.
bool is_ipv4_literal(std::string_view host);
// RFC 1123 hostname: dot-separated labels of letters, digits and inner '-', 1..63 characters each, at most
// 253 in all, and a last label that is not all digits (so "1.2.3" is not mistaken for a name).
bool is_hostname(std::string_view host);
bool is_loopback_host(std::string_view host);
// The machine a host stands for when checking port collisions: "loopback" for every loopback address, else
// the lower-cased host.
std::string machine_key(std::string_view host);

// Parses a decimal TCP port, 1..65535. Throws ConfigError: "<what> \"<text>\" is not a port (1..65535)".
int parse_port(std::string_view text, std::string_view what);

}  // namespace rmq::common
