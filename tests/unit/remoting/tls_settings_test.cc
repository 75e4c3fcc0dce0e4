// The TLS keys (tls_settings.h): upstream's names, the accepted values, the cross-key checks, and how -p
// shows them (a key password never in clear).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "broker/remoting/tls_context.h"
#include "broker/remoting/tls_settings.h"

namespace rmq::remoting {
namespace {

void apply(TlsSettings& settings, const std::string& key, const std::string& value) {
  const TlsSettingKey* entry = find_tls_setting_key(key);
  ASSERT_NE(entry, nullptr) << key;
  entry->apply(settings, value);
}

TEST(TlsSettingsTest, DefaultIsDisabledAndNeedsNothing) {
  const TlsSettings settings;
  EXPECT_EQ(settings.server.mode, TlsMode::kDisabled);
  EXPECT_FALSE(settings.client.enable);
  EXPECT_EQ(check_tls_settings(settings), std::nullopt);
}

TEST(TlsSettingsTest, ModesParseAndBadValuesAreRefused) {
  TlsSettings settings;
  apply(settings, "tls.server.mode", " permissive ");
  EXPECT_EQ(settings.server.mode, TlsMode::kPermissive);
  apply(settings, "tls.server.mode", "enforcing");
  EXPECT_EQ(settings.server.mode, TlsMode::kEnforcing);
  apply(settings, "tls.server.mode", "disabled");
  EXPECT_EQ(settings.server.mode, TlsMode::kDisabled);
  EXPECT_THROW(find_tls_setting_key("tls.server.mode")->apply(settings, "Enforcing"), std::invalid_argument);
  EXPECT_THROW(find_tls_setting_key("tls.server.need.client.auth")->apply(settings, "yes"), std::invalid_argument);
  EXPECT_THROW(find_tls_setting_key("tls.enable")->apply(settings, "1"), std::invalid_argument);
  apply(settings, "tls.server.need.client.auth", "require");
  EXPECT_EQ(settings.server.need_client_auth, TlsClientAuth::kRequire);
  EXPECT_EQ(find_tls_setting_key("tls.server.unknown"), nullptr);
}

TEST(TlsSettingsTest, EnabledModeNeedsCertificateAndKey) {
  TlsSettings settings;
  apply(settings, "tls.server.mode", "enforcing");
  auto problem = check_tls_settings(settings);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("tls.server.certPath"), std::string::npos) << *problem;
  apply(settings, "tls.server.certPath", "/x/cert.pem");
  problem = check_tls_settings(settings);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("tls.server.keyPath"), std::string::npos) << *problem;
  apply(settings, "tls.server.keyPath", "/x/key.pem");
  EXPECT_EQ(check_tls_settings(settings), std::nullopt);
  apply(settings, "tls.server.need.client.auth", "optional");
  problem = check_tls_settings(settings);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("tls.server.trustCertPath"), std::string::npos) << *problem;
}

TEST(TlsSettingsTest, PasswordIsShownMasked) {
  TlsSettings settings;
  apply(settings, "tls.server.keyPassword", "s3cret");
  EXPECT_EQ(settings.server.key_password, "s3cret");
  EXPECT_EQ(find_tls_setting_key("tls.server.keyPassword")->show(settings), "***");
}

TEST(TlsSettingsTest, MissingFilesAreTlsErrorsNamingKeyAndFile) {
  TlsServerSettings server;
  server.mode = TlsMode::kEnforcing;
  server.cert_path = "/nonexistent/rmq-cert.pem";
  server.key_path = "/nonexistent/rmq-key.pem";
  try {
    make_server_tls_context(server);
    FAIL() << "no error";
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("tls.server.certPath: cannot read '/nonexistent/rmq-cert.pem'"),
              std::string::npos)
        << e.what();
  }
  TlsClientSettings client;
  client.enable = true;
  client.verify_server = true;
  client.trust_cert_path = "/nonexistent/ca.pem";
  EXPECT_THROW(make_client_tls_context(client), TlsError);
}

}  // namespace
}  // namespace rmq::remoting
