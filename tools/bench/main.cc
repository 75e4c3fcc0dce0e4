// rmq-bench: load generator for rmq-broker speaking the RocketMQ remoting protocol (DESIGN.md section 1).
//
//   rmq-bench produce --namesrv 127.0.0.1:9876 --topic T --size 1024 --inflight 64 (--count N | --duration S)
//                     [--create-topic --queues 8]
//   rmq-bench consume --namesrv 127.0.0.1:9876 --topic T --group G (--count N | --duration S)
//     produce and consume: [--tls [--tls-ca CA.pem]] connect to the name server and the brokers with TLS
//     (a server whose tls.server.mode is permissive or enforcing); --tls-ca verifies their certificates
//     (chain and host name) against that CA file, without it nothing is verified
//     produce and consume: [--access-key AK (--secret-key SK | --secret-key-file F)] sign every request to the
//     brokers as upstream's ACL clients do (aclEnable=true, plain_acl.yml), with the broker's own signing code
//   rmq-bench fsync-rate --dir D [--duration S]
//   rmq-bench failover (--conf-dir DIR | -c CONF ...) [--rounds 10] [--namesrv H:P]
//   rmq-bench catch-up (--conf-dir DIR | -c CONF ...) [--node ID] [--mb 256]
//
// Each prints human-readable figures and one `RESULT ...` line for scripts. Exit codes: 0 ok, 1 the run had
// errors (failed sends, missing messages, unreachable server), 2 bad flags (one line on stderr), 5 I/O error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "tools/bench/catchup_command.h"
#include "tools/bench/consume_command.h"
#include "tools/bench/failover_command.h"
#include "tools/bench/fsync_rate_command.h"
#include "tools/bench/produce_command.h"
#include "broker/remoting/tls_context.h"

namespace {

constexpr int kExitUsage = 2;

int usage_error(const std::string& message) {
  std::cerr << "rmq-bench: " << message << " (see --help)\n";
  return kExitUsage;
}

// CLI11 would wrap "-5" into a huge unsigned value; accept plain decimal digits only.
CLI::Validator digits_only() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) return {};
        return "'" + value + "' is not a non-negative integer";
      },
      "");
}

// --tls and --tls-ca on one subcommand.
void add_tls_options(CLI::App& command, rmq::remoting::TlsClientSettings& tls, std::string& ca_file) {
  command.add_flag("--tls", tls.enable, "connect with TLS (servers with tls.server.mode permissive or enforcing)");
  command.add_option("--tls-ca", ca_file, "with --tls: verify the servers' certificates against this PEM CA file");
}

