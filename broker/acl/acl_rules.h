// The rules of plain_acl.yml, read with yaml-cpp: who may connect without a signature, and what each
// account (accessKey/secretKey) may do. Upstream's file format and keys (PlainPermissionManager, 4.x):
//
//   globalWhiteRemoteAddresses: ["10.10.103.*", "192.168.0.*"]   # no signature needed from these
//   accounts:
//     - accessKey: RocketMQ              # at least 7 characters, unique
//       secretKey: 12345678              # at least 7 characters
//       whiteRemoteAddress: 192.168.0.*  # this account needs no signature from these addresses
//       admin: false                     # admin request codes (permission.h) need true
//       defaultTopicPerm: DENY           # for topics not in topicPerms (DENY when absent)
//       defaultGroupPerm: SUB            # for groups not in groupPerms (DENY when absent)
//       topicPerms: [topicA=DENY, topicB=PUB|SUB, topicC=SUB]
//       groupPerms: [groupA=DENY, groupB=PUB|SUB, groupC=SUB]
//   dataVersion: ...                     # written by upstream tools; ignored
//
// Stricter than upstream on purpose: an unknown key, a perm other than DENY/PUB/SUB/PUB|SUB, a duplicate
// accessKey, an unreadable address pattern or an empty file (upstream refuses that too) is an error naming
// the file and line, and the caller keeps the rules it had (a typo must not open or close the broker by
// surprise).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/acl/address_pattern.h"
#include "broker/acl/permission.h"

namespace rmq::acl {

// "<file>:<line>: <what is wrong>" (line 1-based).
class AclConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Account {
  std::string access_key;
  std::string secret_key;  // never logged
  AddressPattern white_remote_address;
  bool admin = false;
  Perm default_topic_perm = kDeny;
  Perm default_group_perm = kDeny;
  std::map<std::string, Perm, std::less<>> topic_perms;
  std::map<std::string, Perm, std::less<>> group_perms;  // by group name (upstream keys them by retry topic)
};

struct AclRules {
  std::vector<AddressPattern> global_white_remote_addresses;
  std::unordered_map<std::string, Account> accounts;  // by accessKey
};

// Parses the text of a plain_acl.yml; `source` names it in errors. Throws AclConfigError.
AclRules parse_acl_rules(std::string_view yaml_text, const std::string& source);
// Reads and parses `path`. Throws AclConfigError (also when the file cannot be read).
AclRules load_acl_rules(const std::string& path);

}  // namespace rmq::acl
