// TLS on the client port (issue 14, part 4) with real processes on loopback: rmq-namesrv and rmq-broker with
// tls.server.mode enforcing or permissive, a certificate made for the test by the openssl CLI in a temp dir.
//
// What must hold: enforcing refuses a plain client (its connection is closed, nothing is answered) and serves
// a TLS one; permissive serves both on the same port; rmq-bench produces and consumes with --tls (verified
// against the test CA); rmqctl status --tls reads the group; `openssl s_client` is handed exactly the
// configured certificate; a missing or mismatched certificate/key stops the process with exit 2 and one line
// naming the file; a client that verifies refuses a certificate its CA did not sign.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "tests/support/background_process.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::integration {
namespace {

using remoting::InvokeStatus;
using remoting::RemotingCommand;
using test_support::BackgroundProcess;
namespace code = remoting::request_code;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a shell command line to its end; returns the exit code, with the output in *output.
int run_shell(const std::string& command_line, const std::filesystem::path& log, std::string* output = nullptr,
              std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::filesystem::remove(log);
  BackgroundProcess process({"/bin/sh", "-c", command_line}, log);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process.exit_code() == -1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int code = process.exit_code() == -1 ? process.stop() : process.exit_code();
  if (output != nullptr) *output = read_file(log);
  return code;
}

// A self-signed certificate for CN=localhost, IP 127.0.0.1 (test only, made fresh in the test's temp dir).
void make_certificate(const std::filesystem::path& dir, const std::string& name) {
  const std::string cert = (dir / (name + ".pem")).string();
  const std::string key = (dir / (name + ".key")).string();
  std::string output;
  const int code = run_shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                             "'/CN=localhost/O=rmq-tls-test-" + name + "' -addext "
                             "'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout " + key + " -out " + cert,
                             dir / (name + "-openssl.log"), &output);
  ASSERT_EQ(code, 0) << "openssl CLI needed for this test (tools/install-deps.sh installs it)\n" << output;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir_.path(), "server");
    make_certificate(dir_.path(), "other");
  }

  std::string cert() const { return (dir_.path() / "server.pem").string(); }
  std::string key() const { return (dir_.path() / "server.key").string(); }
  std::string tls_lines(const std::string& mode) const {
    return "tls.server.mode=" + mode + "\ntls.server.certPath=" + cert() + "\ntls.server.keyPath=" + key() + "\n";
  }

  void start_namesrv(const std::string& conf_lines) {
    namesrv_port_ = test_support::free_tcp_port();
    const auto conf = dir_.path() / "namesrv.conf";
    std::ofstream(conf) << "listenPort=" << namesrv_port_ << "\nkvConfigPath=\n" << conf_lines;
    namesrv_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{RMQ_BINARY_DIR "/rmq-namesrv", "-c", conf.string()}, dir_.path() / "namesrv.log");
    ASSERT_TRUE(namesrv_->wait_for_port(namesrv_port_, std::chrono::seconds(20))) << namesrv_->log();
  }

  std::filesystem::path write_broker_conf(const std::string& conf_lines) {
    broker_port_ = test_support::free_tcp_port(true);
    const auto conf = dir_.path() / "broker.conf";
    std::ofstream(conf) << "brokerClusterName=TlsCluster\nbrokerName=broker-tls\nbrokerId=0\nbrokerIP1=127.0.0.1\n"
                        << "listenPort=" << broker_port_ << "\nstorePathRootDir=" << (dir_.path() / "store").string()
                        << "\nmappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=60000\n"
                        << "namesrvAddr=127.0.0.1:" << namesrv_port_ << "\n"
                        << conf_lines;
    return conf;
  }

  void start_broker(const std::string& conf_lines) {
    const auto conf = write_broker_conf(conf_lines);
    broker_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{RMQ_BINARY_DIR "/rmq-broker", "-c", conf.string()}, dir_.path() / "broker.log");
    ASSERT_TRUE(broker_->wait_for_port(broker_port_, std::chrono::seconds(30))) << broker_->log();
  }

  // Waits until the name server lists the broker (it registered, over TLS when the name server enforces it).
  void wait_registered(remoting::RemotingClient& client) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        auto connection = client.connect("127.0.0.1", namesrv_port_, 3000);
        auto result = connection->invoke_sync(remoting::make_request(code::kGetBrokerClusterInfo), 3000);
        if (result.ok() && std::string(result.response.body.begin(), result.response.body.end()).find("broker-tls") !=
                               std::string::npos) {
          return;
        }
      } catch (const remoting::RemotingError&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the broker never registered\n" << broker_->log() << namesrv_->log();
  }

  static remoting::ClientOptions tls_client(const std::string& ca = "") {
    remoting::ClientOptions options;
    options.tls.enable = true;
    if (!ca.empty()) {
      options.tls.verify_server = true;
      options.tls.trust_cert_path = ca;
    }
    return options;
  }

  // GET_BROKER_RUNTIME_INFO on a fresh connection: the code it answers, or the call's failure.
  static InvokeStatus runtime_info(remoting::RemotingClient& client, std::uint16_t port, std::int32_t* response_code) {
    auto connection = client.connect("127.0.0.1", port, 3000);
    auto result = connection->invoke_sync(remoting::make_request(code::kGetBrokerRuntimeInfo), 3000);
    if (result.ok()) *response_code = result.response.code;
    return result.status;
  }

  std::string bench(const std::string& args, int* exit_code) {
    std::string output;
    *exit_code = run_shell(std::string(RMQ_BINARY_DIR "/rmq-bench ") + args + " 2>&1", dir_.path() / "bench.log",
                           &output);
    return output;
  }

  std::string namesrv_arg() const { return "--namesrv 127.0.0.1:" + std::to_string(namesrv_port_); }

  rmq::testing::TempDir dir_;
  std::uint16_t namesrv_port_ = 0;
  std::uint16_t broker_port_ = 0;
  std::unique_ptr<BackgroundProcess> namesrv_;
  std::unique_ptr<BackgroundProcess> broker_;
};

