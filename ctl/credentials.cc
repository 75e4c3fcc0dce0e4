// ACL credentials for rmqctl and rmq-bench (see credentials.h).
#include "ctl/credentials.h"

#include <fstream>

#include "broker/acl/signature.h"
#include "broker/common/java_properties.h"

namespace rmq::ctl {

void sign_if_set(remoting::RemotingCommand& request, const Credentials& credentials) {
  if (credentials.empty()) return;
  acl::sign_request(request, credentials.access_key, credentials.secret_key);
}

std::string read_secret_key_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw common::ConfigError("--secret-key-file: cannot read '" + path.string() + "'");
  std::string line;
  std::getline(in, line);
  if (in.bad()) throw common::ConfigError("--secret-key-file: cannot read '" + path.string() + "'");
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos) {
    throw common::ConfigError("--secret-key-file: '" + path.string() + "' has no secret on its first line");
  }
  return line.substr(first, last - first + 1);
}

}  // namespace rmq::ctl
