#include "broker/remoting/tls_settings.h"

#include <cctype>
#include <stdexcept>

namespace rmq::remoting {
namespace {

std::string trimmed(const std::string& text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

bool parse_bool(const std::string& raw) {
  const std::string value = trimmed(raw);
  if (value == "true") return true;
  if (value == "false") return false;
  throw std::invalid_argument("is not true or false");
}

}  // namespace

const char* tls_mode_name(TlsMode mode) {
  switch (mode) {
    case TlsMode::kDisabled: return "disabled";
    case TlsMode::kPermissive: return "permissive";
    case TlsMode::kEnforcing: return "enforcing";
  }
  return "disabled";
}

const char* tls_client_auth_name(TlsClientAuth auth) {
  switch (auth) {
    case TlsClientAuth::kNone: return "none";
    case TlsClientAuth::kOptional: return "optional";
    case TlsClientAuth::kRequire: return "require";
  }
  return "none";
}

const std::vector<TlsSettingKey>& tls_setting_keys() {
  static const std::vector<TlsSettingKey> keys = {
      {"tls.server.mode",
       [](TlsSettings& s, const std::string& raw) {
         const std::string value = trimmed(raw);
         if (value == "disabled") s.server.mode = TlsMode::kDisabled;
         else if (value == "permissive") s.server.mode = TlsMode::kPermissive;
         else if (value == "enforcing") s.server.mode = TlsMode::kEnforcing;
         else throw std::invalid_argument("is not one of disabled, permissive, enforcing");
       },
       [](const TlsSettings& s) { return std::string(tls_mode_name(s.server.mode)); }},
      {"tls.server.certPath", [](TlsSettings& s, const std::string& v) { s.server.cert_path = trimmed(v); },
       [](const TlsSettings& s) { return s.server.cert_path; }},
      {"tls.server.keyPath", [](TlsSettings& s, const std::string& v) { s.server.key_path = trimmed(v); },
       [](const TlsSettings& s) { return s.server.key_path; }},
      // Not trimmed: a password may begin or end with a space.
      {"tls.server.keyPassword", [](TlsSettings& s, const std::string& v) { s.server.key_password = v; },
       [](const TlsSettings& s) { return std::string(s.server.key_password.empty() ? "" : "***"); }},
      {"tls.server.need.client.auth",
       [](TlsSettings& s, const std::string& raw) {
         const std::string value = trimmed(raw);
         if (value == "none") s.server.need_client_auth = TlsClientAuth::kNone;
         else if (value == "optional") s.server.need_client_auth = TlsClientAuth::kOptional;
         else if (value == "require") s.server.need_client_auth = TlsClientAuth::kRequire;
         else throw std::invalid_argument("is not one of none, optional, require");
       },
       [](const TlsSettings& s) { return std::string(tls_client_auth_name(s.server.need_client_auth)); }},
      {"tls.server.trustCertPath", [](TlsSettings& s, const std::string& v) { s.server.trust_cert_path = trimmed(v); },
       [](const TlsSettings& s) { return s.server.trust_cert_path; }},
      {"tls.enable", [](TlsSettings& s, const std::string& v) { s.client.enable = parse_bool(v); },
       [](const TlsSettings& s) { return std::string(s.client.enable ? "true" : "false"); }},
      {"tls.client.authServer", [](TlsSettings& s, const std::string& v) { s.client.verify_server = parse_bool(v); },
       [](const TlsSettings& s) { return std::string(s.client.verify_server ? "true" : "false"); }},
      {"tls.client.trustCertPath", [](TlsSettings& s, const std::string& v) { s.client.trust_cert_path = trimmed(v); },
       [](const TlsSettings& s) { return s.client.trust_cert_path; }},
      {"tls.client.certPath", [](TlsSettings& s, const std::string& v) { s.client.cert_path = trimmed(v); },
       [](const TlsSettings& s) { return s.client.cert_path; }},
      {"tls.client.keyPath", [](TlsSettings& s, const std::string& v) { s.client.key_path = trimmed(v); },
       [](const TlsSettings& s) { return s.client.key_path; }},
  };
  return keys;
}

const TlsSettingKey* find_tls_setting_key(const std::string& key) {
  for (const TlsSettingKey& entry : tls_setting_keys()) {
    if (key == entry.key) return &entry;
  }
  return nullptr;
}

std::optional<std::string> check_tls_settings(const TlsSettings& settings) {
  const TlsClientSettings& client = settings.client;
  if (client.cert_path.empty() != client.key_path.empty()) {
    return client.cert_path.empty() ? "tls.client.certPath must be set with tls.client.keyPath"
                                    : "tls.client.keyPath must be set with tls.client.certPath";
  }
  const TlsServerSettings& server = settings.server;
  if (!server.enabled()) return std::nullopt;
  const std::string mode = tls_mode_name(server.mode);
  if (server.cert_path.empty()) return "tls.server.certPath must be set when tls.server.mode is " + mode;
  if (server.key_path.empty()) return "tls.server.keyPath must be set when tls.server.mode is " + mode;
  if (server.need_client_auth != TlsClientAuth::kNone && server.trust_cert_path.empty()) {
    return std::string("tls.server.trustCertPath must be set when tls.server.need.client.auth is ") +
           tls_client_auth_name(server.need_client_auth);
  }
  return std::nullopt;
}

}  // namespace rmq::remoting
