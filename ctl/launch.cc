#include "ctl/launch.h"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/start_dir.hpp>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "ctl/pid_file.h"

namespace rmq::ctl {

namespace fs = std::filesystem;
namespace bp = boost::process;

int launch_detached(const LaunchSpec& spec) {
  std::error_code ec;
  fs::create_directories(spec.working_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + spec.working_dir.string() + ": " + ec.message());
  fs::create_directories(spec.log_path.parent_path(), ec);
  std::unique_ptr<FILE, int (*)(FILE*)> log(std::fopen(spec.log_path.c_str(), "ae"), &std::fclose);
  if (!log) {
    throw std::runtime_error("cannot open " + spec.log_path.string() + ": " + std::generic_category().message(errno));
  }
  int pid = -1;
  try {
    bp::child child(bp::exe = spec.program.string(), bp::args = spec.args, bp::start_dir = spec.working_dir.string(),
                    bp::std_in < bp::null, bp::std_out > log.get(), bp::std_err > log.get(),
                    bp::extend::on_exec_setup = [](auto&) { ::setsid(); });
    pid = child.id();
    child.detach();  // the bp::child must not wait for or terminate it
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start " + spec.program.string() + ": " + e.what());
  }
  write_pid_file(spec.pid_path, pid);
  return pid;
}

std::optional<int> launch_exit_status(int pid) {
  int status = 0;
  const pid_t waited = ::waitpid(pid, &status, WNOHANG);
  if (waited != pid) return std::nullopt;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return std::nullopt;
}

std::string log_tail(const fs::path& path, std::size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace rmq::ctl
