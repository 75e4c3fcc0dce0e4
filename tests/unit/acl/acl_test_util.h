// Helpers for the ACL unit tests: a plain_acl.yml in a temporary directory and requests built field by field.
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>

#include "broker/remoting/remoting_command.h"

namespace rmq::acl::testing {

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline remoting::RemotingCommand request(std::int32_t code,
                                         std::initializer_list<std::pair<std::string, std::string>> fields,
                                         const std::string& body = "") {
  remoting::RemotingCommand r;
  r.code = code;
  for (const auto& [k, v] : fields) r.ext_fields.set(k, v);
  r.body.assign(body.begin(), body.end());
  return r;
}

}  // namespace rmq::acl::testing
