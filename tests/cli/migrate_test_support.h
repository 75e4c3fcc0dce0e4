// Shared by the `rmqctl migrate` CLI tests: running the real binaries (rmqctl, rmq-gen-store, the stand-in
// broker tests/cli/fake_broker) as processes, and the checks every scenario repeats (the source hashes the
// same before and after, the nodes hold byte-identical copies, the configs pass gen-conf's rules).
//
// Processes get stdin from /dev/null, so rmqctl never sees a terminal (and needs --yes), their output goes to
// files in the test's scratch directory, and each one is killed (SIGKILL) if it outlives its timeout, so a
// hung child fails its test instead of the suite.
#pragma once

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/common/bytes.h"
#include "broker/common/java_properties.h"
#include "broker/common/mapped_file.h"
#include "broker/common/md5.h"
#include "migrate/gen_conf.h"
#include "migrate/peers.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::migrate_test {

namespace fs = std::filesystem;

inline constexpr std::uint64_t kFileSizeBytes = 1024 * 1024;  // small commitlog files keep each run quick
inline constexpr const char* kPeers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913";

inline std::string rmqctl_path() { return std::string(RMQ_BINARY_DIR) + "/rmqctl"; }
// rmqctl built with the migrate kill points (RMQ_MIGRATE_TEST_KILL_AT, migrate/migrate_test_hooks.h).
inline std::string rmqctl_test_hooks_path() { return std::string(RMQ_BINARY_DIR) + "/rmqctl-test-hooks"; }
inline std::string gen_store_path() { return std::string(RMQ_BINARY_DIR) + "/rmq-gen-store"; }
inline std::string fake_broker_path() { return std::string(RMQ_BINARY_DIR) + "/rmq-fake-broker"; }

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct ProcessResult {
  int exit_code = -1;    // when it exited
  int term_signal = 0;   // when a signal ended it
  bool timed_out = false;
  std::string out;
  std::string err;

  nlohmann::json json() const {
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) ADD_FAILURE() << "not JSON:\n" << out << "\nstderr:\n" << err;
    return j;
  }
  std::string describe() const {
    return "exit " + std::to_string(exit_code) + " signal " + std::to_string(term_signal) + "\nstdout:\n" + out +
           "\nstderr:\n" + err;
  }
};

// The environment with `extra` ("NAME=value") added or replacing; built before fork, as execve wants it.
inline std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || x.substr(0, x.find('=')) == name;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

inline std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct SpawnOptions {
  std::vector<std::string> env;      // "NAME=value" added to the environment
  fs::path out_file;                 // stdout goes here (/dev/null when empty)
  fs::path err_file;                 // stderr goes here (/dev/null when empty)
  std::optional<rlim_t> file_size_limit_bytes;  // RLIMIT_FSIZE in the child
};

