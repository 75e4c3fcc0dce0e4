#include "tools/rmqctl/node_args.h"

#include <system_error>

#include "broker/common/java_properties.h"

namespace rmq::tools {

namespace fs = std::filesystem;

void NodeArgs::add_to(CLI::App& command) {
  auto* c = command.add_option("-c,--config", configs, "a node's broker.conf (repeat for each node)");
  auto* d = command.add_option("--conf-dir", conf_dir, "every *.conf in this directory is a node");
  c->excludes(d);
  command.add_option("-o,--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));
}

std::vector<ctl::NodeConfig> NodeArgs::load() const {
  std::vector<fs::path> paths;
  if (!conf_dir.empty()) {
    paths = ctl::conf_files_in(conf_dir);
  } else {
    for (const auto& c : configs) paths.emplace_back(c);
  }
  return ctl::load_group(paths);
}

fs::path own_directory() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fs::current_path();
  return self.parent_path();
}

fs::path sibling_binary(const std::string& explicit_path, const std::string& name) {
  if (!explicit_path.empty()) return fs::absolute(explicit_path);
  return own_directory() / name;
}

}  // namespace rmq::tools
