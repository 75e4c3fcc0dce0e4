// Parsing and checking the DLedger peer list (dledger_peers.h says why it is stricter than DLedger).
#include "broker/common/dledger_peers.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "broker/common/java_properties.h"

namespace rmq::common {
namespace {


bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_ascii_digit);
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

Peer parse_peer(std::string_view entry) {
  const std::size_t dash = entry.find('-');
  const std::size_t colon = entry.rfind(':');
  if (dash == std::string_view::npos || colon == std::string_view::npos || colon < dash) {
    throw ConfigError("peer " + in_quotes(entry) + " is not ID-HOST:PORT (e.g. n0-127.0.0.1:40911)");
  }
  const std::string_view id = entry.substr(0, dash);
  const std::string_view host = entry.substr(dash + 1, colon - dash - 1);
  const std::string_view port = entry.substr(colon + 1);
  if (!is_valid_peer_id(id)) {
    throw ConfigError("peer " + in_quotes(entry) + ": id " + in_quotes(id) +
                      " is not a letter followed by an integer (e.g. n0)");
  }
  if (!is_ipv4_literal(host) && !is_hostname(host)) {
    throw ConfigError("peer " + in_quotes(entry) + ": host " + in_quotes(host) + " is not an IPv4 address or hostname");
  }
  return Peer{std::string(id), lower(host), parse_port(port, "peer " + in_quotes(entry) + ": port")};
}

}  // namespace

std::vector<Peer> parse_peers(std::string_view text) {
  std::string_view list = trim(text);
  if (!list.empty() && list.back() == ';') list.remove_suffix(1);  // DLedger's split() drops it too
  if (trim(list).empty()) throw ConfigError("peer list is empty (expected n0-HOST:PORT;n1-HOST:PORT;...)");
  std::vector<Peer> peers;
  std::map<std::string, std::string> id_by_address;
  for (const std::string_view raw_entry : split(list, ';')) {
    const std::string_view entry = trim(raw_entry);
    if (entry.empty()) throw ConfigError("peer list " + in_quotes(trim(text)) + " has an empty entry");
    Peer peer = parse_peer(entry);
    for (const Peer& earlier : peers) {
      if (earlier.id == peer.id) throw ConfigError("peer id " + in_quotes(peer.id) + " appears twice");
    }
    const auto [it, inserted] = id_by_address.emplace(peer.address(), peer.id);
    if (!inserted) {
      throw ConfigError("peers " + it->second + " and " + peer.id + " have the same address " + peer.address());
    }
    peers.push_back(std::move(peer));
  }
  return peers;
}

std::string format_peers(const std::vector<Peer>& peers) {
  std::string out;
  for (const Peer& peer : peers) {
    if (!out.empty()) out.push_back(';');
    out += peer.id + "-" + peer.address();
  }
  return out;
}

std::vector<std::string> check_peer_group(const std::vector<Peer>& peers, bool allow_two_nodes) {
  std::vector<std::string> warnings;
  if (peers.size() < 2) {
    throw ConfigError("a DLedger group needs at least 3 peers to fail over; got " + std::to_string(peers.size()));
  }
  if (peers.size() == 2) {
    if (!allow_two_nodes) {
      throw ConfigError(
          "a DLedger group needs at least 3 peers to fail over; got 2 (pass --allow-two-nodes to accept that)");
    }
    warnings.push_back("two nodes cannot fail over: a group of 2 stops accepting messages when either is down");
  }
  const auto on_loopback = [](const Peer& p) { return is_loopback_host(p.host); };
  const auto loopback = std::find_if(peers.begin(), peers.end(), on_loopback);
  const auto remote = std::find_if_not(peers.begin(), peers.end(), on_loopback);
  if (loopback != peers.end() && remote != peers.end()) {
    throw ConfigError("peers mix loopback and other hosts (" + loopback->id + " on " + loopback->host + ", " +
                      remote->id + " on " + remote->host +
                      "): the other machines cannot reach a loopback address");
  }
  std::map<std::pair<std::string, int>, const Peer*> peer_by_machine_port;
  for (const Peer& peer : peers) {
    const auto [it, inserted] = peer_by_machine_port.emplace(std::pair(machine_key(peer.host), peer.port), &peer);
    if (!inserted) {
      throw ConfigError("peers " + it->second->id + " (" + it->second->address() + ") and " + peer.id + " (" +
                        peer.address() + ") are the same address: both are loopback");
    }
  }
  return warnings;
}

bool is_valid_peer_id(std::string_view id) {
  return id.size() >= 2 && is_ascii_letter(id.front()) && all_digits(id.substr(1));
}

bool is_ipv4_literal(std::string_view host) {
  const std::vector<std::string_view> parts = split(host, '.');
  if (parts.size() != 4) return false;
  for (const std::string_view part : parts) {
    if (!all_digits(part) || part.size() > 3) return false;
    if (part.size() > 1 && part.front() == '0') return false;  // 010 is octal to inet_aton: refuse
    if (std::stoi(std::string(part)) > 255) return false;
  }
  return true;
}

bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  const std::vector<std::string_view> labels = split(host, '.');
  for (const std::string_view label : labels) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '-') return false;
    }
  }
  return !all_digits(labels.back());
}

bool is_loopback_host(std::string_view host) {
  const std::string name = lower(host);
  if (name == "localhost" || name.ends_with(".localhost")) return true;
  return is_ipv4_literal(name) && name.starts_with("127.");
}

std::string machine_key(std::string_view host) { return is_loopback_host(host) ? "loopback" : lower(host); }

int parse_port(std::string_view text, std::string_view what) {
  const std::string_view digits = trim(text);
  if (!all_digits(digits) || digits.size() > 5 || std::stoi(std::string(digits)) < 1 ||
      std::stoi(std::string(digits)) > 65535) {
    throw ConfigError(std::string(what) + " " + in_quotes(text) + " is not a port (1..65535)");
  }
  return std::stoi(std::string(digits));
}

}  // namespace rmq::common
