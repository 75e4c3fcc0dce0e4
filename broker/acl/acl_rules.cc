#include "broker/acl/acl_rules.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace rmq::acl {
namespace {

inline constexpr std::size_t kMinKeyLength = 7;  // upstream: length must be > 6

[[noreturn]] void fail(const std::string& source, const YAML::Node& node, const std::string& what) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  throw AclConfigError(source + ":" + std::to_string(line) + ": " + what);
}

std::string scalar(const std::string& source, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail(source, node, "'" + key + "' must be a single value");
  return node.Scalar();
}

std::vector<std::pair<std::string, YAML::Node>> string_list(const std::string& source, const YAML::Node& node,
                                                            const std::string& key) {
  std::vector<std::pair<std::string, YAML::Node>> items;
  if (node.IsNull()) return items;
  if (!node.IsSequence()) fail(source, node, "'" + key + "' must be a list");
  for (const YAML::Node& item : node) items.emplace_back(scalar(source, item, key + " entry"), item);
  return items;
}

Perm perm_of(const std::string& source, const YAML::Node& node, const std::string& key, const std::string& text) {
  const auto perm = parse_perm(text);
  if (!perm) fail(source, node, key + ": '" + text + "' is not DENY, PUB, SUB or PUB|SUB");
  return *perm;
}

AddressPattern pattern_of(const std::string& source, const YAML::Node& node, const std::string& text) {
  std::string error;
  auto pattern = AddressPattern::parse(text, &error);
  if (!pattern) fail(source, node, error);
  return *pattern;
}

void resource_perms(const std::string& source, const YAML::Node& node, const std::string& key,
                    std::map<std::string, Perm, std::less<>>& out) {
  for (const auto& [text, item] : string_list(source, node, key)) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || text.find('=', eq + 1) != std::string::npos) {
      fail(source, item, key + ": '" + text + "' is not NAME=PERM");
    }
    std::string name = text.substr(0, eq);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    if (name.empty()) fail(source, item, key + ": '" + text + "' has no name before '='");
    out[name] = perm_of(source, item, key, text.substr(eq + 1));
  }
}

Account parse_account(const std::string& source, const YAML::Node& node) {
  if (!node.IsMap()) fail(source, node, "each entry of 'accounts' must be a map of keys");
  Account account;
  bool has_access = false;
  bool has_secret = false;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "accessKey") {
      account.access_key = scalar(source, value, key);
      has_access = true;
    } else if (key == "secretKey") {
      account.secret_key = scalar(source, value, key);
      has_secret = true;
    } else if (key == "whiteRemoteAddress") {
      if (!value.IsNull()) account.white_remote_address = pattern_of(source, value, scalar(source, value, key));
    } else if (key == "admin") {
      const std::string text = scalar(source, value, key);
      if (text == "true") account.admin = true;
      else if (text == "false") account.admin = false;
      else fail(source, value, "admin: '" + text + "' is not true or false");
    } else if (key == "defaultTopicPerm") {
      account.default_topic_perm = perm_of(source, value, key, scalar(source, value, key));
    } else if (key == "defaultGroupPerm") {
      account.default_group_perm = perm_of(source, value, key, scalar(source, value, key));
    } else if (key == "topicPerms") {
      resource_perms(source, value, key, account.topic_perms);
    } else if (key == "groupPerms") {
      resource_perms(source, value, key, account.group_perms);
    } else {
      fail(source, entry.first, "unknown account key '" + key + "'");
    }
  }
  if (!has_access || account.access_key.size() < kMinKeyLength) {
    fail(source, node, "an account needs an accessKey of at least 7 characters");
  }
  if (!has_secret || account.secret_key.size() < kMinKeyLength) {
    fail(source, node, "account '" + account.access_key + "' needs a secretKey of at least 7 characters");
  }
  return account;
}

}  // namespace

AclRules parse_acl_rules(std::string_view yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw AclConfigError(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  AclRules rules;
  // An empty file is refused like upstream's "file is not data": it is what a reload sees in the middle of an
  // editor's truncate-and-write, and installing it would lock every client out.
  if (root.IsNull()) throw AclConfigError(source + ":1: the file is empty (no globalWhiteRemoteAddresses, no accounts)");
  if (!root.IsMap()) fail(source, root, "the file must be a map with globalWhiteRemoteAddresses and accounts");
  try {
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      const YAML::Node& value = entry.second;
      if (key == "globalWhiteRemoteAddresses") {
        for (const auto& [text, item] : string_list(source, value, key)) {
          rules.global_white_remote_addresses.push_back(pattern_of(source, item, text));
        }
      } else if (key == "accounts") {
        if (value.IsNull()) continue;
        if (!value.IsSequence()) fail(source, value, "'accounts' must be a list");
        for (const YAML::Node& item : value) {
          Account account = parse_account(source, item);
          const std::string access_key = account.access_key;
          if (!rules.accounts.emplace(access_key, std::move(account)).second) {
            fail(source, item, "accessKey '" + access_key + "' appears twice");
          }
        }
      } else if (key == "dataVersion") {
        // written by upstream's admin tools; not a rule
      } else {
        fail(source, entry.first, "unknown key '" + key + "'");
      }
    }
  } catch (const YAML::Exception& e) {
    throw AclConfigError(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return rules;
}

AclRules load_acl_rules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AclConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw AclConfigError(path + ": read failed");
  return parse_acl_rules(text.str(), path);
}

}  // namespace rmq::acl
