#include "broker/remoting/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace rmq::remoting {
namespace {

namespace ssl = boost::asio::ssl;

// A file the process cannot open is reported as such (errno), before OpenSSL's less direct "system lib".
void require_readable(const char* key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TlsError(std::string(key) + ": cannot read '" + path + "': " + std::strerror(errno));
  char first = 0;
  if (!in.get(first)) throw TlsError(std::string(key) + ": '" + path + "' is empty or not a file");
}

// OpenSSL's reason for the last failure (its queue is per thread), or the Boost error's text.
std::string openssl_reason(const boost::system::error_code& error) {
  const unsigned long code = ERR_peek_last_error();
  std::string reason = code != 0 ? ERR_reason_error_string(code) != nullptr ? ERR_reason_error_string(code) : ""
                                 : "";
  ERR_clear_error();
  return reason.empty() ? error.message() : reason;
}

void base_options(ssl::context& context) {
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
}

void load_certificate_and_key(ssl::context& context, const char* cert_key, const std::string& cert_path,
                              const char* key_key, const std::string& key_path) {
  require_readable(cert_key, cert_path);
  require_readable(key_key, key_path);
  boost::system::error_code error;
  context.use_certificate_chain_file(cert_path, error);
  if (error) {
    throw TlsError(std::string(cert_key) + ": '" + cert_path + "' is not a usable PEM certificate chain: " +
                   openssl_reason(error));
  }
  context.use_private_key_file(key_path, ssl::context::pem, error);
  if (error) {
    const std::string reason = openssl_reason(error);
    // OpenSSL compares the key with the certificate already loaded (X509_R_KEY_VALUES_MISMATCH).
    if (reason == "key values mismatch") {
      throw TlsError(std::string(key_key) + ": '" + key_path + "' is not the key of the certificate in '" + cert_path +
                     "'");
    }
    throw TlsError(std::string(key_key) + ": '" + key_path + "' is not a usable PEM private key (wrong password?): " +
                   reason);
  }
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    ERR_clear_error();
    throw TlsError(std::string(key_key) + ": '" + key_path + "' is not the key of the certificate in '" + cert_path +
                   "'");
  }
}

void load_trust(ssl::context& context, const char* key, const std::string& path) {
  require_readable(key, path);
  boost::system::error_code error;
  context.load_verify_file(path, error);
  if (error) throw TlsError(std::string(key) + ": '" + path + "' holds no usable PEM CA certificate: " + openssl_reason(error));
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const TlsServerSettings& settings) {
  if (auto problem = check_tls_settings(TlsSettings{settings, {}})) throw TlsError(*problem);
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  base_options(*context);
  if (!settings.key_password.empty()) {
    const std::string password = settings.key_password;
    context->set_password_callback(
        [password](std::size_t, ssl::context::password_purpose) { return password; });
  }
  load_certificate_and_key(*context, "tls.server.certPath", settings.cert_path, "tls.server.keyPath",
                           settings.key_path);
  if (settings.need_client_auth != TlsClientAuth::kNone) {
    load_trust(*context, "tls.server.trustCertPath", settings.trust_cert_path);
    context->set_verify_mode(settings.need_client_auth == TlsClientAuth::kRequire
                                 ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                 : ssl::verify_peer);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  return context;
}

std::shared_ptr<ssl::context> make_client_tls_context(const TlsClientSettings& settings) {
  if (settings.cert_path.empty() != settings.key_path.empty()) {
    throw TlsError("tls.client.certPath and tls.client.keyPath must be set together");
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  base_options(*context);
  if (settings.verify_server) {
    if (settings.trust_cert_path.empty()) {
      boost::system::error_code error;
      context->set_default_verify_paths(error);
      if (error) throw TlsError("tls.client.authServer: the system's CA certificates cannot be loaded: " + openssl_reason(error));
    } else {
      load_trust(*context, "tls.client.trustCertPath", settings.trust_cert_path);
    }
    context->set_verify_mode(ssl::verify_peer);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  if (!settings.cert_path.empty()) {
    load_certificate_and_key(*context, "tls.client.certPath", settings.cert_path, "tls.client.keyPath",
                             settings.key_path);
  }
  return context;
}

}  // namespace rmq::remoting