TEST_F(TlsTest, EnforcingRefusesPlainClientsAndServesTlsOnesThroughRmqBench) {
  ASSERT_NO_FATAL_FAILURE(start_namesrv(tls_lines("enforcing")));
  // tls.enable: the broker registers with the enforcing name server over TLS.
  ASSERT_NO_FATAL_FAILURE(start_broker(tls_lines("enforcing") + "tls.enable=true\n"));
  remoting::RemotingClient tls(tls_client(cert()));
  ASSERT_NO_FATAL_FAILURE(wait_registered(tls));

  // A plain client: TCP connects, but its request is never answered; the server closes the connection.
  remoting::RemotingClient plain;
  for (const std::uint16_t port : {namesrv_port_, broker_port_}) {
    auto connection = plain.connect("127.0.0.1", port, 3000);
    auto result = connection->invoke_sync(remoting::make_request(code::kGetBrokerRuntimeInfo), 5000);
    EXPECT_EQ(result.status, InvokeStatus::kConnectionClosed) << "port " << port << ": " << result.error;
  }
  std::int32_t response_code = -1;
  EXPECT_EQ(runtime_info(tls, broker_port_, &response_code), InvokeStatus::kOk);
  EXPECT_EQ(response_code, remoting::response_code::kSuccess);
  EXPECT_NE(broker_->log().find("TLS handshake failed"), std::string::npos) << broker_->log();

  int exit_code = -1;
  std::string output = bench("produce " + namesrv_arg() + " --topic TlsTopic --create-topic --queues 2 --count 300 "
                             "--size 200 --tls --tls-ca " + cert(), &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find("RESULT produce sent=300 ok=300 failed=0"), std::string::npos) << output;
  output = bench("consume " + namesrv_arg() + " --topic TlsTopic --group TlsGroup --count 300 --timeout 30 --tls "
                 "--tls-ca " + cert(), &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find("RESULT consume messages=300 errors=0"), std::string::npos) << output;

  // Without --tls rmq-bench cannot even read the route: exit 1.
  output = bench("produce " + namesrv_arg() + " --topic TlsTopic --count 10", &exit_code);
  EXPECT_EQ(exit_code, 1) << output;

  // rmqctl status --tls finds the broker through the name server; without --tls it cannot ask.
  std::string status;
  EXPECT_EQ(run_shell(std::string(RMQ_BINARY_DIR "/rmqctl status ") + namesrv_arg() +
                          " --cluster TlsCluster --tls --tls-ca " + cert() + " 2>&1",
                      dir_.path() / "status.log", &status),
            0)
      << status;
  EXPECT_NE(status.find("broker-tls:0"), std::string::npos) << status;
  EXPECT_EQ(run_shell(std::string(RMQ_BINARY_DIR "/rmqctl status ") + namesrv_arg() + " --cluster TlsCluster 2>&1",
                      dir_.path() / "status.log", &status),
            1)
      << status;
}

