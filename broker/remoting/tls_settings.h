// TLS settings of a remoting server (the broker's client port, the name server's port) and of the clients
// that connect to them, as config keys. Plain data: no OpenSSL here (tls_context.h turns them into contexts).
//
// Keys: upstream RocketMQ reads these as JVM system properties (-Dtls.server.mode=..., TlsSystemConfig);
// we read the same names from broker.conf and the name server's config, so one file holds everything.
//   tls.server.mode              disabled | permissive | enforcing   (ours defaults to disabled; upstream's
//                                to permissive with a generated test certificate, which we do not do)
//                                  disabled:   plain only, exactly as without TLS support
//                                  permissive: TLS and plain on the same port (the first byte of a new
//                                              connection decides: 0x16 opens a TLS handshake)
//                                  enforcing:  TLS only; a plain client's connection is closed
//   tls.server.certPath          PEM certificate chain (server certificate first)
//   tls.server.keyPath           PEM private key of that certificate
//   tls.server.keyPassword       password of an encrypted key (empty: the key is not encrypted)
//   tls.server.need.client.auth  none | optional | require: ask clients for a certificate and check it
//                                against tls.server.trustCertPath (require: no certificate, no connection)
//   tls.server.trustCertPath     PEM CA certificates that sign client certificates
// Client side (a broker's own connections to name servers and to the other brokers of its group):
//   tls.enable                   true: connect with TLS (upstream: "use SSL in client-side ... BrokerOuterAPI")
//   tls.client.authServer        true: verify the server's certificate (chain and host name)
//   tls.client.trustCertPath     PEM CA certificates for that check (empty: the system's default CAs)
//   tls.client.certPath          PEM certificate the client presents when a server asks (need.client.auth)
//   tls.client.keyPath           its PEM private key (not encrypted)
// Why in remoting: the broker and the name server read the same keys with the same ranges from one table.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rmq::remoting {

enum class TlsMode { kDisabled, kPermissive, kEnforcing };
enum class TlsClientAuth { kNone, kOptional, kRequire };

const char* tls_mode_name(TlsMode mode);
const char* tls_client_auth_name(TlsClientAuth auth);

struct TlsServerSettings {
  TlsMode mode = TlsMode::kDisabled;
  std::string cert_path;
  std::string key_path;
  std::string key_password;
  TlsClientAuth need_client_auth = TlsClientAuth::kNone;
  std::string trust_cert_path;

  bool enabled() const { return mode != TlsMode::kDisabled; }
};

struct TlsClientSettings {
  bool enable = false;
  bool verify_server = false;  // tls.client.authServer
  std::string trust_cert_path;  // empty: the system's default CA paths (only used when verify_server)
  std::string cert_path;        // empty: no client certificate
  std::string key_path;
};

// Both sides, as one config section.
struct TlsSettings {
  TlsServerSettings server;
  TlsClientSettings client;
};

// One key: its name, how a value is applied (std::invalid_argument with "is not ..." when it does not parse),
// and how the effective value is shown by -p (a password as ***).
struct TlsSettingKey {
  const char* key;
  void (*apply)(TlsSettings& settings, const std::string& value);
  std::string (*show)(const TlsSettings& settings);
};

// Every TLS key, in the order -p prints them.
const std::vector<TlsSettingKey>& tls_setting_keys();
// The entry for `key`, or null when `key` is not a TLS key.
const TlsSettingKey* find_tls_setting_key(const std::string& key);
// What a single key cannot say: a mode other than disabled needs certPath and keyPath; client auth needs
// trustCertPath. A one-line reason naming the key, or nullopt.
std::optional<std::string> check_tls_settings(const TlsSettings& settings);

}  // namespace rmq::remoting
