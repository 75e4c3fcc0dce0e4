// dLedgerPeerTlsMode (dledger_config.h): the three modes of tls.server.mode, disabled by default, anything else a
// ConfigError naming the key and the value; a key the broker's config loader knows (no "unknown key" warning).
#include <gtest/gtest.h>

#include "broker/dledger/dledger_config.h"

namespace rmq::dledger {
namespace {

common::JavaProperties group_properties() {
  common::JavaProperties p;
  p.set("dLegerGroup", "RaftNode00");
  p.set("dLegerPeers", "n0-127.0.0.1:40911;n1-127.0.0.1:40912");
  p.set("dLegerSelfId", "n0");
  return p;
}

TEST(PeerTlsConfig, DisabledByDefaultAndTheThreeModesParse) {
  EXPECT_EQ(DLedgerConfig::from_properties(group_properties()).peer_tls_mode, remoting::TlsMode::kDisabled);
  for (const auto& [text, mode] : {std::pair{"disabled", remoting::TlsMode::kDisabled},
                                   std::pair{"permissive", remoting::TlsMode::kPermissive},
                                   std::pair{" enforcing ", remoting::TlsMode::kEnforcing}}) {
    auto p = group_properties();
    p.set("dLedgerPeerTlsMode", text);
    EXPECT_EQ(DLedgerConfig::from_properties(p).peer_tls_mode, mode) << text;
  }
  EXPECT_TRUE(is_dledger_config_key("dLedgerPeerTlsMode"));
}

TEST(PeerTlsConfig, AnyOtherValueIsAConfigErrorNamingKeyAndValue) {
  for (const char* text : {"true", "ENFORCING", "", "tls"}) {
    auto p = group_properties();
    p.set("dLedgerPeerTlsMode", text);
    if (std::string(text).empty()) {
      // An empty value is the default, as for every other key read with get_or and trimmed.
      EXPECT_EQ(DLedgerConfig::from_properties(p).peer_tls_mode, remoting::TlsMode::kDisabled);
      continue;
    }
    try {
      DLedgerConfig::from_properties(p);
      ADD_FAILURE() << text << " was accepted";
    } catch (const common::ConfigError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("dLedgerPeerTlsMode=") + text + " is not disabled, permissive or enforcing");
    }
  }
}

}  // namespace
}  // namespace rmq::dledger