TEST_F(TlsTest, PermissiveServesPlainAndTlsClientsOnOnePort) {
  ASSERT_NO_FATAL_FAILURE(start_namesrv(tls_lines("permissive")));
  ASSERT_NO_FATAL_FAILURE(start_broker(tls_lines("permissive")));
  remoting::RemotingClient plain;
  remoting::RemotingClient tls(tls_client(cert()));
  ASSERT_NO_FATAL_FAILURE(wait_registered(plain));
  for (int round = 0; round < 3; ++round) {  // interleaved, on fresh connections
    std::int32_t plain_code = -1;
    std::int32_t tls_code = -1;
    EXPECT_EQ(runtime_info(plain, broker_port_, &plain_code), InvokeStatus::kOk);
    EXPECT_EQ(runtime_info(tls, broker_port_, &tls_code), InvokeStatus::kOk);
    EXPECT_EQ(plain_code, remoting::response_code::kSuccess);
    EXPECT_EQ(tls_code, remoting::response_code::kSuccess);
  }
  // A producer with TLS and a consumer without, against the same broker port.
  int exit_code = -1;
  std::string output = bench("produce " + namesrv_arg() + " --topic MixTopic --create-topic --queues 2 --count 200 "
                             "--size 100 --tls", &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  output = bench("consume " + namesrv_arg() + " --topic MixTopic --group MixGroup --count 200 --timeout 30",
                 &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find("RESULT consume messages=200 errors=0"), std::string::npos) << output;
}

TEST_F(TlsTest, OpensslSClientIsHandedTheConfiguredCertificate) {
  ASSERT_NO_FATAL_FAILURE(start_namesrv(""));
  ASSERT_NO_FATAL_FAILURE(start_broker(tls_lines("enforcing")));
  std::string expected;
  ASSERT_EQ(run_shell("openssl x509 -in " + cert() + " -noout -fingerprint -sha256", dir_.path() / "fp.log", &expected),
            0)
      << expected;
  std::string seen;
  ASSERT_EQ(run_shell("openssl s_client -connect 127.0.0.1:" + std::to_string(broker_port_) +
                          " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 -subject",
                      dir_.path() / "sclient.log", &seen),
            0)
      << seen;
  EXPECT_NE(seen.find(expected.substr(0, expected.find('\n'))), std::string::npos) << seen << "\nexpected " << expected;
  EXPECT_NE(seen.find("rmq-tls-test-server"), std::string::npos) << seen;
}

TEST_F(TlsTest, ClientThatVerifiesRefusesCertificateItsCaDidNotSign) {
  ASSERT_NO_FATAL_FAILURE(start_namesrv(""));
  ASSERT_NO_FATAL_FAILURE(start_broker(tls_lines("enforcing")));
  remoting::RemotingClient wrong_ca(tls_client((dir_.path() / "other.pem").string()));
  try {
    wrong_ca.connect("127.0.0.1", broker_port_, 3000);
    ADD_FAILURE() << "connected although the certificate is not signed by the trusted CA";
  } catch (const remoting::RemotingError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
  }
  // A TLS client against a plain port fails at connect with a reason, not later.
  remoting::RemotingClient tls(tls_client());
  EXPECT_THROW(tls.connect("127.0.0.1", namesrv_port_, 3000), remoting::RemotingError);
}

TEST_F(TlsTest, UnusableCertificateOrKeyIsExitTwoNamingTheFile) {
  namesrv_port_ = test_support::free_tcp_port();
  const std::string missing = (dir_.path() / "missing.pem").string();
  struct Case {
    std::string lines;
    std::string expected;  // in the one-line error
  };
  const std::vector<Case> cases = {
      {"tls.server.mode=enforcing\ntls.server.certPath=" + missing + "\ntls.server.keyPath=" + key() + "\n",
       "tls.server.certPath: cannot read '" + missing + "'"},
      {"tls.server.mode=permissive\ntls.server.certPath=" + cert() + "\ntls.server.keyPath=" + missing + "\n",
       "tls.server.keyPath: cannot read '" + missing + "'"},
      // The other certificate's key does not belong to this certificate.
      {"tls.server.mode=enforcing\ntls.server.certPath=" + cert() + "\ntls.server.keyPath=" +
           (dir_.path() / "other.key").string() + "\n",
       "is not the key of the certificate"},
      {"tls.server.mode=enforcing\n", "tls.server.certPath must be set"},
      {"tls.server.mode=strict\n", "tls.server.mode"},
  };
  for (const Case& c : cases) {
    const auto conf = write_broker_conf(c.lines);
    std::string output;
    EXPECT_EQ(run_shell(std::string(RMQ_BINARY_DIR "/rmq-broker -c ") + conf.string() + " 2>&1",
                        dir_.path() / "broker-bad.log", &output),
              2)
        << output;
    EXPECT_NE(output.find(c.expected), std::string::npos) << output;
    const auto ns_conf = dir_.path() / "namesrv-bad.conf";
    std::ofstream(ns_conf) << "listenPort=" << namesrv_port_ << "\nkvConfigPath=\n" << c.lines;
    EXPECT_EQ(run_shell(std::string(RMQ_BINARY_DIR "/rmq-namesrv -c ") + ns_conf.string() + " 2>&1",
                        dir_.path() / "namesrv-bad.log", &output),
              2)
        << output;
    EXPECT_NE(output.find(c.expected), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace rmq::integration
