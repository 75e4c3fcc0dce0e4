// A `whiteRemoteAddress` / `globalWhiteRemoteAddresses` entry of plain_acl.yml: which client addresses it
// admits without a signature.
//
// Forms (upstream RemoteAddressStrategyFactory, 4.x):
//   "*" or "*.*.*.*"               every address
//   "192.168.1.*", "192.168.*"     a trailing '*' covers the remaining octets
//   "192.168.1.10-20"              a range in one octet (both ends included)
//   "192.168.1.1,192.168.1.2"      a list of addresses
//   "192.168.1.{1,2,3}"            the same list, written with braces in the last octet
//   anything else                  compared as text with the client's address (IPv6)
// An empty pattern admits nothing. A pattern that cannot be read is an error at load time (acl_rules.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::acl {

class AddressPattern {
 public:
  AddressPattern() = default;  // admits nothing
  // nullopt with `error` set when `text` is not one of the forms above.
  static std::optional<AddressPattern> parse(std::string_view text, std::string* error);

  // `address` is the client's IP without the port ("127.0.0.1").
  bool matches(std::string_view address) const;
  bool empty() const { return alternatives_.empty(); }

 private:
  struct OctetRange {
    int low = 0;
    int high = 255;
  };
  struct Alternative {
    std::vector<OctetRange> octets;  // 4 for IPv4 patterns; empty with `exact` for text compared as is
    std::string exact;
  };
  std::vector<Alternative> alternatives_;
};

// "127.0.0.1:51234" -> "127.0.0.1"; "[::1]:51234" -> "::1"; text without a port is returned unchanged.
std::string strip_port(std::string_view peer_address);

}  // namespace rmq::acl
