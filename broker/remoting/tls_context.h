// TLS settings (tls_settings.h) -> OpenSSL contexts through Boost.Asio's ssl::context.
//
// Why a separate step: the certificate, key and CA files are read once, at startup, so that a missing or
// unreadable file stops the process with one line naming the key and the file (exit 2, a config error)
// instead of failing every handshake later. A context is shared by all connections of a server or client
// (OpenSSL's SSL_CTX is safe to share once set up) and never changed afterwards.
//
// Protocol floor: TLS 1.2 (what Java 8u261+ and current Netty clients speak); OpenSSL's default ciphers.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "broker/remoting/tls_settings.h"

namespace boost::asio::ssl {
class context;
}

namespace rmq::remoting {

// A TLS file or setting cannot be used: "tls.server.certPath: cannot read '/etc/x.pem': No such file ...".
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server context: certificate chain, key (decrypted with keyPassword), and with need.client.auth the CA
// file and verify mode. Throws TlsError. Requires settings.enabled().
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsServerSettings& settings);

// The client context: verify_server loads trust_cert_path (or the system's CA paths) and turns on peer
// verification; a client certificate when cert_path is set. Throws TlsError.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const TlsClientSettings& settings);

}  // namespace rmq::remoting
