// A small network of Linux network namespaces for partition tests: `hosts` namespaces, each with one veth
// interface on a bridge in the test's own namespace, all in one private /24. The test process (and anything
// it starts without exec_prefix, e.g. a name server listening on 0.0.0.0) reaches host i at host_ip(i); the
// hosts reach it at gateway_ip(). Links between hosts can then be cut and healed one by one while every host
// stays reachable from the test process: the partition a Raft group must survive, with its clients unaffected.
//
// Why namespaces and not a TCP proxy between the peers: the members of a DLedger group must list the same
// dLegerPeers (the peer handshake refuses a differing list) and each listens on the port of its own entry on
// 0.0.0.0, so there is no address a proxy could take over. With a namespace per host every member keeps the
// same list and its own IP. Why blackhole routes: neither iptables nor tc netem is assumed; a blackhole route
// for host b in host a's namespace drops everything a sends to b (connects fail, established connections
// retransmit into the void) and affects nothing else. cut(a, b) installs it on both sides; cut_one_way(a, b)
// only in a (with TCP that also stalls b's connections to a once their acknowledgements stop arriving).
//
// Needs root and iproute2's `ip`; available() says why not, so a test can skip. Every name carries the test
// process's pid; the destructor deletes the bridge and the namespaces (which deletes the veth pairs and
// routes); a lab left behind by a test process that died without it is removed by the next NetnsLab.
// Processes started in a namespace must be stopped before the NetnsLab is destroyed.
//
//   NetnsLab lab(3);
//   BackgroundProcess broker(lab.exec_prefix(0) + {"rmq-broker", "-c", conf}, log);   // in host 0
//   lab.isolate(0);  ...  lab.heal_all();
//
// Header-only; throws std::runtime_error naming the command when an `ip` command fails.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rmq::test_support {

class NetnsLab {
 public:
  // Why this machine cannot build a lab (not root, no `ip`, namespaces refused), or nullopt.
  static std::optional<std::string> unavailable_reason() {
    if (::geteuid() != 0) return std::string("needs root (network namespaces)");
    if (ip_binary().empty()) return std::string("needs iproute2's ip");
    const std::string probe = "rmqpt-probe-" + std::to_string(::getpid());
    if (run({ip_binary(), "netns", "add", probe}) != 0) return std::string("ip netns add is refused here");
    run({ip_binary(), "netns", "del", probe});
    return std::nullopt;
  }