// Starts `path` with exactly `argv` (argv[0] included, so a test can make it look like "java").
inline pid_t spawn(const std::string& path, std::vector<std::string> argv, const SpawnOptions& options) {
  std::vector<std::string> env = environment_with(options.env);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  const std::string out = options.out_file.empty() ? "/dev/null" : options.out_file.string();
  const std::string err = options.err_file.empty() ? "/dev/null" : options.err_file.string();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (options.file_size_limit_bytes) {
      const struct rlimit limit{*options.file_size_limit_bytes, *options.file_size_limit_bytes};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(125);
    }
    ::execve(path.c_str(), c_argv.data(), c_env.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid`, killing it (SIGKILL) after timeout_ms.
inline void wait_for(pid_t pid, int timeout_ms, ProcessResult& r) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
}

// Runs a program to completion with output captured in `scratch`.
inline ProcessResult run(const std::string& path, const std::vector<std::string>& args, const fs::path& scratch,
                         SpawnOptions options = {}, int timeout_ms = 60000) {
  std::vector<std::string> argv{path};
  argv.insert(argv.end(), args.begin(), args.end());
  options.out_file = scratch / "run.stdout";
  options.err_file = scratch / "run.stderr";
  ProcessResult r;
  wait_for(spawn(path, argv, options), timeout_ms, r);
  r.out = read_text(options.out_file);
  r.err = read_text(options.err_file);
  return r;
}

// A file's content fingerprint: MD5 over its length and each data extent (offset, length, bytes). Holes read
// as zeros and are left out, so fingerprinting the mostly-hole files of a store costs a fraction of hashing
// every byte; any write changes an extent's bytes or the extent list. (rmqctl's own hashing is not used, so
// the tests do not check the tool with the tool.)
inline std::string fingerprint_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr);
  auto add_number = [&](std::uint64_t v) { EVP_DigestUpdate(ctx.get(), &v, sizeof v); };
  add_number(size);
  std::vector<char> buffer(1 << 20);
  std::uint64_t pos = 0;
  while (pos < size) {
    off_t data = ::lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0) break;  // only a hole remains
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    const auto end = std::min<std::uint64_t>(static_cast<std::uint64_t>(hole), size);
    add_number(static_cast<std::uint64_t>(data));
    add_number(end - static_cast<std::uint64_t>(data));
    for (auto at = static_cast<std::uint64_t>(data); at < end;) {
      const ssize_t n = ::pread(fd, buffer.data(), std::min<std::uint64_t>(end - at, buffer.size()),
                                static_cast<off_t>(at));
      if (n <= 0) break;
      EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
      at += static_cast<std::uint64_t>(n);
    }
    pos = end;
  }
  ::close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return common::to_hex_lower(common::ByteSpan(digest, length));
}

// Every file and directory under root: relative path -> fingerprint ("dir" for a directory). Comparing two
// of these catches a file written, removed, renamed or created anywhere in the tree.
inline std::map<std::string, std::string> hash_tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string rel = e.path().lexically_relative(root).generic_string();
    out[rel] = e.is_directory() ? "dir" : fingerprint_file(e.path());
  }
  return out;
}

// Byte-for-byte equality through read-only maps (a hole maps the zero page, so this is cheap).
inline bool same_bytes(const fs::path& a, const fs::path& b) {
  const common::MappedFile ma(a);
  const common::MappedFile mb(b);
  return ma.size_bytes() == mb.size_bytes() &&
         (ma.size_bytes() == 0 || std::memcmp(ma.bytes().data(), mb.bytes().data(), ma.size_bytes()) == 0);
}

// A generated legacy Master-Slave pair (rmq-gen-store) under dir/<scenario>.
struct StorePair {
  fs::path dir;
  fs::path master_root;
  fs::path slave_root;
  fs::path master_conf;
  fs::path slave_conf;
};

inline StorePair generate_pair(const fs::path& dir, const std::string& scenario, int seed = 11) {
  StorePair p;
  p.dir = dir / scenario;
  const ProcessResult r = run(gen_store_path(),
                              {"--out", p.dir.string(), "--scenario", scenario, "--file-size",
                               std::to_string(kFileSizeBytes), "--seed", std::to_string(seed)},
                              dir);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  p.master_root = p.dir / "master";
  p.slave_root = p.dir / "slave";
  p.master_conf = p.master_root / "broker.conf";
  p.slave_conf = p.slave_root / "broker.conf";
  return p;
}

// rmqctl migrate --from master-slave over a pair, with --yes and -o json unless told otherwise.
inline std::vector<std::string> migrate_args(const StorePair& pair, const fs::path& target,
                                             std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"migrate",      "--from",          "master-slave",         "--master-conf",
                                pair.master_conf.string(), "--slave-conf", pair.slave_conf.string(),
                                "--peers",      kPeers,            "--target-root",        target.string(),
                                "--yes",        "-o",              "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

inline std::string phase_status(const nlohmann::json& report, const std::string& phase) {
  for (const auto& p : report.at("phases")) {
    if (p.at("name") == phase) return p.at("status").get<std::string>();
  }
  return "?";
}

// The phase that stopped the run ("" when none did).
inline std::string stopping_phase(const nlohmann::json& report) {
  for (const auto& p : report.at("phases")) {
    if (p.at("status") == "failed" || p.at("status") == "refused") return p.at("name").get<std::string>();
  }
  return "";
}

// Every node holds every source file with the source's bytes, and each node's commitlog directory holds
// exactly the source's commitlog files: the legacy logs are byte-identical.
inline void expect_nodes_identical_to_source(const nlohmann::json& report, const fs::path& source_root) {
  ASSERT_TRUE(report.contains("nodes") && report.contains("files"));
  std::set<std::string> source_commitlog;
  for (const auto& e : fs::directory_iterator(source_root / "commitlog")) {
    const std::string name = e.path().filename().string();
    if (name.size() == 20 && name.find_first_not_of("0123456789") == std::string::npos) source_commitlog.insert(name);
  }
  ASSERT_FALSE(source_commitlog.empty());
  // The MD5s the report states are md5sum's: checked independently for the commitlog and config files.
  for (const auto& f : report.at("files")) {
    if (f.at("kind") == "consumequeue") continue;
    const std::string rel = f.at("path").get<std::string>();
    EXPECT_EQ(f.at("md5").get<std::string>(), common::md5_file_hex(source_root / rel)) << rel;
  }
  for (const auto& node : report.at("nodes")) {
    const fs::path root = node.at("store_root").get<std::string>();
    std::set<std::string> node_commitlog;
    for (const auto& e : fs::directory_iterator(root / "commitlog")) {
      node_commitlog.insert(e.path().filename().string());
    }
    EXPECT_EQ(node_commitlog, source_commitlog) << root;
    for (const auto& f : report.at("files")) {
      const std::string rel = f.at("path").get<std::string>();
      EXPECT_TRUE(same_bytes(root / rel, source_root / rel)) << root / rel;
    }
    for (const char* never : {"abort", "lock", "checkpoint"}) EXPECT_FALSE(fs::exists(root / never)) << root;
  }
}

// The configs say what gen-conf's rules require and point each node at its own copy.
inline void expect_configs_valid(const nlohmann::json& report) {
  std::vector<int> listen_ports;
  std::vector<migrate::Peer> peers;
  for (const auto& node : report.at("nodes")) {
    const common::JavaProperties conf = common::JavaProperties::load(node.at("config").get<std::string>());
    const std::string root = node.at("store_root").get<std::string>();
    EXPECT_EQ(conf.get_or("storePathRootDir", ""), root);
    EXPECT_EQ(conf.get_or("storePathCommitLog", ""), root + "/commitlog");
    EXPECT_EQ(conf.get_or("enableDLegerCommitLog", ""), "true");
    EXPECT_EQ(conf.get_or("dLegerSelfId", ""), node.at("id").get<std::string>());
    EXPECT_EQ(conf.get_or("dLegerGroup", ""), conf.get_or("brokerName", "?"));
    EXPECT_FALSE(conf.contains("brokerRole"));
    EXPECT_FALSE(conf.contains("brokerId"));
    peers = migrate::parse_peers(conf.get_or("dLegerPeers", ""));
    EXPECT_NO_THROW(migrate::check_peer_group(peers, false));
    listen_ports.push_back(std::stoi(conf.get_or("listenPort", "0")));
  }
  EXPECT_NO_THROW(migrate::check_port_collisions(peers, listen_ports));
}

// A stand-in old broker (tests/cli/fake_broker): argv like the Java broker's, holding the store's lock.
class FakeBroker {
 public:
  FakeBroker(const std::string& mode, const fs::path& store_root, const fs::path& config, const fs::path& scratch,
             bool java_like_argv = true)
      : ready_(scratch / ("fake-broker-ready-" + mode + "-" +
                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()))) {
    std::vector<std::string> argv;
    if (java_like_argv) {
      argv = {"java", "-server", "-Xms1g", "-Xmx1g", "-cp", ".:/opt/rocketmq/conf:/opt/rocketmq/lib/*",
              "org.apache.rocketmq.broker.BrokerStartup", "-c", config.string()};
    } else {
      argv = {"store-lock-holder", store_root.string()};
    }
    SpawnOptions options;
    options.env = {"RMQ_FAKE_BROKER_STORE=" + store_root.string(), "RMQ_FAKE_BROKER_MODE=" + mode,
                   "RMQ_FAKE_BROKER_READY=" + ready_.string(), "RMQ_FAKE_BROKER_LIFETIME_S=60"};
    options.err_file = scratch / ("fake-broker-" + mode + ".stderr");
    pid_ = spawn(fake_broker_path(), argv, options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!fs::exists(ready_) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(fs::exists(ready_)) << "the stand-in broker did not start: " << read_text(options.err_file);
  }
  ~FakeBroker() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  pid_t pid() const { return pid_; }
  // True while it has not exited (a zombie counts as exited; it is reaped here).
  bool running() {
    if (reaped_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_status_ = status;
      return false;
    }
    return true;
  }
  int exit_status() const { return exit_status_; }

 private:
  fs::path ready_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_status_ = 0;
};

}  // namespace rmq::migrate_test
