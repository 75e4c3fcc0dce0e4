// "host:port" addresses as RocketMQ writes them (namesrvAddr, brokerAddrs values), parsed once for rmq-bench.
//
// A name server list may hold several addresses separated by ';' (namesrvAddr); the bench talks to the first.
// Anything that does not parse is a usage error reported with the text that was given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rmq::bench {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// "127.0.0.1:9876" (or the first entry of "a:1;b:2"); nullopt when there is no host, no port, or the port is
// not a decimal number in 1..65535.
std::optional<HostPort> parse_host_port(std::string_view text);

}  // namespace rmq::bench