  explicit NetnsLab(int hosts) : hosts_(hosts) {
    const int pid = static_cast<int>(::getpid());
    tag_ = std::to_string(pid % 100000);
    bridge_ = "rmqb" + tag_;
    remove_stale_labs();
    choose_subnet(pid);
    try {
      must({ip_binary(), "link", "add", bridge_, "type", "bridge"});
      must({ip_binary(), "addr", "add", gateway_ip() + "/24", "dev", bridge_});
      must({ip_binary(), "link", "set", bridge_, "up"});
      for (int i = 0; i < hosts_; ++i) {
        const std::string ns = ns_name(i);
        const std::string outside = "rmqv" + tag_ + "x" + std::to_string(i);
        const std::string inside = "rmqp" + tag_ + "x" + std::to_string(i);
        must({ip_binary(), "netns", "add", ns});
        namespaces_.push_back(ns);
        must({ip_binary(), "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns});
        must({ip_binary(), "link", "set", outside, "master", bridge_});
        must({ip_binary(), "link", "set", outside, "up"});
        must({ip_binary(), "-n", ns, "link", "set", "lo", "up"});
        must({ip_binary(), "-n", ns, "addr", "add", host_ip(i) + "/24", "dev", inside});
        must({ip_binary(), "-n", ns, "link", "set", inside, "up"});
      }
    } catch (...) {
      teardown();
      throw;
    }
  }
  ~NetnsLab() { teardown(); }
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  int hosts() const { return hosts_; }
  std::string host_ip(int i) const { return prefix_ + std::to_string(i + 1); }
  std::string gateway_ip() const { return prefix_ + "254"; }
  std::string ns_name(int i) const { return "rmqpt-" + tag_ + "-h" + std::to_string(i); }
  // argv prefix that runs a program inside host i's namespace (ip netns exec execs it: same pid).
  std::vector<std::string> exec_prefix(int i) const { return {ip_binary(), "netns", "exec", ns_name(i)}; }

  // Host a can no longer send to host b (blackhole route in a's namespace).
  void cut_one_way(int a, int b) {
    if (a == b || cut_.count({a, b})) return;
    must({ip_binary(), "-n", ns_name(a), "route", "add", "blackhole", host_ip(b) + "/32"});
    cut_.insert({a, b});
  }
  void cut(int a, int b) {
    cut_one_way(a, b);
    cut_one_way(b, a);
  }
  // Cuts host i from every other host (the test process still reaches it, and it the test process).
  void isolate(int i) {
    for (int j = 0; j < hosts_; ++j) {
      if (j != i) cut(i, j);
    }
  }
  void heal_one_way(int a, int b) {
    if (!cut_.count({a, b})) return;
    must({ip_binary(), "-n", ns_name(a), "route", "del", "blackhole", host_ip(b) + "/32"});
    cut_.erase({a, b});
  }
  void heal_all() {
    while (!cut_.empty()) {
      const auto [a, b] = *cut_.begin();
      heal_one_way(a, b);
    }
  }

  // True when something accepts TCP connections on ip:port within timeout_ms.
  static bool accepts(const std::string& ip, std::uint16_t port, int timeout_ms = 500) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    bool ok = ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) == 1;
    if (ok && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ok = false;
      if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, timeout_ms) == 1) {
          int err = 0;
          socklen_t len = sizeof err;
          ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
        }
      }
    }
    ::close(fd);
    return ok;
  }

  // Runs argv (no shell), output discarded; the exit status, or -1.
  static int run(const std::vector<std::string>& argv) {
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      const int null_fd = ::open("/dev/null", O_RDWR);
      if (null_fd >= 0) {
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static std::string ip_binary() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (::access(p, X_OK) == 0) return p;
    }
    return "";
  }

 private:
  static void must(const std::vector<std::string>& argv) {
    if (run(argv) != 0) {
      std::string text;
      for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
      throw std::runtime_error("NetnsLab: command failed: " + text);
    }
  }

  // A 10.x.y.0/24 that no interface or route here uses yet.
  void choose_subnet(int pid) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      const int x = 200 + (pid + attempt * 7) % 50;
      const int y = (pid / 50 + attempt * 13) % 250 + 1;
      const std::string candidate = "10." + std::to_string(x) + "." + std::to_string(y) + ".";
      if (!subnet_in_use(candidate)) {
        prefix_ = candidate;
        return;
      }
    }
    throw std::runtime_error("NetnsLab: no free 10.x.y.0/24 subnet");
  }
  static bool subnet_in_use(const std::string& prefix) {
    std::FILE* f = ::popen((ip_binary() + " -4 route show table all 2>/dev/null; " + ip_binary() +
                            " -4 addr show 2>/dev/null").c_str(), "r");
    if (!f) return true;
    std::string text;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    ::pclose(f);
    return text.find(prefix) != std::string::npos;
  }

  // Labs left behind by test processes that died without their destructor (SIGKILL, SIGPIPE).
  static void remove_stale_labs() {
    std::FILE* f = ::popen((ip_binary() + " netns list 2>/dev/null").c_str(), "r");
    if (!f) return;
    std::set<std::string> stale_tags;
    std::vector<std::string> stale_namespaces;
    char line[512];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      std::string name(line);
      name = name.substr(0, name.find_first_of(" \n"));
      if (name.rfind("rmqpt-", 0) != 0) continue;
      const std::string tag = name.substr(6, name.find("-h") == std::string::npos ? 0 : name.find("-h") - 6);
      if (tag.empty() || tag.find_first_not_of("0123456789") != std::string::npos) continue;
      if (std::filesystem::exists("/proc/" + tag)) continue;  // (a tag is the pid mod 100000: best effort)
      stale_tags.insert(tag);
      stale_namespaces.push_back(name);
    }
    ::pclose(f);
    for (const auto& tag : stale_tags) {
      for (int i = 0; i < 16; ++i) run({ip_binary(), "link", "del", "rmqv" + tag + "x" + std::to_string(i)});
      run({ip_binary(), "link", "del", "rmqb" + tag});
    }
    for (const auto& ns : stale_namespaces) run({ip_binary(), "netns", "del", ns});
  }

  void teardown() {
    if (torn_down_) return;
    torn_down_ = true;
    // The veth pairs go explicitly: a namespace is destroyed only once nothing holds it any more.
    for (int i = 0; i < static_cast<int>(namespaces_.size()); ++i) {
      run({ip_binary(), "link", "del", "rmqv" + tag_ + "x" + std::to_string(i)});
    }
    for (const auto& ns : namespaces_) run({ip_binary(), "netns", "del", ns});
    run({ip_binary(), "link", "del", bridge_});
  }

  int hosts_ = 0;
  std::string tag_;
  std::string bridge_;
  std::string prefix_;  // "10.x.y."
  std::vector<std::string> namespaces_;
  std::set<std::pair<int, int>> cut_;
  bool torn_down_ = false;
};

}  // namespace rmq::test_support
