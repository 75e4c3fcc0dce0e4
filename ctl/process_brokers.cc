#include "ctl/process_brokers.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "ctl/process_locks.h"

namespace rmq::ctl {

namespace fs = std::filesystem;

namespace {

std::string basename_of(const std::string& arg) {
  const auto slash = arg.rfind('/');
  return slash == std::string::npos ? arg : arg.substr(slash + 1);
}

bool is_java_broker(const std::vector<std::string>& argv) {
  if (argv.empty() || basename_of(argv[0]).find("java") == std::string::npos) return false;
  return std::find(argv.begin() + 1, argv.end(), kBrokerStartupClass) != argv.end();
}

bool is_rmq_broker(const std::vector<std::string>& argv) {
  return !argv.empty() && basename_of(argv[0]) == "rmq-broker";
}

// The value of -c / --configFile after `from`, in the spellings commons-cli accepts.
std::string config_option(const std::vector<std::string>& argv, std::size_t from) {
  for (std::size_t i = from; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == "-c" || a == "--configFile") && i + 1 < argv.size()) return argv[i + 1];
    if (a.rfind("--configFile=", 0) == 0) return a.substr(13);
    if (a.size() > 2 && a.rfind("-c", 0) == 0 && a[2] != '-') return a.substr(2);
  }
  return {};
}

bool same_file(const fs::path& a, const fs::path& b) {
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) {
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  std::error_code ec;
  return fs::weakly_canonical(a, ec).lexically_normal() == fs::weakly_canonical(b, ec).lexically_normal();
}

}  // namespace

fs::path broker_config_argument(const std::vector<std::string>& argv, const fs::path& cwd) {
  std::string value;
  if (is_java_broker(argv)) {
    const auto cls = std::find(argv.begin(), argv.end(), kBrokerStartupClass);
    value = config_option(argv, static_cast<std::size_t>(cls - argv.begin()) + 1);
  } else if (is_rmq_broker(argv)) {
    value = config_option(argv, 1);
  }
  if (value.empty()) return {};
  fs::path path(value);
  if (path.is_relative() && !cwd.empty()) path = cwd / path;
  return path;
}

bool runs_rmq_broker_with_config(const ProcessInfo& process, const fs::path& config_path) {
  if (!is_rmq_broker(process.argv)) return false;
  const fs::path conf = broker_config_argument(process.argv, process.cwd);
  return !conf.empty() && same_file(conf, config_path);
}

std::vector<FoundBroker> find_brokers(const fs::path& proc_root, const std::vector<BrokerTarget>& targets) {
  std::vector<FoundBroker> found;
  std::set<int> seen;
  const int self = static_cast<int>(::getpid());
  auto add = [&](const ProcessInfo& p, const std::string& role, const std::string& reason) {
    if (p.pid == self || !seen.insert(p.pid).second) return;
    found.push_back({p, role, reason});
  };
  for (int pid : list_pids(proc_root)) {
    const auto p = read_process(proc_root, pid);
    if (!p || p->state == 'Z' || p->state == 'X') continue;
    const fs::path conf = broker_config_argument(p->argv, p->cwd);
    if (conf.empty()) continue;
    for (const auto& t : targets) {
      if (same_file(conf, t.config_path)) {
        add(*p, t.role, std::string(is_rmq_broker(p->argv) ? "runs rmq-broker" : "runs BrokerStartup") + " -c " +
                            conf.string());
        break;
      }
    }
  }
  for (const auto& t : targets) {
    const fs::path lock = t.store_root / "lock";
    for (int pid : lock_holders(proc_root, lock)) {
      const auto p = read_process(proc_root, pid);
      if (!p || p->state == 'Z' || p->state == 'X') continue;
      add(*p, t.role, "holds the store lock " + lock.string());
    }
  }
  return found;
}

}  // namespace rmq::ctl