// --access-key, --secret-key, --secret-key-file on one subcommand.
struct CredentialFlags {
  std::string access_key;
  std::string secret_key;
  std::string secret_key_file;
};
void add_credential_options(CLI::App& command, CredentialFlags& flags) {
  command.add_option("--access-key", flags.access_key, "sign requests with this ACL accessKey (plain_acl.yml)");
  auto* secret = command.add_option("--secret-key", flags.secret_key, "its secretKey (visible in ps; see --secret-key-file)");
  auto* file = command.add_option("--secret-key-file", flags.secret_key_file, "read the secretKey from this file's first line");
  secret->excludes(file);
}
// The credentials from the flags, or a usage problem. Never echoes the secret.
std::string check_credentials(const CredentialFlags& flags, rmq::ctl::Credentials& out) {
  std::string secret = flags.secret_key;
  if (!flags.secret_key_file.empty()) {
    try {
      secret = rmq::ctl::read_secret_key_file(flags.secret_key_file);
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  if (flags.access_key.empty() != secret.empty()) {
    return "--access-key and --secret-key (or --secret-key-file) go together";
  }
  out.access_key = flags.access_key;
  out.secret_key = secret;
  return "";
}

// Fills the TLS settings from the flags and loads the CA file once, so that a bad one is a usage error.
std::string check_tls(rmq::remoting::TlsClientSettings& tls, const std::string& ca_file) {
  if (!ca_file.empty()) {
    if (!tls.enable) return "--tls-ca needs --tls";
    tls.verify_server = true;
    tls.trust_cert_path = ca_file;
  }
  if (!tls.enable) return "";
  try {
    rmq::remoting::make_client_tls_context(tls);
  } catch (const rmq::remoting::TlsError& e) {
    std::string reason = e.what();
    const std::string key = "tls.client.trustCertPath: ";
    if (reason.starts_with(key)) reason = reason.substr(key.size());
    return "--tls-ca: " + reason;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rmq-bench: load generator for rmq-broker (RocketMQ 4.x remoting protocol)"};
  app.require_subcommand(1);

  rmq::bench::ProduceOptions produce;
  std::uint64_t produce_count = 0;
  double produce_duration_s = 0;
  auto* produce_cmd = app.add_subcommand("produce", "SEND_MESSAGE_V2 round-robin over a topic's writable queues");
  produce_cmd->add_option("--namesrv", produce.namesrv, "name server host:port")->required();
  produce_cmd->add_option("--topic", produce.topic, "topic")->required();
  produce_cmd->add_option("--group", produce.producer_group, "producer group")->capture_default_str();
  produce_cmd->add_option("--size", produce.size_bytes, "body size in bytes")->check(digits_only())->capture_default_str();
  produce_cmd->add_option("--inflight", produce.inflight, "requests kept outstanding")->check(digits_only())->capture_default_str();
  auto* produce_count_opt = produce_cmd->add_option("--count", produce_count, "messages to send")->check(digits_only());
  auto* produce_duration_opt = produce_cmd->add_option("--duration", produce_duration_s, "seconds to send for");
  produce_count_opt->excludes(produce_duration_opt);
  produce_cmd->add_flag("--create-topic", produce.create_topic, "UPDATE_AND_CREATE_TOPIC on every master first");
  produce_cmd->add_option("--queues", produce.queues, "queues of a created topic")->check(CLI::Range(1, 1024))->capture_default_str();
  produce_cmd->add_option("--timeout-ms", produce.send_timeout_ms, "per-send timeout")->check(CLI::Range(1, 600000))->capture_default_str();
  std::string produce_tls_ca;
  add_tls_options(*produce_cmd, produce.tls, produce_tls_ca);
  CredentialFlags produce_credentials;
  add_credential_options(*produce_cmd, produce_credentials);

  rmq::bench::ConsumeOptions consume;
  std::uint64_t consume_count = 0;
  double consume_duration_s = 0;
  auto* consume_cmd = app.add_subcommand("consume", "PULL_MESSAGE from every readable queue of a topic");
  consume_cmd->add_option("--namesrv", consume.namesrv, "name server host:port")->required();
  consume_cmd->add_option("--topic", consume.topic, "topic")->required();
  consume_cmd->add_option("--group", consume.group, "consumer group")->required();
  auto* consume_count_opt = consume_cmd->add_option("--count", consume_count, "stop after this many messages")->check(digits_only());
  auto* consume_duration_opt = consume_cmd->add_option("--duration", consume_duration_s, "seconds to consume for");
  consume_count_opt->excludes(consume_duration_opt);
  consume_cmd->add_option("--timeout", consume.timeout_s, "with --count: give up after this many seconds")
      ->check(CLI::Range(0.001, 86400.0))->capture_default_str();
  consume_cmd->add_option("--poll-ms", consume.poll_ms, "long-poll time asked of the broker")->check(CLI::Range(0, 30000))->capture_default_str();
  consume_cmd->add_option("--batch", consume.batch, "maxMsgNums per pull")->check(CLI::Range(1, 1024))->capture_default_str();
  std::string consume_tls_ca;
  add_tls_options(*consume_cmd, consume.tls, consume_tls_ca);
  CredentialFlags consume_credentials;
  add_credential_options(*consume_cmd, consume_credentials);

  rmq::bench::FsyncRateOptions fsync;
  auto* fsync_cmd = app.add_subcommand("fsync-rate", "serial write 1 KiB + fdatasync rate of a directory's disk");
  fsync_cmd->add_option("--dir", fsync.dir, "directory to test (the broker's store disk)")->required();
  fsync_cmd->add_option("--duration", fsync.duration_s, "seconds")->check(CLI::Range(0.001, 3600.0))->capture_default_str();

  rmq::bench::FailoverOptions failover;
  auto* failover_cmd = app.add_subcommand(
      "failover", "SIGKILL a DLedger group's leader N times: time to the first SEND_OK and to the new registration");
  auto* failover_dir_opt = failover_cmd->add_option("--conf-dir", failover.conf_dir, "every *.conf in this directory is a node");
  auto* failover_confs_opt = failover_cmd->add_option("-c,--config", failover.confs, "a node's broker.conf (repeat for each node)");
  failover_dir_opt->excludes(failover_confs_opt);
  failover_cmd->add_option("--namesrv", failover.namesrv, "name server host:port (default: the configs' namesrvAddr)");
  failover_cmd->add_option("--rmqctl", failover.rmqctl, "the rmqctl that restarts a killed node (default: beside rmq-bench)");
  failover_cmd->add_option("--rounds", failover.rounds, "leader kills")->check(CLI::Range(1, 1000))->capture_default_str();
  failover_cmd->add_option("--topic", failover.topic, "topic the producer sends to")->capture_default_str();
  failover_cmd->add_option("--size", failover.size_bytes, "body size in bytes")->check(CLI::Range(1, 4 * 1024 * 1024))->capture_default_str();
  failover_cmd->add_option("--timeout-ms", failover.send_timeout_ms, "per-send timeout")->check(CLI::Range(10, 600000))->capture_default_str();
  failover_cmd->add_option("--round-timeout", failover.round_timeout_s, "seconds to wait for each measurement")
      ->check(CLI::Range(1.0, 3600.0))->capture_default_str();
  failover_cmd->add_option("--restart-wait", failover.restart_wait_s, "seconds rmqctl start --node waits for health")
      ->check(CLI::Range(1.0, 3600.0))->capture_default_str();

  rmq::bench::CatchUpOptions catch_up;
  auto* catch_up_cmd = app.add_subcommand(
      "catch-up", "stop a DLedger follower, send --mb MiB, restart it: MB/s until its ledger end equals the leader's");
  auto* catch_up_dir_opt = catch_up_cmd->add_option("--conf-dir", catch_up.conf_dir, "every *.conf in this directory is a node");
  auto* catch_up_confs_opt = catch_up_cmd->add_option("-c,--config", catch_up.confs, "a node's broker.conf (repeat for each node)");
  catch_up_dir_opt->excludes(catch_up_confs_opt);
  catch_up_cmd->add_option("--namesrv", catch_up.namesrv, "name server host:port (default: the configs' namesrvAddr)");
  catch_up_cmd->add_option("--rmqctl", catch_up.rmqctl, "the rmqctl that stops and restarts the node (default: beside rmq-bench)");
  catch_up_cmd->add_option("--node", catch_up.node, "the follower to stop (default: the first follower)");
  catch_up_cmd->add_option("--topic", catch_up.topic, "topic to send to")->capture_default_str();
  catch_up_cmd->add_option("--mb", catch_up.mb, "MiB of 1 KiB messages sent while it is down")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  catch_up_cmd->add_option("--timeout", catch_up.timeout_s, "seconds to wait for the catch-up")->check(CLI::Range(1.0, 86400.0))->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  if (produce_cmd->parsed()) {
    if (produce_count_opt->count() == 0 && produce_duration_opt->count() == 0) {
      return usage_error("produce needs --count N or --duration S");
    }
    if (produce_count_opt->count() > 0) {
      if (produce_count == 0) return usage_error("--count must be at least 1");
      produce.count = produce_count;
    }
    if (produce_duration_opt->count() > 0) {
      if (!(produce_duration_s > 0)) return usage_error("--duration must be positive");
      produce.duration_s = produce_duration_s;
    }
    if (produce.inflight == 0) return usage_error("--inflight must be at least 1");
    if (produce.size_bytes > 4 * 1024 * 1024) return usage_error("--size must be at most 4194304 (maxMessageSize)");
    if (produce.topic.empty() || produce.topic.size() > 127) return usage_error("--topic must be 1..127 characters");
    if (auto problem = check_tls(produce.tls, produce_tls_ca); !problem.empty()) return usage_error(problem);
    if (auto problem = check_credentials(produce_credentials, produce.credentials); !problem.empty()) {
      return usage_error(problem);
    }
    return rmq::bench::run_produce(produce);
  }
  if (consume_cmd->parsed()) {
    if (consume_count_opt->count() == 0 && consume_duration_opt->count() == 0) {
      return usage_error("consume needs --count N or --duration S");
    }
    if (consume_count_opt->count() > 0) {
      if (consume_count == 0) return usage_error("--count must be at least 1");
      consume.count = consume_count;
    }
    if (consume_duration_opt->count() > 0) {
      if (!(consume_duration_s > 0)) return usage_error("--duration must be positive");
      consume.duration_s = consume_duration_s;
    }
    if (auto problem = check_tls(consume.tls, consume_tls_ca); !problem.empty()) return usage_error(problem);
    if (auto problem = check_credentials(consume_credentials, consume.credentials); !problem.empty()) {
      return usage_error(problem);
    }
    return rmq::bench::run_consume(consume);
  }
  if (failover_cmd->parsed()) {
    if (failover_dir_opt->count() == 0 && failover_confs_opt->count() == 0) {
      return usage_error("failover needs --conf-dir DIR or -c CONF for each node");
    }
    return rmq::bench::run_failover(failover);
  }
  if (catch_up_cmd->parsed()) {
    if (catch_up_dir_opt->count() == 0 && catch_up_confs_opt->count() == 0) {
      return usage_error("catch-up needs --conf-dir DIR or -c CONF for each node");
    }
    return rmq::bench::run_catch_up(catch_up);
  }
  return rmq::bench::run_fsync_rate(fsync);
}
